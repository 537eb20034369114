// The density trainer through the JS API: errors, training lowers the NLL, sampling and density grids.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ode } from './helpers.mjs';

test('density presets sample finite points; unknown names refused', () => {
  assert.deepEqual(ode.densityPresets(), ['two-moons', 'rings', 'eight-gaussians', 'checkerboard', 'pinwheel', 'two-gaussians']);
  for (const name of ode.densityPresets()) {
    const p = ode.sampleDensity(name, 100, 1);
    assert.equal(p.length, 200);
    assert.ok(p.every(Number.isFinite), name);
  }
  assert.throws(() => ode.sampleDensity('spiral-galaxy'), /unknown density/);
});

test('DensityTrainer: config defaults, bad configs and samples refused without changes', () => {
  const d = new ode.DensityTrainer({ hidden: [8] });
  const c = d.config();
  assert.equal(c.tEnd, 1);
  assert.equal(c.trace, 'exact');
  assert.equal(c.timeDependent, true);
  assert.throws(() => new ode.DensityTrainer({ trace: 'magic' }), /unknown trace 'magic'/);
  assert.throws(() => new ode.DensityTrainer({ tEnd: 0 }), /tEnd/);
  assert.equal(d.addSamples(ode.sampleDensity('rings', 50, 2)), 50);
  assert.throws(() => d.addSamples([1, 2, 3]), /m × 2/);
  assert.throws(() => d.addSamples([1, NaN]), /points\[1\] is not finite/);
  assert.equal(d.sampleCount(), 50);
  assert.throws(() => d.sample(10, 2), /t must be in \[0, tEnd\]/);
  assert.throws(() => d.logDensityGrid({ nx: 1 }), /nx must be a whole number/);
  d.clearSamples();
  assert.throws(() => d.step(), /no samples/);
  d.delete();
  assert.throws(() => d.nll(), /has been deleted/);
});

test('training lowers the NLL; samples at t = 0 look Gaussian; the density grid integrates to about 1', () => {
  const d = new ode.DensityTrainer({ hidden: [16, 16], seed: 1, batch: { size: 128 }, solver: { rtol: 1e-4, atol: 1e-4 } });
  d.addSamples(ode.sampleDensity('two-gaussians', 1000, 3));
  const before = d.nll();
  const r = d.step(60);
  assert.equal(r.status, 'success');
  assert.equal(r.iteration, 60);
  const after = d.nll();
  assert.ok(after < before - 0.2, `NLL ${before} → ${after}`);
  const base = d.sample(2000, 0, 5).points;
  let m = 0, v = 0;
  for (let i = 0; i < base.length; i++) m += base[i] / base.length;
  for (let i = 0; i < base.length; i++) v += (base[i] - m) ** 2 / base.length;
  const grid = d.logDensityGrid({ xmin: -4.5, xmax: 4.5, ymin: -4.5, ymax: 4.5, nx: 61, ny: 61 });
  const h = 9 / 60;
  let mass = 0;
  for (const lp of grid) mass += Math.exp(lp) * h * h;
  assert.ok(Math.abs(mass - 1) < 0.05, `mass ${mass}`);
  // t = 0 is the (unnormalised) base: mean ≈ data offset, spread ≈ data's standard deviation / dataScale (2: a
  // variance of ~0.26 here); t = tEnd looks like the data.
  const top = d.sample(2000, 1, 5).points;
  let left = 0;
  for (let i = 0; i < top.length; i += 2) if (top[i] < 0) left++;
  assert.ok(left > 700 && left < 1300, `left half ${left}`);
  assert.ok(v > 0.15 && v < 0.4, `variance ${v}`);
  // The trained flow survives a JSON round trip.
  const doc = d.toJSON();
  assert.equal(doc.format, 'neural-ode-density');
  const copy = ode.DensityTrainer.fromJSON(JSON.stringify(doc));
  assert.deepEqual(copy.parameters(), d.parameters());
  assert.equal(copy.iteration(), 60);
  assert.deepEqual(copy.logDensity([0.5, 0.5]), d.logDensity([0.5, 0.5]));
  assert.throws(() => ode.DensityTrainer.fromJSON({ ...doc, parameters: [] }), /'parameters' has/);
  copy.delete();
  d.delete();
});

test('resumable density steps continue through what the page computes between its chunks (NLL, samples, grids) bit for bit', () => {
  const config = { hidden: [16, 16], batch: { size: 32 }, seed: 4 };
  const points = ode.sampleDensity('two-moons', 200, 3);
  const whole = new ode.DensityTrainer(config), split = new ode.DensityTrainer(config);
  whole.addSamples(points);
  split.addSamples(points);
  whole.step(3);
  let pieces = 0, nfe = 0;
  while (split.iteration() < 3) {
    const r = split.step(1000, { resumable: true, maxSolverSteps: 1 });
    assert.equal(r.status, 'success');
    pieces++;
    if (!r.suspended) {
      nfe = 0;
      continue;
    }
    // The forward work of the iteration under way only grows between its pieces: it is continued, not restarted.
    if (r.iterations === 0) assert.ok(r.pendingNfeForward >= nfe, `${nfe} -> ${r.pendingNfeForward}`);
    nfe = r.pendingNfeForward;
    // What the worker runs between chunks: the whole-data NLL in parts, the heatmap, the flow's frames.
    split.logDensity(points.subarray(0, 64));
    split.logDensityGrid({ nx: 8, ny: 8 });
    split.sample(50, 0.5, 7);
    split.nll();
  }
  assert.ok(pieces > 6, `${pieces} pieces`);
  assert.deepEqual(split.parameters(), whole.parameters());
  assert.deepEqual(split.toJSON(), whole.toJSON());
  for (const t of [whole, split]) t.delete();
});
