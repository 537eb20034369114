// The module's heap as a whole (a file of its own: it fills the 2 GiB heap of its process). Each call's memory is
// checked against 256 MiB; many live objects could together still exhaust the heap, and an allocation that fails
// there cannot be recovered from (no C++ exceptions in the wasm build: it leaked the call's memory and, near the cap,
// aborted the instance). Calls are also checked against what is left of the heap.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ode } from './helpers.mjs';

test('trainers that together fill the heap: the next is refused with a clear Error, nothing leaks, the module trains on', () => {
  const n = 4e6;
  const times = Float64Array.from({ length: n }, (_, i) => i * 1e-3), states = new Float64Array(2 * n);
  const keep = [];
  let refused = null;
  while (!refused && keep.length < 100) {
    const t = new ode.Trainer({ hidden: [2] });
    try {
      t.addTrajectory(times, states);
      keep.push(t);
    } catch (e) {
      refused = e;
      assert.equal(t.trajectoryCount(), 0, 'the refused trainer keeps what it had');
      t.delete();
    }
  }
  assert.ok(refused instanceof Error, 'the heap never ran out');
  assert.match(refused.message, /^the trajectories would need about \d+ MiB, and only \d+ MiB of the module's memory are left .*delete some first$/);
  console.log(`${keep.length} trainers of ${n} points fit; the next: ${refused.message}`);
  assert.ok(keep.length >= 10, `only ${keep.length} fit`);
  for (const t of keep) t.delete();
  assert.equal(ode.liveTrainers(), 0);
  // All of it is free again (the refusal allocated nothing), and a small trainer trains.
  assert.ok(ode.largestFreeBlock() > 1.5 * 2 ** 30, `largest free block ${ode.largestFreeBlock() / 2 ** 20} MiB`);
  const t = new ode.Trainer({ hidden: [8] });
  for (const tr of ode.sampleSystem('spiral', { trajectories: 2, points: 20 }).trajectories) t.addTrajectory(tr.times, tr.states);
  assert.equal(t.step(3).status, 'success');
  t.delete();
});
