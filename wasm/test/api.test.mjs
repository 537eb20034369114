// Every call of the JS API, its error paths, and that a failed call leaves the trainer as it was.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ode, snapshot, toggleTrainer } from './helpers.mjs';

test('module: version and reference systems', () => {
  assert.match(ode.version, /^\d+\.\d+\.\d+$/);
  assert.deepEqual(ode.systems(), ['spiral', 'toggle', 'lotka-volterra', 'van-der-pol', 'pendulum', 'fitzhugh-nagumo', 'repressilator']);
  const info = ode.systemInfo('toggle');
  assert.equal(info.name, 'toggle');
  assert.equal(info.dim, 2);
  assert.ok(info.points >= 2);
  assert.ok(info.bounds.xmax > info.bounds.xmin);
  assert.throws(() => ode.systemInfo('lorenz'), /unknown system 'lorenz'/);
  // The page's presets: every 2-D system; the 3-D repressilator is for the API only.
  assert.deepEqual(ode.systems().filter((n) => ode.systemInfo(n).preset), ode.systems().filter((n) => ode.systemInfo(n).dim === 2));
  assert.equal(ode.systemInfo('repressilator').preset, false);
});

test('3-D system: repressilator samples d × n states, its field takes m × 3 points, no 2-D portrait', () => {
  const info = ode.systemInfo('repressilator');
  assert.equal(info.dim, 3);
  const s = ode.sampleSystem('repressilator', { trajectories: 2, seed: 1 });
  for (const t of s.trajectories) {
    assert.ok(t.times.length >= info.points - 2); // the system's default count
    assert.equal(t.states.length, 3 * t.times.length);
  }
  const [one] = ode.sampleSystem('repressilator', { trajectories: 1, points: 5, initial: [1, 2, 3] }).trajectories;
  assert.deepEqual(Array.from(one.states.subarray(0, 3)), [1, 2, 3]);
  assert.throws(() => ode.sampleSystem('repressilator', { initial: [1, 2] }), /initial must be 3 finite numbers/);
  const v = ode.systemField('repressilator', [0, 0, 0, 1, 1, 1]);
  assert.equal(v.length, 6);
  assert.ok(Math.abs(v[0] - 10) < 1e-12); // dx/dt = 10/(1+0) − 0
  assert.throws(() => ode.systemField('repressilator', [1, 2]), /m × 3/);
  assert.throws(() => ode.analyzeSystem('repressilator'), /phase portraits are 2-D/);
  const tr = new ode.Trainer({ dim: 3, hidden: [8] });
  for (const t of s.trajectories) tr.addTrajectory(t.times, t.states);
  assert.equal(tr.step(2).status, 'success');
  assert.throws(() => tr.analyze({ xmin: 0, xmax: 5, ymin: 0, ymax: 5, nx: 8, ny: 8 }, { truth: 'repressilator' }), /2-D/);
  tr.delete();
});

test('sampleSystem: irregular trajectories with bounds, reproducible, bad options rejected', () => {
  const a = ode.sampleSystem('van-der-pol', { trajectories: 3, points: 20, noise: 0.01, seed: 4 });
  const b = ode.sampleSystem('van-der-pol', { trajectories: 3, points: 20, noise: 0.01, seed: 4 });
  assert.equal(a.trajectories.length, 3);
  for (const [i, t] of a.trajectories.entries()) {
    assert.ok(t.times instanceof Float64Array);
    assert.equal(t.states.length, 2 * t.times.length);
    for (let k = 1; k < t.times.length; k++) assert.ok(t.times[k] > t.times[k - 1]);
    assert.deepEqual(t.states, b.trajectories[i].states);
  }
  assert.deepEqual(Object.keys(a.bounds).sort(), ['xmax', 'xmin', 'ymax', 'ymin']);
  assert.throws(() => ode.sampleSystem('nope'), /unknown system/);
  assert.throws(() => ode.sampleSystem('toggle', { points: 1 }), /points must be a whole number in/);
  assert.throws(() => ode.sampleSystem('toggle', { noise: NaN }), /noise/);
  assert.throws(() => ode.sampleSystem('toggle', null), /options must be an object/);
  const v = ode.systemField('toggle', [0, 0, 1, 2]);
  assert.equal(v.length, 4);
  assert.ok(Math.abs(v[0] - 4) < 1e-12); // du/dt = 4/(1+0) − 0
  assert.throws(() => ode.systemField('toggle', [1, 2, 3]), /m × 2/);
});

test('Trainer: config() fills every default and rejects bad configs with messages', () => {
  const tr = new ode.Trainer({ hidden: [4] });
  const c = tr.config();
  for (const key of ['dim', 'hidden', 'activation', 'timeDependent', 'augment', 'seed', 'solver', 'gradient', 'optimizer', 'batch', 'loss', 'regularization'])
    assert.ok(key in c, key);
  assert.deepEqual(c.hidden, [4]);
  assert.equal(c.solver.method, 'dopri5');
  assert.equal(c.gradient, 'checkpointed');
  assert.equal(c.solver.checkpoints, 32);
  assert.equal(c.solver.seminorm, false);
  tr.delete();
  const fromString = new ode.Trainer(JSON.stringify({ dim: 3 }));
  assert.equal(fromString.config().dim, 3);
  fromString.delete();
  const before = ode.liveTrainers();
  for (const [cfg, msg] of [
    [{ solver: { method: 'rk45' } }, /unknown solver method 'rk45'/],
    [{ activation: 'relu' }, /unknown activation 'relu'/],
    [{ optimizer: { lr: -1 } }, /optimizer.lr/],
    [{ batch: { window: 1 } }, /batch.window/],
    [{ colour: 'red' }, /unknown config field 'colour'/],
    ['{not json', /not valid JSON/],
    [42, /config must be an object/],
  ])
    assert.throws(() => new ode.Trainer(cfg), msg);
  assert.equal(ode.liveTrainers(), before);
});

test('addTrajectory: indices, and bad data refused without touching the data', () => {
  const tr = toggleTrainer();
  assert.equal(tr.trajectoryCount(), 4);
  assert.equal(tr.addTrajectory([0, 0.5, 1.5], new Float64Array([1, 1, 2, 2, 3, 3])), 4);
  const snap = snapshot(tr);
  const bad = [
    [[0, 1, 1], [0, 0, 1, 1, 2, 2], /strictly increasing/],
    [[0, 2, 1], [0, 0, 1, 1, 2, 2], /strictly increasing/],
    [[0], [0, 0], /at least 2/],
    [[], [], /at least 2/],
    [[0, 1], [0, 0, 1], /states must hold times.length × dim = 4/],
    [[0, 1], [0, NaN, 1, 1], /states\[1\] is not finite/],
    [[0, Infinity], [0, 0, 1, 1], /times\[1\] is not finite/],
    [[0, '1'], [0, 0, 1, 1], /times\[1\] is not a number/],
    ['01', [0, 0, 1, 1], /times must be a Float64Array or an array of numbers/],
  ];
  for (const [t, s, msg] of bad) assert.throws(() => tr.addTrajectory(t, s), msg);
  assert.equal(snapshot(tr), snap);
  tr.clearTrajectories();
  assert.equal(tr.trajectoryCount(), 0);
  tr.delete();
});

test('step: reports progress, and a step without data throws and changes nothing', () => {
  const tr = toggleTrainer();
  const r = tr.step(3);
  for (const key of ['iteration', 'loss', 'gradNorm', 'nfeForward', 'nfeBackward', 'status', 'millis']) assert.ok(key in r, key);
  assert.equal(r.iteration, 3);
  assert.equal(r.status, 'success');
  assert.ok(r.nfeForward > 0 && r.nfeBackward > 0 && r.gradNorm > 0 && r.millis >= 0);
  assert.equal(tr.step().iteration, 4);
  for (const n of [0, -1, 1.5, 'x']) assert.throws(() => tr.step(n), /n must be a whole number/);
  tr.clearTrajectories();
  const params = tr.parameters();
  assert.throws(() => tr.step(), /no trajectories/);
  assert.deepEqual(tr.parameters(), params);
  tr.delete();
});

test('resumable steps: pieces of a few solver steps give the uninterrupted run bit for bit; bad options refused', () => {
  const whole = toggleTrainer(), split = toggleTrainer();
  const w = whole.step(3);
  let pieces = 0, nfe = 0, r;
  do {
    r = split.step(3, { resumable: true, maxSolverSteps: 2 });
    assert.equal(r.status, 'success');
    // Each call completes an iteration or leaves one under way (or both); never nothing.
    assert.ok(r.suspended || r.iterations > 0);
    if (r.suspended) assert.ok(split.iteration() < 3 && r.pendingNfeForward >= 0);
    nfe += r.nfeForward;
    pieces++;
  } while (split.iteration() < 3);
  assert.ok(pieces > 3, `${pieces} pieces`);
  assert.deepEqual(split.parameters(), whole.parameters());
  assert.equal(nfe, w.nfeForward); // whole iterations' NFE, counted once each
  // A document taken inside an iteration is the state before it: loading it retrains that iteration the same way.
  split.step(1, { resumable: true, maxSolverSteps: 1 });
  const doc = split.toJSON();
  assert.equal(doc.iteration, 3);
  const again = ode.Trainer.fromJSON(doc);
  for (const t of ode.sampleSystem('toggle', { trajectories: 4, points: 15, seed: 2 }).trajectories) again.addTrajectory(t.times, t.states);
  again.step(1);
  split.step(1);
  assert.deepEqual(again.parameters(), split.parameters());
  assert.throws(() => split.step(1, { maxSolverSteps: 5 }), /needs resumable/);
  assert.throws(() => split.step(1, { resumable: true, maxSolverSteps: 0 }), /maxSolverSteps must be a whole number/);
  assert.throws(() => split.step(1, { resumable: 'yes' }), /resumable must be true or false/);
  for (const t of [whole, split, again]) t.delete();
});

test('checkpoint: one copy of the training state in the module; restoring it equals the document of that iteration', () => {
  const tr = toggleTrainer();
  assert.equal(tr.checkpointIteration(), -1);
  assert.throws(() => tr.restoreCheckpoint(), /no checkpoint/);
  tr.step(3);
  tr.step(1, { resumable: true, maxSolverSteps: 2 }); // an iteration under way is not part of the checkpoint
  tr.checkpoint();
  const doc = tr.toJSON();
  assert.equal(tr.checkpointIteration(), 3);
  while (tr.iteration() < 6) tr.step(1, { resumable: true, maxSolverSteps: 3 });
  tr.step(1, { resumable: true, maxSolverSteps: 2 });
  tr.restoreCheckpoint();
  assert.deepEqual(tr.toJSON(), doc); // weights, optimiser state, sampler, iteration
  assert.equal(tr.trajectoryCount(), 4); // the data stay
  const again = ode.Trainer.fromJSON(doc);
  for (const t of ode.sampleSystem('toggle', { trajectories: 4, points: 15, seed: 2 }).trajectories) again.addTrajectory(t.times, t.states);
  tr.step(1);
  again.step(1);
  assert.deepEqual(tr.parameters(), again.parameters());
  tr.reset();
  assert.equal(tr.checkpointIteration(), 3); // kept until replaced: going back after a reset is allowed
  for (const t of [tr, again]) t.delete();
});

test('adoptState: a trainer of other settings takes the weights, optimiser state, sampler and iteration; a misfit changes nothing', () => {
  const a = toggleTrainer();
  a.step(3);
  const b = toggleTrainer({ optimizer: { lr: 0.05 } });
  b.adoptState(a);
  const da = a.toJSON(), db = b.toJSON();
  assert.equal(db.config.optimizer.lr, 0.05);
  assert.deepEqual({ ...db, config: null }, { ...da, config: null });
  const wide = toggleTrainer({ hidden: [9, 8] });
  const before = wide.toJSON();
  assert.throws(() => wide.adoptState(a), /parameters/);
  assert.deepEqual(wide.toJSON(), before);
  const flow = new ode.DensityTrainer({});
  assert.throws(() => flow.adoptState(a), /expected a DensityTrainer/);
  for (const t of [a, b, wide, flow]) t.delete();
});

test('loss on one trajectory: the whole-data loss is their weighted mean; bad indices refused', () => {
  const tr = toggleTrainer();
  tr.step(2);
  const trajectories = ode.sampleSystem('toggle', { trajectories: 4, points: 15, seed: 2 }).trajectories;
  let sum = 0, weight = 0;
  trajectories.forEach((t, i) => {
    const n = t.times.length - 1;
    sum += tr.loss({ trajectory: i }) * n;
    weight += n;
  });
  const all = tr.loss();
  // The whole-data loss solves all trajectories jointly (shared adaptive steps): they agree to the solver's tolerance.
  assert.ok(Math.abs(sum / weight - all) <= 1e-4 * all, `${sum / weight} vs ${all}`);
  for (const i of [4, -1, 0.5, 'x']) assert.throws(() => tr.loss({ trajectory: i }), /trajectory must be a whole number/);
  tr.delete();
});

test('a failing step (solver budget) reports its status and keeps the parameters', () => {
  const tr = toggleTrainer({ solver: { maxSteps: 2 }, initOutput: 1 });  // a rough initial field needs more steps
  const before = tr.parameters();
  const r = tr.step();
  assert.equal(r.status, 'max-steps');
  assert.match(r.message, /kept/);
  assert.deepEqual(tr.parameters(), before);
  assert.equal(tr.iteration(), 0);
  tr.delete();
});

test('a fixed step too small for the step budget is max-steps at once, past 2^31 steps too (32-bit long in wasm)', () => {
  for (const stepSize of [4e-9, 1e-300]) {
    const t = new ode.Trainer({ hidden: [8], seed: 3, solver: { method: 'rk4', stepSize }, normalize: false, initOutput: 1 });
    const r = t.integrate([0.5, 0.5], [0, 10], 0);
    assert.equal(r.status, 'max-steps', `stepSize ${stepSize}: ${r.status} ${r.message}`);
    assert.match(r.message, /step budget/);
    assert.equal(r.nfe, 0);
    t.delete();
  }
  const t = new ode.Trainer({ hidden: [8], seed: 3, solver: { method: 'rk4', stepSize: 1e-3 }, normalize: false, initOutput: 1 });
  assert.equal(t.integrate([0.5, 0.5], [0, 10], 0).status, 'success');
  t.delete();
});

test('a model whose optimiser moments passed 2^53 (unnormalised, fast-growing data) is written and read back', () => {
  const times = [], states = [];
  for (let i = 0; i < 50; i++) {
    const s = i * 0.05;
    times.push(s);
    states.push(Math.min(1e12, Math.exp(25 * s)), Math.min(1e12, Math.exp(27 * s)));
  }
  const t = new ode.Trainer({ hidden: [16], normalize: false, optimizer: { lr: 0.1 } });
  t.addTrajectory(times, states);
  assert.equal(t.step(2).status, 'success');
  const doc = t.toJSON();
  assert.ok(Math.max(...doc.optimizer.v) > 2 ** 53);
  for (const back of [ode.Trainer.fromJSON(doc), ode.Trainer.fromPacked(t.toPacked())]) {
    assert.deepEqual(back.toJSON().optimizer, doc.optimizer);
    back.delete();
  }
  t.delete();
});

test('options objects with an unknown (misspelt) field are refused before any work, as configs are', () => {
  const tr = toggleTrainer();
  assert.throws(() => tr.step(1e6, { maxMilis: 200 }), /unknown step options field 'maxMilis' \(known: maxMillis, resumable, maxSolverSteps\)/);
  assert.equal(tr.iteration(), 0);
  assert.throws(() => tr.loss({ trajectroy: 0 }), /unknown loss options field 'trajectroy'/);
  assert.throws(() => tr.integrate([0.5, 0.5], [0, 1], 0, { maxMilis: 5 }), /unknown integrate options field/);
  assert.throws(() => ode.sampleSystem('spiral', { trajectorys: 3 }), /unknown sampleSystem options field 'trajectorys'/);
  assert.equal(tr.step(1, { maxMillis: 5000, resumable: false }).status, 'success');
  tr.delete();
});

test('sampleSystem from an initial state whose solution blows up throws instead of returning NaN states', () => {
  assert.throws(() => ode.sampleSystem('van-der-pol', { initial: [1e12, 1e12], trajectories: 2, points: 5 }),
    /sampleSystem: van-der-pol from this initial state does not stay finite/);
  const ok = ode.sampleSystem('van-der-pol', { initial: [1, 0], trajectories: 1, points: 5 });
  assert.ok(ok.trajectories[0].states.every(Number.isFinite));
});

test('loss, parameters and setParameters (copies; bad input refused)', () => {
  const tr = toggleTrainer();
  const p = tr.parameters();
  assert.ok(p instanceof Float64Array);
  p[0] += 100; // a copy: the trainer does not see this
  assert.notEqual(tr.parameters()[0], p[0]);
  const l0 = tr.loss();
  tr.setParameters(p);
  assert.notEqual(tr.loss(), l0);
  const snap = snapshot(tr);
  assert.throws(() => tr.setParameters(p.subarray(1)), /expected \d+ parameters, got \d+/);
  const nan = p.slice();
  nan[2] = NaN;
  assert.throws(() => tr.setParameters(nan), /finite/);
  assert.throws(() => tr.setParameters('abc'), /parameters must be/);
  assert.equal(snapshot(tr), snap);
  tr.delete();
});

test('gradient: each method, unknown methods refused', () => {
  const tr = toggleTrainer({ solver: { rtol: 1e-9, atol: 1e-9 } });
  const g = tr.gradient('adjoint');
  assert.equal(g.length, tr.parameters().length);
  for (const m of ['checkpointed', 'direct']) {
    const h = tr.gradient(m);
    let d = 0, n = 0;
    for (let i = 0; i < g.length; i++) { d += (g[i] - h[i]) ** 2; n += g[i] ** 2; }
    assert.ok(Math.sqrt(d / n) < 1e-5, m);
  }
  assert.throws(() => tr.gradient('magic'), /unknown gradient method 'magic'/);
  tr.delete();
});

test('integrate: forward and backward from z0, NaN-free; bad input refused', () => {
  const tr = toggleTrainer();
  const r = tr.integrate([1, 2], [0, 0.5, -0.5, 1]);
  assert.equal(r.status, 'success');
  assert.equal(r.states.length, 8);
  assert.deepEqual(Array.from(r.states.subarray(0, 2)), [1, 2]);
  const fwd = tr.integrate([1, 2], [0, 0.5, 1]);
  assert.ok(Math.abs(fwd.states[2] - r.states[2]) < 1e-12);
  const back = tr.integrate([1, 2], [-0.5], 0); // explicit t0
  assert.ok(Math.abs(back.states[0] - r.states[4]) < 1e-12);
  assert.throws(() => tr.integrate([1], [0, 1]), /z0 must hold dim = 2/);
  assert.throws(() => tr.integrate([1, NaN], [0, 1]), /z0\[1\] is not finite/);
  assert.throws(() => tr.integrate([1, 2], [0, 1, 1]), /strictly monotone/);
  assert.throws(() => tr.integrate([1, 2], []), /at least one time/);
  tr.delete();
});

test('field and sampleGrid: values match each other; bad grids refused', () => {
  const tr = toggleTrainer();
  const v = tr.field([1, 2, 3, 0.5]);
  assert.equal(v.length, 4);
  const grid = tr.sampleGrid({ xmin: 0, xmax: 3, ymin: 0, ymax: 2, nx: 4, ny: 3 });
  assert.ok(grid instanceof Float32Array);
  assert.equal(grid.length, 4 * 3 * 2);
  // Point (x = 1, y = 2) is row 2, column 1.
  const k = (2 * 4 + 1) * 2;
  assert.ok(Math.abs(grid[k] - v[0]) < 1e-5 * (1 + Math.abs(v[0])));
  assert.ok(Math.abs(grid[k + 1] - v[1]) < 1e-5 * (1 + Math.abs(v[1])));
  const grid64 = tr.sampleGrid({ xmin: 0, xmax: 3, ymin: 0, ymax: 2, nx: 4, ny: 3, precision: 'float64' });
  for (let i = 0; i < grid.length; i++) assert.ok(Math.abs(grid[i] - grid64[i]) <= 1e-5 * (1 + Math.abs(grid64[i])));
  assert.throws(() => tr.sampleGrid({ precision: 'half' }), /precision/);
  assert.throws(() => tr.sampleGrid({ nx: 1 }), /nx must be a whole number/);
  assert.throws(() => tr.sampleGrid({ xmin: 1, xmax: 0 }), /xmax > xmin/);
  assert.throws(() => tr.sampleGrid({ t: NaN }), /t must be a finite number/);
  assert.throws(() => tr.field([1, 2, 3]), /m × dim/);
  assert.throws(() => tr.field([1, NaN]), /finite/);
  tr.delete();
});

test('sampleGrid float32: the points-in-lanes kernels (SIMD128) agree with the former path and with float64, odd sizes', () => {
  for (const cfg of [{ hidden: [50], input: 'cube' }, { hidden: [32, 32] }, { hidden: [33, 7] }, { hidden: [5] }]) {
    const tr = new ode.Trainer(cfg);
    const view = { xmin: -2, xmax: 3, ymin: -1, ymax: 2, nx: 37, ny: 11 };
    ode.laneKernels(false);
    const rows = tr.sampleGrid({ ...view, precision: 'float32' });
    ode.laneKernels(true);
    const lanes = tr.sampleGrid({ ...view, precision: 'float32' });
    const f64 = tr.sampleGrid({ ...view, precision: 'float64' });
    const scale = Math.max(...f64.map(Math.abs));
    for (let i = 0; i < f64.length; i++) {
      assert.ok(Math.abs(lanes[i] - rows[i]) <= 1e-5 * scale, `${JSON.stringify(cfg)} entry ${i}: ${lanes[i]} vs ${rows[i]}`);
      assert.ok(Math.abs(lanes[i] - f64[i]) <= 1e-5 * scale, `${JSON.stringify(cfg)} entry ${i}: ${lanes[i]} vs ${f64[i]}`);
    }
    tr.delete();
  }
  assert.equal(ode.laneKernels(), true);
});

test('training through the float64 points-in-lanes kernels (SIMD128; one and two hidden layers) follows the former row path to rounding', () => {
  const spiral = ode.sampleSystem('spiral', { trajectories: 1, points: 200, regular: true, tEnd: 10, initial: [2, 0] }).trajectories;
  for (const cfg of [{ hidden: [50], input: 'cube', solver: { method: 'rk4' }, gradient: 'direct' },
    { hidden: [7], timeDependent: true, gradient: 'adjoint' },
    {}, // the page's defaults: 2-32-32-2, dopri5, checkpointed (two hidden layers)
    { hidden: [9, 13], timeDependent: true, gradient: 'direct' }]) {
    const losses = [];
    for (const lanes of [false, true]) {
      ode.laneTraining(lanes);
      const tr = new ode.Trainer({ ...cfg, seed: 3, batch: { size: 7, window: 5 } });
      for (const t of spiral) tr.addTrajectory(t.times, t.states);
      const l = [];
      for (let i = 0; i < 15; i++) l.push(tr.step().loss);
      losses.push(l);
      tr.delete();
    }
    ode.laneTraining(true);
    for (let i = 0; i < losses[0].length; i++)
      assert.ok(Math.abs(losses[1][i] - losses[0][i]) <= 1e-9 * Math.abs(losses[0][i]), `${JSON.stringify(cfg)} step ${i}: ${losses[1][i]} vs ${losses[0][i]}`);
  }
  assert.equal(ode.laneTraining(), true);
});

test('toJSON / fromJSON round trip; malformed documents refused with reasons', () => {
  const tr = toggleTrainer();
  tr.step(5);
  const doc = tr.toJSON();
  assert.equal(doc.format, 'neural-ode-model');
  assert.equal(doc.version, 6);
  assert.equal(doc.config.optimizer.halfLife, 2000);
  assert.equal(doc.average.steps, 5);
  assert.equal(doc.average.parameters.length, doc.parameters.length);
  const copy = ode.Trainer.fromJSON(doc);
  assert.deepEqual(copy.parameters(), tr.parameters());
  assert.deepEqual(copy.field([1, 1]), tr.field([1, 1]));
  assert.equal(copy.iteration(), 5);
  const fromText = ode.Trainer.fromJSON(JSON.stringify(doc));
  assert.deepEqual(fromText.toJSON(), doc);
  for (const [d, msg] of [
    ['nope', /not valid JSON/],
    [{ ...doc, format: 'x' }, /not a model document/],
    [{ ...doc, version: 7 }, /version 7 is not supported/],
    [{ ...doc, parameters: doc.parameters.slice(1) }, /'parameters' has/],
    [{ ...doc, config: { ...doc.config, solver: { method: 'rk45' } } }, /rk45/],
    [null, /must be an object or a JSON string/],
  ])
    assert.throws(() => ode.Trainer.fromJSON(d), msg);
  for (const t of [tr, copy, fromText]) t.delete();
});

test('toPacked / fromPacked: the same document bit for bit, far smaller than its JSON; damaged bytes refused, nothing changed', () => {
  const tr = toggleTrainer();
  tr.step(5);
  const bytes = tr.toPacked();
  assert.ok(bytes instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 8)), 'NDEPACK1');
  const p = tr.parameters().length;
  assert.ok(bytes.length < 4 * 8 * p + 4096, `${bytes.length} bytes`);
  const copy = ode.Trainer.fromPacked(bytes);
  assert.deepEqual(copy.toJSON(), tr.toJSON());
  assert.deepEqual(copy.toPacked(), bytes);
  const fromBuffer = ode.Trainer.fromPacked(bytes.buffer);
  assert.deepEqual(fromBuffer.toPacked(), bytes);
  fromBuffer.delete();
  assert.equal(copy.iteration(), 5);
  // Both train on alike (optimiser moments, sampler and average came along).
  const data = ode.sampleSystem('toggle', { trajectories: 4, points: 15, seed: 2 }).trajectories; // toggleTrainer's
  for (const t of data) copy.addTrajectory(t.times, t.states);
  tr.step(3);
  copy.step(3);
  assert.deepEqual(copy.parameters(), tr.parameters());
  const before = snapshot(copy);
  const flow = new ode.DensityTrainer({ hidden: [4] });
  for (const [b, msg] of [
    [bytes.subarray(0, bytes.length - 1), /packed model document is truncated/],
    [bytes.subarray(0, 10), /truncated: 10 bytes/],
    [new Uint8Array(8), /not a packed model document/],
    [flow.toPacked(), /not a model document/],
    [[1, 2, 3], /must be a Uint8Array or ArrayBuffer/],
  ])
    assert.throws(() => ode.Trainer.fromPacked(b), msg);
  assert.deepEqual(snapshot(copy), before); // a failed load elsewhere changes nothing here
  const flowCopy = ode.DensityTrainer.fromPacked(flow.toPacked());
  assert.deepEqual(flowCopy.toJSON(), flow.toJSON());
  for (const t of [tr, copy, flow, flowCopy]) t.delete();
});

test('lossPiece: the loss in pieces of a few solver steps equals loss() bit for bit; changed weights start it over', () => {
  const tr = toggleTrainer();
  tr.step(3);
  for (const trajectory of [undefined, 1]) {
    const want = tr.loss(trajectory === undefined ? {} : { trajectory });
    let r, pieces = 0, nfe = 0;
    do {
      r = tr.lossPiece({ maxSolverSteps: 1, ...(trajectory === undefined ? {} : { trajectory }) });
      pieces++;
      if (!r.done) {
        assert.ok(Number.isNaN(r.loss));
        assert.ok(r.nfeForward >= nfe);
        nfe = r.nfeForward;
      }
    } while (!r.done);
    assert.ok(pieces > 1, `${pieces} pieces`);
    assert.equal(r.loss, want);
  }
  // Begun, then a step changes the weights: the next pieces compute the new weights' loss.
  assert.equal(tr.lossPiece({ maxSolverSteps: 1 }).done, false);
  tr.step(1);
  let r;
  do r = tr.lossPiece({ maxSolverSteps: 1 });
  while (!r.done);
  assert.equal(r.loss, tr.loss());
  assert.throws(() => tr.lossPiece({ trajectory: 99 }), /trajectory/);
  assert.throws(() => tr.lossPiece({ maxSolverSteps: 0 }), /maxSolverSteps/);
  tr.delete();
});

test('reset: fresh weights from the seed, data kept', () => {
  const tr = toggleTrainer();
  const p0 = tr.parameters();
  tr.step(5);
  assert.notDeepEqual(tr.parameters(), p0);
  tr.reset();
  assert.deepEqual(tr.parameters(), p0);
  assert.equal(tr.iteration(), 0);
  assert.equal(tr.trajectoryCount(), 4);
  tr.reset(9);
  assert.notDeepEqual(tr.parameters(), p0);
  assert.throws(() => tr.reset(-1), /seed/);
  tr.delete();
});

test('a deleted trainer throws on every call; delete twice is harmless', () => {
  const tr = toggleTrainer();
  tr.delete();
  tr.delete();
  assert.ok(tr.isDeleted());
  for (const call of [() => tr.config(), () => tr.step(), () => tr.loss(), () => tr.parameters(), () => tr.addTrajectory([0, 1], [0, 0, 1, 1]),
    () => tr.integrate([0, 0], [0, 1]), () => tr.sampleGrid(), () => tr.toJSON(), () => tr.gradient()])
    assert.throws(call, /has been deleted/);
});

test('an object deleted by a getter of its own call\'s arguments: an Error that says so, nothing run, nothing leaked', () => {
  const live = ode.liveTrainers();
  const tr = toggleTrainer();
  assert.throws(() => tr.step(1, { get maxMillis() { tr.delete(); return 1000; } }),
    /^Error: the object was deleted while the call read its arguments \(a getter called delete\(\)\); nothing ran$/);
  assert.ok(tr.isDeleted());
  const other = toggleTrainer();
  assert.throws(() => other.field({ length: 2, get 0() { other.delete(); return 0; }, 1: 0 }), /deleted while the call read its arguments/);
  assert.equal(ode.liveTrainers(), live);
});
