// No leaks: create/step/delete cycles and a long training run leave the wasm heap where it settled.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ode } from './helpers.mjs';

const DATA = ode.sampleSystem('toggle', { trajectories: 2, points: 6, seed: 3 }).trajectories;
const SMALL = { hidden: [4], solver: { method: 'rk4' }, gradient: 'direct', batch: { size: 1, window: 2 } };

function cycle() {
  const tr = new ode.Trainer(SMALL);
  for (const t of DATA) tr.addTrajectory(t.times, t.states);
  tr.step();
  tr.field([1, 1]);
  tr.integrate([1, 1], [0, 1]);
  tr.sampleGrid({ nx: 4, ny: 4 });
  tr.toJSON();
  ode.Trainer.fromPacked(tr.toPacked()).delete();
  tr.lossPiece({ maxSolverSteps: 1 }); // a loss left under way goes with the trainer
  tr.delete();
}

test('10,000 create/step/delete cycles leave the heap where it settled after the first few hundred', () => {
  const live = ode.liveTrainers();
  for (let i = 0; i < 300; i++) cycle();
  const settled = ode.heapBytes();
  for (let i = 0; i < 9700; i++) cycle();
  assert.equal(ode.heapBytes(), settled);
  assert.equal(ode.liveTrainers(), live);
});

test('100,000 training steps leave the heap where it settled', () => {
  const tr = new ode.Trainer(SMALL);
  for (const t of DATA) tr.addTrajectory(t.times, t.states);
  tr.step(500);
  const settled = ode.heapBytes();
  for (let i = 0; i < 99; i++) assert.equal(tr.step(1000).status, 'success');
  assert.equal(tr.iteration(), 99500);
  assert.equal(ode.heapBytes(), settled);
  tr.delete();
});
