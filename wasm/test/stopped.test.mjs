// A call that traps (a WebAssembly.RuntimeError: an abort, a failed allocation near the heap's cap) leaves the
// instance in an undefined state: its objects must refuse from then on, and a fresh module must be loadable. Its own
// file: it stops the module of its process.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createNeuralOde } from '../api.js';

test('a call that traps stops the module: later calls refuse with a message, createNeuralOde() loads a fresh one', async () => {
  const ode = await createNeuralOde();
  const data = ode.sampleSystem('spiral', { trajectories: 2, points: 20 }).trajectories;
  const t = new ode.Trainer({ hidden: [4] }), other = new ode.Trainer({ hidden: [4] });
  for (const tr of data) other.addTrajectory(tr.times, tr.states);
  assert.equal(other.step(1).status, 'success');
  // The trap, as emscripten's abort() raises it, from inside a call of the core.
  t._h.step = () => { throw new WebAssembly.RuntimeError('Aborted(test)'); };
  assert.throws(() => t.step(1), /^Error: the WebAssembly module stopped \(Aborted\(test\)\); its objects cannot be used any more/);
  for (const call of [() => other.step(1), () => other.iteration(), () => new ode.Trainer({}), () => ode.sampleSystem('spiral')])
    assert.throws(call, /the WebAssembly module stopped earlier \(Aborted\(test\)\); load a new one with createNeuralOde\(\)/);
  t.delete();
  other.delete();
  assert.equal(ode.liveTrainers(), 0);
  const fresh = await createNeuralOde();
  assert.notEqual(fresh, ode);
  const u = new fresh.Trainer({ hidden: [4] });
  for (const tr of data) u.addTrajectory(tr.times, tr.states);
  assert.equal(u.step(2).status, 'success');
  u.delete();
  assert.equal(await createNeuralOde(), fresh, 'a working module is shared');
});
