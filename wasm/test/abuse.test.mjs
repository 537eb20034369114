// Seeded random abuse of the whole JS API: 20,000 calls with wrong types, NaN/Infinity, huge, negative and
// fractional numbers, hostile objects, byte-mutated documents and use after delete. Every call must either
// throw an Error with a message, leaving every object exactly as it was, or return a sane result; afterwards
// the module still trains and the largest free block of the wasm heap is what it was.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ode } from './helpers.mjs';

/** mulberry32: a small seeded generator. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('20,000 random hostile calls: clean Errors or sane results, nothing changed by a failure, module intact', () => {
  const rand = rng(20261128);
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const hostile = {};
  Object.defineProperty(hostile, 'length', { get() { throw new TypeError('hostile length'); } });
  const getterBomb = new Proxy({}, { get() { throw new RangeError('hostile getter'); } });
  const scalars = [undefined, null, NaN, Infinity, -Infinity, -1, 0, 1, 2, 3, 0.5, 2.5, -0.0, 2 ** 31, 2 ** 32 + 2, -(2 ** 32) + 4,
    2 ** 53 + 2, 1e12, 1e13, 1e200, -1e300, 5e-324, 1e-320, '', '3', 'x', true, false, Symbol('s'), 10n, () => 1];
  const arrays = () => {
    const n = pick([0, 1, 2, 3, 4, 6, 7, 8]);
    const big = rand() < 0.2;
    const xs = Array.from({ length: n }, () => (big ? pick([1e200, NaN, -Infinity, 1e13, 2]) : rand() * 4 - 2));
    return pick([xs, Float64Array.from(xs), Float32Array.from(xs), { length: n, ...xs }, [...xs, 'x'], hostile, getterBomb, new Float64Array(3)]);
  };
  const junk = () => (rand() < 0.45 ? pick(scalars) : rand() < 0.6 ? arrays() : pick([{}, [], getterBomb, hostile, { maxMillis: pick(scalars) }]));
  const budget = () => pick([undefined, { maxMillis: 5 }, { maxMillis: 1 }, { maxMillis: pick(scalars) }, getterBomb, null]);

  const tr = new ode.Trainer({ hidden: [4], seed: 3, solver: { maxSteps: 500 } });
  const s = ode.sampleSystem('toggle', { trajectories: 2, points: 8, seed: 1 });
  for (const t of s.trajectories) tr.addTrajectory(t.times, t.states);
  // Small step budgets keep every call cheap even after random steps have made the flows stiff.
  const dt = new ode.DensityTrainer({ hidden: [4], batch: { size: 8 }, seed: 3, solver: { rtol: 1e-3, atol: 1e-3, maxSteps: 60 } });
  dt.addSamples(ode.sampleDensity('two-moons', 16, 2));
  const modelText = JSON.stringify(tr.toJSON());
  const densityText = JSON.stringify(dt.toJSON());
  const configText = JSON.stringify(tr.config());
  const dead = new ode.Trainer({ hidden: [2] });
  dead.delete();

  /** A byte-mutated copy of a document: flipped, inserted and deleted characters, spliced hostile tokens. */
  function mutate(text) {
    let out = text;
    const edits = 1 + Math.floor(rand() * 4);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rand() * out.length);
      const token = pick(['1e400', '-1', '4294967297', '2.5', 'null', '"x"', '[', ']', '{', '}', ',', '9007199254740993', '1e-320', '[[[[[[[[', '-0', 'true']);
      const r = rand();
      if (r < 0.3) out = out.slice(0, at) + token + out.slice(at + 1);
      else if (r < 0.6) out = out.slice(0, at) + token + out.slice(at);
      else if (r < 0.8) out = out.slice(0, at) + out.slice(at + 1 + Math.floor(rand() * 8));
      else out = out.slice(0, at) + String.fromCharCode(32 + Math.floor(rand() * 95)) + out.slice(at + 1);
    }
    return out;
  }
  const docs = () => pick([mutate(modelText), mutate(densityText), mutate(configText), junk(), JSON.parse(modelText), '['.repeat(40) + ']'.repeat(40)]);

  const created = [];
  const calls = [
    () => tr.step(pick([1, 2, ...scalars]), budget()),
    () => dt.step(pick([1, ...scalars]), budget()),
    () => tr.addTrajectory(junk(), junk()),
    () => tr.addTrajectory(pick([[0, 1], [0, 1, 2]]), arrays()),
    () => dt.addSamples(junk()),
    () => tr.loss(budget()),
    () => tr.gradient(pick(['adjoint', 'direct', 'checkpointed', ...scalars]), budget()),
    () => tr.integrate(junk(), junk(), pick([undefined, ...scalars]), budget()),
    () => tr.integrate([1, 1], arrays(), undefined, budget()),
    () => tr.field(junk(), pick([0, ...scalars])),
    () => tr.sampleGrid(pick([undefined, junk(), { nx: pick(scalars), ny: 4 }, { xmin: pick(scalars), nx: 8, ny: 8 }, { nx: 16, ny: 16, maxMillis: pick([1, 5]) }])),
    () => tr.setParameters(junk()),
    () => tr.setParameters(Float64Array.from(tr.parameters(), (x) => x * pick([1, NaN, 1e300, 1e9]))),
    () => tr.reset(pick([0, 1, ...scalars])),
    () => dt.nll(budget()),
    () => dt.sample(pick([1, 5, ...scalars]), pick([0, 0.5, 1, ...scalars]), pick([0, ...scalars]), budget()),
    () => dt.logDensity(junk(), budget()),
    () => dt.logDensityGrid(pick([{ nx: 3, ny: 3 }, { nx: 3, ny: pick(scalars) }, { xmin: pick(scalars), nx: 2, ny: 2 }, { nx: 3, ny: 3, maxMillis: pick(scalars) }, getterBomb, hostile, null, 5])),
    () => dt.setParameters(junk()),
    () => created.push(ode.Trainer.fromJSON(docs())),
    () => created.push(ode.DensityTrainer.fromJSON(docs())),
    () => created.push(new ode.Trainer(docs())),
    () => created.push(new ode.DensityTrainer(pick([junk(), { hidden: [pick(scalars)] }, { tEnd: pick(scalars) }, mutate(configText)]))),
    () => ode.sampleSystem(pick(['toggle', 'spiral', ...scalars]), pick([undefined, junk(), { trajectories: pick(scalars), points: 3 }, { initial: junk(), points: 3, trajectories: 1 }, { points: 3, trajectories: 1, tEnd: pick(scalars) }])),
    () => ode.systemField(pick(['toggle', 'nope', ...scalars]), junk()),
    () => ode.sampleDensity(pick(['rings', 'nope', ...scalars]), pick([1, 3, ...scalars]), pick([0, ...scalars])),
    () => ode.systemInfo(junk()),
    () => dead[pick(['step', 'loss', 'toJSON', 'parameters', 'field', 'addTrajectory', 'config', 'sampleGrid'])](junk()),
  ];

  // Everything observable: documents (θ, optimiser, sampler stream, iteration) and data counts. Cheap
  // fields are compared after every failure, whole documents after every 8th (they cost a JSON round trip).
  const quick = () => JSON.stringify([Array.from(tr.parameters()), tr.iteration(), tr.trajectoryCount(), Array.from(dt.parameters()), dt.iteration(), dt.sampleCount()]);
  const state = () => quick() + JSON.stringify([tr.toJSON(), dt.toJSON()]);
  const before = ode.largestFreeBlock();
  let snap = state();
  let errors = 0, results = 0;
  const N = 20000;
  const baseData = () => {
    tr.clearTrajectories();
    for (const t of s.trajectories) tr.addTrajectory(t.times, t.states);
    dt.clearSamples();
    dt.addSamples(ode.sampleDensity('two-moons', 16, 2));
  };
  for (let i = 0; i < N; i++) {
    if (i % 500 === 0) {
      baseData(); // keep each call cheap: successful adds must not pile up data
      snap = state();
    }
    const call = pick(calls);
    let result, error = null;
    try {
      result = call();
    } catch (e) {
      error = e;
    }
    if (error) {
      errors++;
      assert.ok(error instanceof Error, `call ${i}: threw a non-Error ${String(error)}`);
      assert.ok(error.message.length > 0 && error.message.length < 400, `call ${i}: message '${error.message.slice(0, 100)}'`);
      assert.doesNotMatch(error.message, /WebAssembly|RuntimeError|memory access|Aborted/, `call ${i}`);
      const now = errors % 8 === 0 ? state() : quick();
      assert.equal(now, errors % 8 === 0 ? snap : snap.slice(0, now.length), `call ${i} failed (${error.message}) but changed state`);
    } else {
      results++;
      if (result && typeof result === 'object' && 'status' in result)
        assert.ok(['success', 'max-steps', 'step-too-small', 'non-finite', 'time-limit'].includes(result.status), `call ${i}: status ${result.status}`);
      if (result instanceof Float64Array && call !== calls[9] && call !== calls[7] && call !== calls[8] && call !== calls[15])
        assert.ok(result.every((x) => Number.isFinite(x)), `call ${i}: non-finite numbers in a result`);
      snap = state();
    }
    while (created.length) created.pop().delete();
  }
  assert.ok(errors > N / 4 && results > N / 20, `${errors} errors, ${results} results`);
  // The instance still trains, and the heap is as it was.
  const fresh = new ode.Trainer({ hidden: [4] });
  for (const t of s.trajectories) fresh.addTrajectory(t.times, t.states);
  assert.equal(fresh.step(5).iterations, 5);
  fresh.delete();
  assert.equal(tr.step(2).status, 'success');
  assert.ok(Number.isFinite(dt.step(2).loss));
  tr.delete();
  dt.delete();
  assert.equal(ode.largestFreeBlock(), before);
});
