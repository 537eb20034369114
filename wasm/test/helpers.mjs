// Shared helpers of the wasm tests.
import { createNeuralOde } from '../api.js';

export const ode = await createNeuralOde();

/** A trainer on toggle-switch data; the caller deletes it. */
export function toggleTrainer(config = {}, { trajectories = 4, points = 15, seed = 2 } = {}) {
  const tr = new ode.Trainer({ hidden: [8, 8], seed: 1, ...config });
  const s = ode.sampleSystem('toggle', { trajectories, points, seed });
  for (const t of s.trajectories) tr.addTrajectory(t.times, t.states);
  return tr;
}

/** ‖a − b‖ / max(‖a‖, ‖b‖). */
export function relErr(a, b) {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i] - b[i]) ** 2;
    na += a[i] ** 2;
    nb += b[i] ** 2;
  }
  return Math.sqrt(d) / Math.max(Math.sqrt(na), Math.sqrt(nb), 1e-300);
}

/** A snapshot of everything observable about a trainer, to prove an error changed nothing. */
export function snapshot(tr) {
  return JSON.stringify({
    config: tr.config(),
    params: Array.from(tr.parameters()),
    count: tr.trajectoryCount(),
    loss: tr.trajectoryCount() > 0 ? tr.loss() : null,
    model: tr.toJSON(),
  });
}
