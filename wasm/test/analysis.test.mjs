// Phase portraits, gradient truth and ensembles through the JS API.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ode, snapshot, toggleTrainer } from './helpers.mjs';

test('analyzeSystem: the toggle switch has two stable nodes and a saddle, basins on the 64 × 64 view', () => {
  const p = ode.analyzeSystem('toggle');
  assert.equal(p.summary, '2 stable nodes + 1 saddle');
  assert.deepEqual(p.equilibria.map((e) => e.type), ['stable node', 'saddle', 'stable node']);
  const saddle = p.equilibria[1];
  assert.ok(Math.abs(saddle.x ** 4 + saddle.x - 4) < 1e-9); // on the diagonal where u⁴ + u = 4
  assert.equal(saddle.eigenvalues.length, 2);
  assert.ok(saddle.eigenvalues[0].re > 0 && saddle.eigenvalues[1].re < 0);
  assert.ok(p.basins instanceof Int32Array);
  assert.equal(p.basins.length, 64 * 64);
  assert.deepEqual(p.attractors, [{ kind: 'equilibrium', index: 0 }, { kind: 'equilibrium', index: 2 }]);
  const counts = [0, 0];
  for (const l of p.basins) if (l >= 0) counts[l]++;
  assert.ok(counts[0] > 1900 && counts[1] > 1900, `basin sizes ${counts}`);
  assert.ok(p.nullclines.x.length > 0 && p.nullclines.x.length % 4 === 0);
  assert.equal(p.separatrices.length, 4);
  assert.throws(() => ode.analyzeSystem('lorenz'), /unknown system/);
  assert.throws(() => ode.analyzeSystem('toggle', { nx: 1000 }), /\[8, 256\]/);
  assert.throws(() => ode.analyzeSystem('toggle', { xmin: NaN }), /xmin must be a finite number/);
});

test('analyzeSystem: Van der Pol has one stable limit cycle of period 6.663', () => {
  const p = ode.analyzeSystem('van-der-pol');
  assert.equal(p.summary, '1 unstable focus + 1 stable limit cycle');
  assert.ok(Math.abs(p.cycles[0].period - 6.6633) < 1e-3);
  assert.ok(p.cycles[0].stable && p.cycles[0].multiplier < 0.01);
  assert.equal(p.cycles[0].points.length % 2, 0);
});

test('Trainer.analyze: the learned portrait with the true one and a verdict; bad calls change nothing', () => {
  const tr = toggleTrainer({ hidden: [16, 16] }, { trajectories: 6, points: 20 });
  tr.step(20);
  const view = { ...ode.systemInfo('toggle').bounds, nx: 32, ny: 32 };
  const r = tr.analyze(view, { truth: 'toggle' });
  assert.equal(r.basins.length, 32 * 32);
  assert.equal(r.truth.summary, '2 stable nodes + 1 saddle');
  assert.equal(typeof r.comparison.verdict, 'string');
  assert.ok(r.comparison.verdict.length > 10);
  // NaN when a side has no attractor (a barely trained model may have none): nothing to compare
  if (r.attractors.length === 0) assert.ok(Number.isNaN(r.comparison.basinAgreement));
  else assert.ok(r.comparison.basinAgreement >= 0 && r.comparison.basinAgreement <= 1);
  assert.equal(r.comparison.attractorMatch.length, r.attractors.length);
  assert.ok(r.millis > 0);
  const before = snapshot(tr);
  assert.throws(() => tr.analyze({ nx: 4 }), /\[8, 256\]/);
  assert.throws(() => tr.analyze(view, { truth: 'lorenz' }), /unknown system/);
  assert.throws(() => tr.analyze(null), /analyze must be an object/);
  assert.equal(snapshot(tr), before);
  tr.delete();
  assert.throws(() => tr.analyze(view), /deleted/);
});

test('Trainer.gradientTruth: every method agrees with central differences to the printed tolerance', () => {
  const tr = toggleTrainer({}, { trajectories: 3, points: 12 });
  tr.step(10);
  const before = snapshot(tr);
  const g = tr.gradientTruth({ coordinates: 4 });
  assert.equal(snapshot(tr), before);
  assert.equal(g.status, 'success');
  assert.equal(g.coordinates.length, 4);
  assert.equal(g.finiteDifferences.length, 4);
  assert.deepEqual(g.methods.map((m) => m.method), ['adjoint', 'checkpointed', 'direct']);
  for (const m of g.methods) {
    assert.ok(m.agrees, `${m.method}: ${m.relToFd}`);
    assert.ok(m.relToFd <= g.tolerance);
    assert.ok(m.nfeForward > 0 && m.nfeBackward > 0);
    assert.equal(m.values.length, 4);
  }
  assert.equal(g.methods[2].relToDirect, 0);
  const empty = new ode.Trainer();
  assert.throws(() => empty.gradientTruth(), /no trajectories/);
  assert.throws(() => tr.gradientTruth({ coordinates: 0 }), /\[1, 64\]/);
  empty.delete();
  tr.delete();
});

test('Ensemble: members train on the same data; disagreement grid; bad input refused', () => {
  const live = ode.liveTrainers();
  const e = new ode.Ensemble({ hidden: [8] }, 3);
  assert.equal(e.size(), 3);
  assert.equal(ode.liveTrainers(), live + 1);
  const s = ode.sampleSystem('toggle', { trajectories: 3, points: 10 });
  for (const t of s.trajectories) e.addTrajectory(t.times, t.states);
  assert.throws(() => e.addTrajectory([0, 1], [0, 0, 0]), /states must hold/);
  const r = e.step(3);
  assert.equal(r.status, 'success');
  assert.equal(e.iteration(), 3);
  const d = e.disagreementGrid({ xmin: 0, xmax: 4, ymin: 0, ymax: 4, nx: 8, ny: 8 });
  assert.ok(d instanceof Float32Array);
  assert.equal(d.length, 64);
  for (const v of d) assert.ok(Number.isFinite(v) && v >= 0);
  assert.throws(() => new ode.Ensemble({}, 1), /members must be a whole number in \[2, 16\]/);
  assert.throws(() => new ode.Ensemble({ hidden: [0] }, 3), /hidden/);
  e.delete();
  assert.equal(ode.liveTrainers(), live);
  assert.throws(() => e.step(), /deleted/);
});

/** Runs a job in pieces of `ms` each (counted) to the end; its result. The job is deleted. */
function inPieces(job, ms) {
  let pieces = 1;
  while (!job.run({ maxMillis: ms })) pieces++;
  const r = job.result();
  job.delete();
  return { r, pieces };
}

test('Trainer.analyzeJob: the portrait in pieces of one unit is analyze()\'s; the trainer trains meanwhile; bad calls throw', () => {
  const tr = toggleTrainer({ hidden: [16, 16] }, { trajectories: 6, points: 20 });
  tr.step(20);
  const view = { ...ode.systemInfo('toggle').bounds, nx: 32, ny: 32 };
  const whole = tr.analyze(view, { truth: 'toggle', maxMillis: 60000 });
  const job = tr.analyzeJob(view, { truth: 'toggle', maxMillis: 60000 });
  assert.equal(job.run({ maxMillis: 1 }), false);
  assert.throws(() => job.result(), /not finished/);
  tr.step(3); // the job works on its own copy of the model
  // Pieces of 1 µs: one unit each (a grid row, a seed, a few flow steps…), so the split does not depend on the machine.
  const { r, pieces } = inPieces(job, 0.001);
  assert.ok(pieces > 32 + 48, `${pieces} pieces`);
  for (const k of ['summary', 'equilibria', 'cycles', 'attractors', 'separatrices', 'timeUnit', 'complete', 'comparison'])
    assert.deepEqual(r[k], whole[k], k);
  assert.deepEqual(Array.from(r.basins), Array.from(whole.basins));
  assert.deepEqual(Array.from(r.nullclines.x), Array.from(whole.nullclines.x));
  assert.deepEqual(Array.from(r.truth.basins), Array.from(whole.truth.basins));
  assert.throws(() => tr.analyzeJob(view, { truth: 'lorenz' }), /unknown system/);
  assert.throws(() => tr.analyzeJob({ ...view, nx: 4 }), /\[8, 256\]/);
  const early = tr.analyzeJob(view);
  early.delete(); // dropped before it finished: nothing leaks
  assert.throws(() => early.run(), /deleted/);
  // A budget spent before the basin stage: an incomplete portrait with no basins (empty, not nx·ny labels; the page
  // draws none).
  const { r: cut } = inPieces(tr.analyzeJob(view, { maxMillis: 0.001 }), 0.001);
  assert.equal(cut.complete, false);
  assert.ok(cut.basins instanceof Int32Array);
  assert.equal(cut.basins.length, 0);
  tr.delete();
});

test('Trainer.gradientTruthJob and memorySweepJob: in pieces, the one-call results', () => {
  const tr = toggleTrainer({ hidden: [16, 16] }, { trajectories: 4, points: 15 });
  tr.step(5);
  const whole = tr.gradientTruth({ coordinates: 3 });
  const { r, pieces } = inPieces(tr.gradientTruthJob({ coordinates: 3 }), 0.01);
  assert.ok(pieces > 6, `${pieces} pieces`);
  assert.equal(r.status, 'success');
  assert.deepEqual(r.coordinates, whole.coordinates);
  assert.deepEqual(Array.from(r.finiteDifferences), Array.from(whole.finiteDifferences));
  for (let m = 0; m < 3; m++) {
    assert.deepEqual(Array.from(r.methods[m].values), Array.from(whole.methods[m].values));
    assert.equal(r.methods[m].nfeForward, whole.methods[m].nfeForward);
  }
  const sweep = tr.memorySweep([20, 200]);
  const { r: points, pieces: p2 } = inPieces(tr.memorySweepJob([20, 200]), 0.01);
  assert.ok(p2 > 200, `${p2} pieces`);
  const strip = (ps) => ps.map(({ millis, ...p }) => p);
  assert.deepEqual(strip(points), strip(sweep));
  assert.throws(() => tr.memorySweepJob([0]), /step count/);
  const empty = new ode.Trainer({});
  assert.throws(() => empty.gradientTruthJob(), /no trajectories/);
  empty.delete();
  tr.delete();
});
