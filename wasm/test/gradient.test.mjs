// Gradients through the JS API agree with central differences computed in JS on loss() / setParameters().
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ode, relErr, toggleTrainer } from './helpers.mjs';

function centralDifferences(tr, h = 1e-6) {
  const p = tr.parameters();
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const q = p.slice();
    q[i] = p[i] + h;
    tr.setParameters(q);
    const up = tr.loss();
    q[i] = p[i] - h;
    tr.setParameters(q);
    g[i] = (up - tr.loss()) / (2 * h);
  }
  tr.setParameters(p);
  return g;
}

for (const method of ['adjoint', 'checkpointed', 'direct']) {
  test(`${method} gradient matches central differences (rel. error <= 1e-5)`, () => {
    const tr = toggleTrainer({ hidden: [6, 6], timeDependent: true, solver: { rtol: 1e-11, atol: 1e-11 } }, { trajectories: 3, points: 6 });
    const fd = centralDifferences(tr);
    const g = tr.gradient(method);
    const err = relErr(g, fd);
    assert.ok(err <= 1e-5, `relative error ${err}`);
    tr.delete();
  });
}

test('backsolve with seminorm and its own backward tolerances matches central differences', () => {
  const tr = toggleTrainer({ hidden: [6, 6], gradient: 'adjoint',
    solver: { rtol: 1e-11, atol: 1e-11, adjointRtol: 1e-12, adjointAtol: 1e-12, seminorm: true } }, { trajectories: 3, points: 6 });
  const err = relErr(tr.gradient('adjoint'), centralDifferences(tr));
  assert.ok(err <= 1e-5, `relative error ${err}`);
  tr.delete();
});

test('checkpointed equals direct at default tolerances', () => {
  const tr = toggleTrainer({ hidden: [8, 8], solver: { checkpoints: 2 } });
  const err = relErr(tr.gradient('checkpointed'), tr.gradient('direct'));
  assert.ok(err <= 1e-10, `relative error ${err}`);
  tr.delete();
});

test('the checkpointed and direct gradients from the forward solve\'s kept stage passes equal the former path bit for bit', () => {
  // The page's defaults (jittered strokes: one joint solve read by dense output), a few training steps each way.
  const run = (kept) => {
    ode.stageTapes(kept);
    const tr = toggleTrainer({ hidden: [32, 32] }, { trajectories: 3, points: 60 });
    const losses = [];
    for (let i = 0; i < 5; i++) losses.push(tr.step().loss);
    const g = [...tr.gradient('checkpointed'), ...tr.gradient('direct')];
    tr.delete();
    return { losses, g };
  };
  const kept = run(true), recomputed = run(false);
  ode.stageTapes(true);
  assert.deepEqual(kept.losses, recomputed.losses);
  assert.deepEqual(Array.from(kept.g), Array.from(recomputed.g));
  assert.equal(ode.stageTapes(), true);
});
