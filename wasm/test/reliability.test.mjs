// Issue 11's reproducers: no call kills the module, no count wraps, no work runs unbounded, training resumes
// exactly. Every call that fails must throw an Error with a message, change nothing and leave the heap as it was.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ode, snapshot, toggleTrainer } from './helpers.mjs';

/** Runs `call` `times` times; each must throw an Error matching `msg`; the largest free block must not shrink. */
function refusedWithoutLeak(call, msg, times = 4) {
  const before = ode.largestFreeBlock();
  for (let i = 0; i < times; i++) {
    let caught = null;
    try {
      call();
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof Error, `expected an Error, got ${caught}`);
    assert.match(caught.message, msg);
  }
  assert.equal(ode.largestFreeBlock(), before, 'largest free heap block changed');
}

function densityWith(samples = 64) {
  const d = new ode.DensityTrainer({ hidden: [8], seed: 1 });
  d.addSamples(ode.sampleDensity('two-moons', samples, 1));
  return d;
}

test('1. memory exhaustion: huge grids, arrays and samples are refused (or cut by time) with Errors, no leak', () => {
  const tr = toggleTrainer();
  const snap = snapshot(tr);
  refusedWithoutLeak(() => tr.sampleGrid({ nx: 2048, ny: 2048, maxMillis: 20 }), /time budget/);
  refusedWithoutLeak(() => tr.field(new Float64Array(2e7)), /field would need about \d+ MiB; the limit is 256 MiB/);
  refusedWithoutLeak(() => ode.sampleSystem('spiral', { trajectories: 1000, points: 100000 }), /would need about \d+ MiB/);
  assert.equal(snapshot(tr), snap);
  const d = densityWith();
  refusedWithoutLeak(() => d.logDensity(new Float64Array(1e7), { maxMillis: 20 }), /time budget used up/, 2);
  refusedWithoutLeak(() => d.logDensityGrid({ nx: 2048, ny: 2048, maxMillis: 20 }), /time budget used up/, 2);
  assert.ok(Number.isFinite(d.nll()));
  d.delete();
  assert.ok(tr.step(2).iterations === 2);
  tr.delete();
});

test('2. a training step whose batch cannot fit in memory is refused before allocating', () => {
  const tr = new ode.Trainer({ hidden: [8], batch: { size: 4096, window: 100000, shooting: 0 } });
  const s = ode.sampleSystem('van-der-pol', { trajectories: 1, points: 20000, seed: 3, regular: true });
  tr.addTrajectory(s.trajectories[0].times, s.trajectories[0].states);
  const snap = snapshot(tr);
  refusedWithoutLeak(() => tr.step(1), /one training step .* would need about \d+ MiB.*lower batch.size or batch.window/, 2);
  assert.equal(snapshot(tr), snap);
  tr.delete();
});

test('3. bad JS values never reach the core: 26,000 refused calls, then the module still trains', () => {
  const throwing = {};
  Object.defineProperty(throwing, 'points', { get() { throw new TypeError('getter says no'); } });
  for (let i = 0; i < 13000; i++) {
    assert.throws(() => ode.sampleSystem('spiral', { initial: null }), /initial must be a Float64Array/);
    assert.throws(() => ode.sampleSystem('spiral', throwing), /getter says no/);
  }
  const tr = toggleTrainer();
  assert.equal(tr.step(3).iteration, 3);
  tr.delete();
});

test('4. deeply nested documents are refused before parsing; no leak over 3,000 calls', () => {
  const deep = '{"format":"neural-ode-density","version":1,"config":{"x":' + '['.repeat(5000) + ']'.repeat(5000) + '}}';
  refusedWithoutLeak(() => ode.DensityTrainer.fromJSON(deep), /nests deeper than 32 levels/, 3000);
  refusedWithoutLeak(() => new ode.Trainer('{"hidden":' + '['.repeat(100000) + ']'.repeat(100000) + '}'), /nests deeper/, 20);
  // Messages never echo a whole untrusted document.
  assert.throws(() => new ode.Trainer({ activation: 'x'.repeat(100000) }), (e) => e.message.length < 200);
});

test('5. counts never wrap modulo 2^32, and fractions are refused', () => {
  for (const hidden of [[4294967297], [-4294967292], [2.5], [1e12]])
    assert.throws(() => new ode.Trainer({ hidden }), /hidden width must be a whole number|each hidden width must be an integer in \[1, 1024\]/);
  assert.throws(() => new ode.Trainer({ dim: 1e12 }), /dim must be/);
  const tr = toggleTrainer();
  const doc = tr.toJSON();
  assert.throws(() => ode.Trainer.fromJSON({ ...doc, version: 4294967297 }), /version 4294967297 is not supported/);
  for (const iteration of [4294967301, 2 ** 53, 3e9]) {
    const t = ode.Trainer.fromJSON({ ...doc, iteration });
    assert.equal(t.iteration(), iteration);
    t.delete();
  }
  assert.throws(() => ode.Trainer.fromJSON({ ...doc, iteration: 2 ** 53 + 2 }), /iteration must be a whole number/);
  assert.throws(() => tr.sampleGrid({ nx: 2 ** 32 + 2 }), /nx must be a whole number in \[2, 2048\]/);
  assert.throws(() => ode.sampleDensity('rings', 2 ** 32 + 10), /n must be a whole number in \[1, 10000000\]/);
  assert.throws(() => ode.sampleSystem('toggle', { trajectories: 2.5 }), /trajectories must be a whole number/);
  assert.throws(() => tr.step(2 ** 32 + 1), /n must be a whole number/);
  assert.throws(() => tr.reset(2 ** 60), /seed must be a whole number/);
  const d = densityWith();
  assert.throws(() => d.sample(2 ** 32 + 1, 0), /n must be a whole number in \[1, 10000000\]/);
  d.delete();
  tr.delete();
});

test('6. values beyond the valid range are refused: data, points, parameters, scalings', () => {
  const d = densityWith();
  const dsnap = JSON.stringify(d.toJSON());
  assert.throws(() => d.addSamples([1e200, 1e200]), /magnitude at most 1e\+12/);
  assert.equal(d.sampleCount(), 64);
  assert.equal(JSON.stringify(d.toJSON()), dsnap);
  assert.ok(Number.isFinite(d.nll()));
  const doc = d.toJSON();
  assert.throws(() => ode.DensityTrainer.fromJSON({ ...doc, normalization: { ...doc.normalization, scale: [1e-320, 1] } }), /'scale' entry 0 must be a number in \[1e-09, 1e\+12\]/);
  const tr = toggleTrainer();
  const snap = snapshot(tr);
  assert.throws(() => tr.addTrajectory([0, 1], [1e200, 0, 1, 1]), /states\[0\] must be finite with magnitude at most 1e\+12/);
  assert.throws(() => tr.field([1e308, 0]), /points\[0\] must be finite with magnitude at most/);
  const p = tr.parameters();
  p[0] = 1e300;
  assert.throws(() => tr.setParameters(p), /parameters must be finite with magnitude at most 1e\+08/);
  assert.throws(() => ode.Trainer.fromJSON({ ...tr.toJSON(), parameters: Array.from(p) }), /'parameters' entry 0 must be a number/);
  assert.equal(snapshot(tr), snap);
  tr.delete();
  d.delete();
});

test('7b. field sampling keeps its budget on a big network: field, disagreementGrid and analyze stop a block past it', () => {
  // About 1 M parameters: a point's field costs ~0.17 ms here, so without the block-wise budget field(2e4 points) took
  // ~3.4 s, the ensemble's 128 × 128 grid ~5.6 s and analyze (its grids first) 2.8 s.
  const big = new ode.Trainer({ hidden: [1024, 1024], seed: 2 });
  const few = big.field([0.5, 0.25, -1, 2], 0, { maxMillis: 5000 });
  assert.equal(few.length, 4);
  const elapsed = (call) => { const t0 = performance.now(); call(); return performance.now() - t0; };
  let ms = elapsed(() => assert.throws(() => big.field(new Float64Array(4e4), 0, { maxMillis: 50 }),
    /field: the time budget of 50 ms ran out/));
  assert.ok(ms < 2000, `field took ${ms} ms on a 50 ms budget`);
  assert.throws(() => big.field([0, 0], 0, { maxMilis: 50 }), /unknown field options field 'maxMilis'/);
  let p = null;
  ms = elapsed(() => { p = big.analyze({ nx: 64, ny: 64 }, { maxMillis: 50 }); });
  assert.equal(p.complete, false);
  assert.ok(ms < 2000, `analyze took ${ms} ms on a 50 ms budget`);
  const job = big.analyzeJob({ nx: 64, ny: 64 }, { maxMillis: 50 });
  let runs = 0;
  ms = elapsed(() => { while (!job.run({ maxMillis: 20 })) runs++; });
  assert.equal(job.result().complete, false);
  assert.ok(ms < 2000, `the job's ${runs + 1} runs took ${ms} ms on a 50 ms budget`);
  job.delete();
  big.delete();
  const e = new ode.Ensemble({ hidden: [1024, 1024] }, 2);
  ms = elapsed(() => assert.throws(() => e.disagreementGrid({ nx: 128, ny: 128, maxMillis: 50 }),
    /disagreementGrid: the time budget of 50 ms ran out/));
  assert.ok(ms < 2000, `disagreementGrid took ${ms} ms on a 50 ms budget`);
  assert.equal(e.disagreementGrid({ nx: 2, ny: 2 }).length, 4);
  e.delete();
});

test('7. long calls have time budgets: step(1e6) returns the iterations done; an over-long iteration is discarded', () => {
  const tr = toggleTrainer();
  const r = tr.step(1e6, { maxMillis: 150 });
  // 'time-limit' only if the last iteration ran past the budget despite the estimate (a loaded machine).
  assert.ok(['success', 'time-limit'].includes(r.status), r.message);
  assert.ok(r.iterations > 0 && r.iterations < 1e6, `${r.iterations} iterations`);
  assert.equal(r.iteration, r.iterations);
  tr.delete();
  // Legal extremes: one iteration takes far longer than the budget.
  const big = new ode.Trainer({ hidden: [256, 256], solver: { rtol: 1e-14, atol: 1e-14, maxSteps: 1e7 }, gradient: 'direct', batch: { size: 4096 } });
  const s = ode.sampleSystem('van-der-pol', { trajectories: 1, points: 5000, seed: 1 });
  big.addTrajectory(s.trajectories[0].times, s.trajectories[0].states);
  const before = big.toJSON();
  const cut = big.step(1, { maxMillis: 200 });
  assert.equal(cut.status, 'time-limit');
  assert.equal(cut.iterations, 0);
  assert.match(cut.message, /one iteration costs more than the budget/);
  assert.deepEqual(big.toJSON(), before); // θ, optimiser, sampler stream untouched
  assert.throws(() => big.loss({ maxMillis: 50 }), /time budget used up/);
  assert.throws(() => big.step(1, { maxMillis: 0 }), /maxMillis must be a number/);
  big.delete();
  const d = densityWith(500);
  const sm = d.sample(1e6, 1, 0, { maxMillis: 50 });
  assert.equal(sm.status, 'time-limit');
  d.delete();
  // One huge trajectory: the budget is checked inside its solve too, not only between trajectories.
  assert.throws(() => ode.sampleSystem('van-der-pol', { trajectories: 1, points: 100000, tEnd: 10000, regular: true, maxMillis: 1 }),
    /sampleSystem: the time budget ran out after 0 of 1 trajectories/);
});

for (const kind of ['Trainer', 'DensityTrainer']) {
  test(`8. ${kind}: train 200, toJSON, fromJSON, train 200 equals train 400 (losses to 1e-12)`, () => {
    const make = () => {
      if (kind === 'Trainer') return toggleTrainer({ hidden: [8] }, { trajectories: 3, points: 12 });
      const d = new ode.DensityTrainer({ hidden: [8], batch: { size: 32 }, trace: 'hutchinson', seed: 2 });
      d.addSamples(ode.sampleDensity('rings', 200, 4));
      return d;
    };
    const losses = (t, n) => Array.from({ length: n }, () => t.step(1).loss);
    const a = make();
    const whole = losses(a, 400);
    const b = make();
    losses(b, 200);
    const c = ode[kind].fromJSON(JSON.stringify(b.toJSON()));
    assert.equal(c.notice, '');
    if (kind === 'Trainer') for (const t of ode.sampleSystem('toggle', { trajectories: 3, points: 12, seed: 2 }).trajectories) c.addTrajectory(t.times, t.states);
    else c.addSamples(ode.sampleDensity('rings', 200, 4));
    const resumed = losses(c, 200);
    for (let i = 0; i < 200; i++) assert.ok(Math.abs(resumed[i] - whole[200 + i]) <= 1e-12 * Math.abs(whole[200 + i]), `step ${200 + i}`);
    assert.deepEqual(c.parameters(), a.parameters());
    // A version-1 document (no optimiser state) still loads and says the optimiser restarts.
    const v1 = b.toJSON();
    v1.version = 1;
    delete v1.optimizer;
    delete v1.rng;
    const old = ode[kind].fromJSON(v1);
    assert.match(old.notice, /optimiser restarts/);
    for (const t of [a, b, c, old]) t.delete();
  });
}

test('9. minor: readable numbers in messages, array-likes accepted, no data means an Error, NaN points refused', () => {
  assert.throws(() => new ode.Trainer({ solver: { rtol: 2 } }), /solver.rtol must be a number in \[1e-14, 1\]$/);
  const tr = new ode.Trainer({ hidden: [4] });
  assert.equal(tr.addTrajectory({ length: 2, 0: 0, 1: 1 }, new Float32Array([0, 0, 1, 1])), 0);
  tr.clearTrajectories();
  assert.throws(() => tr.loss(), /no trajectories/);
  assert.throws(() => tr.gradient(), /no trajectories/);
  assert.throws(() => ode.systemField('toggle', [NaN, 1]), /points\[0\] is not finite/);
  tr.delete();
});
