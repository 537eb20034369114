// The density task in the worker: a DensityTrainer on the painted samples, the heatmap and the flow's frames.
import type { DensityConfig, DensityDocument, DensityTrainer, NeuralOde } from '../../../wasm/neural-ode';
import type { DensityView, FromWorker } from '../protocol';
import { PIECE_MS, WORK_BUDGET, rowBands, withinBudget, type Engine, type LossPart } from './engine';
import { trainerSlot } from './slot';

/** Samples per part of the whole-data NLL, flow frames and heatmap rows per part of the visuals (each about PIECE_MS or
 * less at default settings). */
const PART = 128;
const FRAMES_PER_PART = 1;
const ROWS_PER_PART = 6;

export function densityEngine(ode: NeuralOde): Engine<'density'> {
  const slot = trainerSlot<DensityTrainer, DensityDocument, DensityConfig, Float64Array>({
    what: 'density flow',
    create: (c) => new ode.DensityTrainer(c),
    fromPacked: (bytes) => ode.DensityTrainer.fromPacked(bytes),
    load(t, p) {
      t.clearSamples();
      if (p.length) t.addSamples(p);
    },
  }, new Float64Array(0));
  let view: DensityView | null = null;

  return {
    task: 'density',
    emptyMessage: 'Paint some samples (or load a preset) before training.',
    presets: () => ode.densityPresets().map((n) => ({ value: n, label: n.replace(/-/g, ' ') })),
    configure: (config, model, keep) => slot.configure(config, model, keep),
    setData: (d) => slot.setData(d.points),
    hasData: () => slot.data.length > 0,
    setView(v) {
      view = v;
    },
    trainer: () => slot.trainer,
    lossUnit: 'samples',
    // −mean log p over all samples, in parts of PART samples (the NLL of all samples, with bounded work per part).
    dataLossParts(maxMillis = PIECE_MS) {
      const t = slot.trainer, points = slot.data;
      if (!t || points.length === 0) return [];
      const parts: LossPart[] = [];
      for (let i = 0; i < points.length; i += 2 * PART) {
        const slice = points.subarray(i, Math.min(points.length, i + 2 * PART));
        parts.push({
          units: slice.length / 2,
          run: () => withinBudget(maxMillis, () => {
            let sum = 0;
            for (const v of t.logDensity(slice, { maxMillis })) sum -= v;
            return [sum, slice.length / 2] as [number, number];
          }),
        });
      }
      return parts;
    },
    fieldErrorParts: () => [],
    snapshot: () => (slot.trainer ? { format: 'neural-ode-density', packed: slot.trainer.toPacked() } : null),
    // The heatmap a band of rows at a time (posted whole), then the flow's frames one at a time.
    visuals() {
      const t = slot.trainer, v = view;
      if (!t || !v) return [];
      const logp = new Float32Array(v.nx * v.ny);
      const dy = (v.ymax - v.ymin) / (v.ny - 1);
      const bands = rowBands(v.ny, ROWS_PER_PART);
      const parts: Array<() => [FromWorker, Transferable[]] | null> = bands.map(([r0, r1], i) => () => {
        const band = t.logDensityGrid({ xmin: v.xmin, xmax: v.xmax, nx: v.nx, ymin: v.ymin + r0 * dy, ymax: v.ymin + (r1 - 1) * dy, ny: r1 - r0, ...WORK_BUDGET });
        logp.set(band, r0 * v.nx);
        return i === bands.length - 1 ? [{ type: 'visual', task: 'density', visual: { spec: v, logp } }, [logp.buffer]] : null;
      });
      const tEnd = t.config().tEnd;
      for (let from = 0; from < v.frames; from += FRAMES_PER_PART)
        parts.push(() => {
          const list: Float64Array[] = [];
          for (let k = from; k < Math.min(v.frames, from + FRAMES_PER_PART); k++) list.push(t.sample(v.particles, (tEnd * k) / (v.frames - 1), 7, WORK_BUDGET).points);
          return [{ type: 'visual', task: 'density', visual: { spec: v, frames: { from, total: v.frames, list } } }, list.map((f) => f.buffer)];
        });
      return parts;
    },
    preset(name, seed) {
      const p = ode.sampleDensity(name, 2000, seed);
      return [{ type: 'preset', task: 'density', name, preset: { points: p } }, [p.buffer]];
    },
    query: () => null,
  };
}
