// The trajectory task in the worker: a Trainer on the strokes, the field grid, rollouts, predictions, presets.
import type { GridSpec, ModelDocument, NeuralOde, Trainer, TrainerConfig } from '../../../wasm/neural-ode';
import type { Trajectory } from '../draw/strokes';
import { WORK_BUDGET, type Engine } from './engine';

export function trajectoryEngine(ode: NeuralOde): Engine<'trajectories'> {
  let trainer: Trainer | null = null;
  let data: Trajectory[] = [];
  let truth: string | null = null;
  let grid: Required<GridSpec> | null = null;

  function load(t: Trainer, list: Trajectory[]) {
    t.clearTrajectories();
    for (const tr of list) t.addTrajectory(tr.times, tr.states);
  }

  return {
    task: 'trajectories',
    emptyMessage: 'Draw a trajectory (or load a preset) before training.',
    presets: () => ode.systems().map((n) => {
      const info = ode.systemInfo(n);
      return { value: n, label: info.title, description: info.description };
    }),
    configure(config: TrainerConfig, model: ModelDocument | null, keep: boolean) {
      let next: Trainer | null = null;
      let warning: string | null = null;
      if (model) {
        try {
          next = ode.Trainer.fromJSON({ ...model, config: { ...model.config, ...config } as ModelDocument['config'] });
        } catch (e) {
          warning = `The saved model does not fit these settings (${(e as Error).message}); starting from fresh weights.`;
        }
        // e.g. a version-1 document: the optimiser restarts.
        if (next?.notice) warning = next.notice;
      } else if (keep && trainer) {
        const doc = trainer.toJSON();
        next = ode.Trainer.fromJSON({ ...doc, config: { ...doc.config, ...config } as ModelDocument['config'] });
      }
      next ??= new ode.Trainer(config);
      try {
        load(next, data);
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
          load(trainer, d.trajectories);
        } catch (e) {
          load(trainer, data);
          throw e;
        }
      }
      data = d.trajectories;
      truth = d.truth;
    },
    hasData: () => data.length > 0,
    setView(v) {
      grid = v;
    },
    trainer: () => trainer,
    dataLossParts: () => (trainer ? [() => [trainer!.loss(WORK_BUDGET), 1]] : []),
    fieldError() {
      if (!trainer || !truth || data.length === 0) return null;
      let num = 0, den = 0;
      for (const tr of data) {
        const learned = trainer.field(tr.states, 0);
        const want = ode.systemField(truth, tr.states);
        for (let i = 0; i < learned.length; i++) {
          num += (learned[i] - want[i]) ** 2;
          den += want[i] ** 2;
        }
      }
      return den > 0 ? Math.sqrt(num / den) : null;
    },
    snapshot: () => trainer?.toJSON() ?? null,
    visuals: () => [() => {
      if (!trainer || !grid) return null;
      const values = trainer.sampleGrid({ ...grid, ...WORK_BUDGET });
      let truthValues: Float32Array | null = null;
      if (truth) {
        const pts = new Float64Array(2 * grid.nx * grid.ny);
        for (let r = 0; r < grid.ny; r++)
          for (let c = 0; c < grid.nx; c++) {
            const k = r * grid.nx + c;
            pts[2 * k] = grid.xmin + ((grid.xmax - grid.xmin) * c) / (grid.nx - 1);
            pts[2 * k + 1] = grid.ymin + ((grid.ymax - grid.ymin) * r) / (grid.ny - 1);
          }
        truthValues = Float32Array.from(ode.systemField(truth, pts));
      }
      const rollouts = data.map((tr) => trainer!.integrate(tr.states.subarray(0, 2), tr.times, undefined, WORK_BUDGET).states);
      const transfer: Transferable[] = [values.buffer, ...rollouts.map((p) => p.buffer)];
      if (truthValues) transfer.push(truthValues.buffer);
      return [{ type: 'visual', task: 'trajectories', visual: { spec: grid, values, truth: truthValues, rollouts } }, transfer];
    }],
    preset(name, seed) {
      const s = ode.sampleSystem(name, { trajectories: 8, points: 40, seed });
      return [{ type: 'preset', task: 'trajectories', name, preset: { trajectories: s.trajectories, info: ode.systemInfo(name) } }, []];
    },
    query(id, q) {
      if (!trainer) return null;
      const n = Math.max(2, q.points);
      const fwd = new Float64Array(n), back = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        fwd[i] = q.t0 + (q.span * i) / (n - 1);
        back[i] = q.t0 - (q.span * i) / (n - 1);
      }
      const f = trainer.integrate(q.z0, fwd, q.t0, WORK_BUDGET);
      const b = trainer.integrate(q.z0, back, q.t0, WORK_BUDGET);
      // One path from the far past to the far future.
      const path = new Float64Array(4 * n - 2);
      for (let i = 0; i < n; i++) {
        path[2 * i] = b.states[2 * (n - 1 - i)];
        path[2 * i + 1] = b.states[2 * (n - 1 - i) + 1];
      }
      path.set(f.states.subarray(2), 2 * n);
      const status = f.status !== 'success' ? f.status : b.status;
      return [{ type: 'answer', task: 'trajectories', id, answer: { path, status } }, [path.buffer]];
    },
  };
}
