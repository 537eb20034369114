// The torchdiffeq ode_demo replica trains through the JS API to the same quality as natively:
// full-trajectory mean-abs error <= 0.08 (best of checks every 50 iterations) within 2000 iterations.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ode } from './helpers.mjs';

test('spiral replica reaches mean-abs error <= 0.08 within 2000 iterations', () => {
  const tr = new ode.Trainer({
    hidden: [50], input: 'cube', initStd: 0.1, initOutput: 1, normalize: false, seed: 0,
    solver: { method: 'rk4' }, gradient: 'direct',
    // torchdiffeq's demo reports the iterate itself: no parameter average
    optimizer: { name: 'rmsprop', lr: 1e-3, average: 0 }, batch: { size: 20, window: 10 }, loss: 'l1',
  });
  // torchdiffeq's data: 1000 evenly spaced times on [0, 25] from (2, 0).
  const [data] = ode.sampleSystem('spiral', { trajectories: 1, points: 1000, regular: true, tEnd: 25, initial: [2, 0] }).trajectories;
  const times = data.times;
  tr.addTrajectory(times, data.states);
  const z0 = data.states.subarray(0, 2);
  let best = Infinity;
  let at = -1;
  for (let it = 50; it <= 2000 && best > 0.08; it += 50) {
    const r = tr.step(50);
    assert.equal(r.status, 'success');
    const pred = tr.integrate(z0, times).states;
    let mae = 0;
    for (let i = 0; i < pred.length; i++) mae += Math.abs(pred[i] - data.states[i]);
    mae /= pred.length;
    if (mae < best) { best = mae; at = it; }
  }
  tr.delete();
  assert.ok(best <= 0.08, `best mean-abs error ${best} at iteration ${at}`);
});
