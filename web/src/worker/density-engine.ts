// The density task in the worker: a DensityTrainer on the painted samples, the heatmap and the flow's frames.
import type { DensityConfig, DensityDocument, DensityTrainer, NeuralOde } from '../../../wasm/neural-ode';
import type { DensityView, FromWorker } from '../protocol';
import { PIECE_MS, WORK_BUDGET, rowBands, withinBudget, type Engine, type LossPart } from './engine';
import { trainerSlot } from './slot';

/** Samples per part of the whole-data NLL at most, flow frames and heatmap rows per part of the visuals (each about
 * PIECE_MS or less at default settings). */
const PART = 128;
/** Work of one part of the NLL, in network parameters × samples: a part holds as many samples as fit (at least one, at
 * most PART). Measured in wasm (load ~6): 256 × 6 (330 k parameters) ~40 ms a sample → 1 a part; 64 × 3 (8.7 k) ~3 ms
 * a sample → 22 a part; the default flow (1.3 k) → PART. */
export const NLL_WORK_PER_PART = 2e5;
/** Work of a whole NLL (parameters × samples) above which it is estimated on a fixed subsample of the samples (every
 * k-th, at least MIN_SUBSAMPLE of them) instead: all 2,000 samples of a 256 × 6 flow would be ~80 s of pieces, 39 of
 * them ~1.6 s. The readout says "on 39 of 2000 samples, a fixed subsample". */
export const NLL_WORK_WHOLE = 1.3e7;
export const MIN_SUBSAMPLE = 32;

/** The samples the whole-data NLL is computed on for `n` samples and `parameters` network parameters: every `stride`-th
 * (stride 1: all of them), in parts of `perPart` samples. */
export function nllPlan(n: number, parameters: number): { stride: number; perPart: number } {
  const p = Math.max(1, parameters);
  const perPart = Math.max(1, Math.min(PART, Math.floor(NLL_WORK_PER_PART / p)));
  if (p * n <= NLL_WORK_WHOLE) return { stride: 1, perPart };
  const members = Math.max(MIN_SUBSAMPLE, Math.floor(NLL_WORK_WHOLE / p));
  return { stride: Math.max(1, Math.ceil(n / members)), perPart };
}
const FRAMES_PER_PART = 1;
/** Heatmap rows per part: as many as fit BAND_WORK (grid points × network parameters; at least 2, a grid call's least,
 * at most 6): 6 for the default flow (1,250 parameters), 2 at the density size limit (settings.ts
 * DENSITY_MAX_PARAMETERS: 2 × 56 points of a 19,904-parameter flow took 25 ms after 3 iterations, 113 ms cold). */
const BAND_WORK = 2e6;
export function rowsPerPart(nx: number, parameters: number): number {
  return Math.max(2, Math.min(6, Math.floor(BAND_WORK / (Math.max(1, nx) * Math.max(1, parameters)))));
}
/** Particles of a flow frame (one frame is one call, one part): the view's count (800) up to FRAME_WORK (particles ×
 * network parameters), at least 200: 800 for flows up to 8,000 parameters, 321 at the size limit (19,904), where 800
 * particles took 78 ms after 3 iterations and more as training makes the flow stiffer. */
const FRAME_WORK = 6.4e6;
export function frameParticles(particles: number, parameters: number): number {
  return Math.min(particles, Math.max(200, Math.floor(FRAME_WORK / Math.max(1, parameters))));
}

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
    // −mean log p over all samples, in parts sized by the network (nllPlan: bounded work per part); for a big flow on
    // many samples, over a fixed subsample (every k-th sample), the rest left out and said so.
    dataLossParts(maxMillis = PIECE_MS) {
      const t = slot.trainer, all = slot.data;
      if (!t || all.length === 0) return [];
      const n = all.length / 2;
      const { stride, perPart } = nllPlan(n, t.parameters().length);
      let points = all;
      if (stride > 1) {
        points = new Float64Array(2 * Math.ceil(n / stride));
        for (let i = 0, k = 0; i < n; i += stride, k += 2) points.set(all.subarray(2 * i, 2 * i + 2), k);
      }
      const parts: LossPart[] = [];
      for (let i = 0; i < points.length; i += 2 * perPart) {
        const slice = points.subarray(i, Math.min(points.length, i + 2 * perPart));
        parts.push({
          units: slice.length / 2,
          run: () => withinBudget(maxMillis, () => {
            let sum = 0;
            for (const v of t.logDensity(slice, { maxMillis })) sum -= v;
            return [sum, slice.length / 2] as [number, number];
          }),
        });
      }
      // The samples not in the subsample: left out (the readout says on how many of all samples the NLL is).
      if (stride > 1) parts.push({ units: n - points.length / 2, subsampled: true, run: () => null });
      return parts;
    },
    fieldErrorParts: () => [],
    snapshot: () => (slot.trainer ? { format: 'neural-ode-density', packed: slot.trainer.toPacked() } : null),
    // The heatmap a band of rows at a time (posted whole), then the flow's frames one at a time (fewer particles for a big flow).
    visuals() {
      const t = slot.trainer, v = view;
      if (!t || !v) return [];
      const logp = new Float32Array(v.nx * v.ny);
      const dy = (v.ymax - v.ymin) / (v.ny - 1);
      const bands = rowBands(v.ny, rowsPerPart(v.nx, t.parameters().length));
      const parts: Array<() => [FromWorker, Transferable[]] | null> = bands.map(([r0, r1], i) => () => {
        const band = t.logDensityGrid({ xmin: v.xmin, xmax: v.xmax, nx: v.nx, ymin: v.ymin + r0 * dy, ymax: v.ymin + (r1 - 1) * dy, ny: r1 - r0, ...WORK_BUDGET });
        logp.set(band, r0 * v.nx);
        return i === bands.length - 1 ? [{ type: 'visual', task: 'density', visual: { spec: v, logp } }, [logp.buffer]] : null;
      });
      const tEnd = t.config().tEnd, n = frameParticles(v.particles, t.parameters().length);
      for (let from = 0; from < v.frames; from += FRAMES_PER_PART)
        parts.push(() => {
          const list: Float64Array[] = [];
          for (let k = from; k < Math.min(v.frames, from + FRAMES_PER_PART); k++) list.push(t.sample(n, (tEnd * k) / (v.frames - 1), 7, WORK_BUDGET).points);
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
