// The density task in the worker: a DensityTrainer on the painted samples, the heatmap and the flow's frames.
import type { DensityConfig, DensityDocument, DensityTrainer, NeuralOde } from '../../../wasm/neural-ode';
import type { DensityView } from '../protocol';
import type { Engine } from './engine';

export function densityEngine(ode: NeuralOde): Engine<'density'> {
  let trainer: DensityTrainer | null = null;
  let points: Float64Array = new Float64Array(0);
  let view: DensityView | null = null;

  function load(t: DensityTrainer, p: Float64Array) {
    t.clearSamples();
    if (p.length) t.addSamples(p);
  }

  return {
    task: 'density',
    emptyMessage: 'Paint some samples (or load a preset) before training.',
    presets: () => ode.densityPresets().map((n) => ({ value: n, label: n.replace(/-/g, ' ') })),
    configure(config: DensityConfig, model: DensityDocument | null, keep: boolean) {
      let next: DensityTrainer | null = null;
      let warning: string | null = null;
      if (model) {
        try {
          next = ode.DensityTrainer.fromJSON({ ...model, config: { ...model.config, ...config } as DensityDocument['config'] });
        } catch (e) {
          warning = `The saved density flow does not fit these settings (${(e as Error).message}); starting fresh.`;
        }
      } else if (keep && trainer) {
        const doc = trainer.toJSON();
        next = ode.DensityTrainer.fromJSON({ ...doc, config: { ...doc.config, ...config } as DensityDocument['config'] });
      }
      next ??= new ode.DensityTrainer(config);
      try {
        load(next, points);
      } catch (e) {
        next.delete();
        throw e;
      }
      trainer?.delete();
      trainer = next;
      return warning;
    },
    setData(d) {
      if (trainer) {
        try {
          load(trainer, d.points);
        } catch (e) {
          load(trainer, points);
          throw e;
        }
      }
      points = d.points;
    },
    hasData: () => points.length > 0,
    setView(v) {
      view = v;
    },
    trainer: () => trainer,
    dataLoss: () => (trainer && points.length ? trainer.nll() : NaN),
    fieldError: () => null,
    snapshot: () => trainer?.toJSON() ?? null,
    visuals() {
      if (!trainer || !view) return null;
      const v = view;
      const logp = trainer.logDensityGrid(v);
      const frames: Float64Array[] = [];
      const tEnd = trainer.config().tEnd;
      for (let k = 0; k < v.frames; k++) frames.push(trainer.sample(v.particles, (tEnd * k) / (v.frames - 1), 7).points);
      return [{ type: 'visual', task: 'density', visual: { spec: v, logp, frames } }, [logp.buffer, ...frames.map((f) => f.buffer)]];
    },
    preset(name, seed) {
      const p = ode.sampleDensity(name, 2000, seed);
      return [{ type: 'preset', task: 'density', name, preset: { points: p } }, [p.buffer]];
    },
    query: () => null,
  };
}
