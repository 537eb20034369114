// Native and wasm agree: the same config, data and seed give the same losses after 100 steps (rel. diff <= 1e-6).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ode } from './helpers.mjs';

const NATIVE = process.env.NDE_NATIVE_LOSSES ?? fileURLToPath(new URL('../../build/tests/nde_native_losses', import.meta.url));

const CASES = [
  { name: 'toggle, adjoint, adam', system: 'toggle', config: { hidden: [16, 16], seed: 3, batch: { size: 8, window: 6 } } },
  { name: 'van der pol, direct rk4, rmsprop, l1, time-dependent', system: 'van-der-pol',
    config: { hidden: [12], seed: 5, timeDependent: true, solver: { method: 'rk4', stepSize: 0.05 }, gradient: 'direct',
      optimizer: { name: 'rmsprop', lr: 0.003 }, loss: 'l1' } },
  { name: 'spiral, checkpointed, softplus, regularised, augmented', system: 'spiral',
    config: { hidden: [10, 10], seed: 7, activation: 'softplus', augment: 1, gradient: 'checkpointed',
      regularization: { kinetic: 0.01, jacobian: 0.01 } } },
];

for (const c of CASES) {
  test(`native and wasm losses agree after 100 steps: ${c.name}`, () => {
    assert.ok(existsSync(NATIVE), `native helper missing at ${NATIVE} (build the native tree first)`);
    const data = ode.sampleSystem(c.system, { trajectories: 5, points: 25, seed: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'nde-agree-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(c.config));
    writeFileSync(join(dir, 'data.json'), JSON.stringify({
      trajectories: data.trajectories.map((t) => ({ times: Array.from(t.times), states: Array.from(t.states) })),
    }));
    const native = JSON.parse(execFileSync(NATIVE, [join(dir, 'config.json'), join(dir, 'data.json'), '100']).toString());
    const tr = new ode.Trainer(c.config);
    for (const t of data.trajectories) tr.addTrajectory(t.times, t.states);
    const wasm = [];
    for (let i = 0; i < 100; i++) wasm.push(tr.step().loss);
    tr.delete();
    assert.equal(native.length, 100);
    for (let i = 0; i < 100; i++) {
      const rel = Math.abs(native[i] - wasm[i]) / Math.max(Math.abs(native[i]), 1e-300);
      assert.ok(rel <= 1e-6, `step ${i + 1}: native ${native[i]} vs wasm ${wasm[i]} (rel ${rel})`);
    }
    assert.ok(wasm[99] < wasm[0], 'the losses fall');
  });
}
