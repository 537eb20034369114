// The trajectory task in the worker: a Trainer on the strokes, the field grid, rollouts, predictions, presets.
import type { Ensemble, GridSpec, Job, ModelDocument, NeuralOde, PhasePortrait, PortraitComparison, Trainer, TrainerConfig } from '../../../wasm/neural-ode';
import type { Trajectory } from '../draw/strokes';
import type { FromWorker, PortraitVisual } from '../protocol';
import { MORE, PIECE_MS, WORK_BUDGET, rowBands, type Engine, type LossPart, type Part } from './engine';
import { trainerSlot } from './slot';
import timing from './timing.json';

/** One piece of the whole-data loss (a training chunk's length: the loop looks at its messages after each). */
export const LOSS_PIECE_MS = timing.chunkMs;

/** On-demand checks (gradient truth, memory sweep) may take this long (from the request; they run in pieces between
 * which the worker answers, so the page stays live); the page pauses training first. */
const INSPECT_MILLIS = 20000;
/** The memory demo's fixed RK4 step counts. */
export const MEMORY_STEPS = [25, 100, 400, 1600];

/** The phase portrait's grid (per axis) and work budgets (the analysis's own time, summed over its pieces), while training
 * and when paused (with the true portrait and the comparison): past it the core skips stages (the portrait says it is
 * incomplete). It runs in resumable pieces of what is left of a tick (Trainer.analyzeJob), on a copy of the model. */
export const PORTRAIT = Object.freeze({ n: 64, maxMillis: PIECE_MS, pausedMillis: 4000 });
/** The confidence ensemble: members, windows per member's step, most iterations it trains, the budget of one piece (its
 * steps are resumable: a piece ends between two solver steps and the next continues), iterations between two pictures,
 * grid per axis. */
export const ENSEMBLE = Object.freeze({ members: 5, batch: 8, iterations: 300, pieceMillis: 40, postEvery: 50, n: 48 });

/** Work of one part of the field grid, in grid points × network parameters (a count, so the split depends on the settings
 * only): ~30 ms of float32 evaluation in wasm on the 2-core reference box (64 × 64 points of the 256 × 6 network: 1 s;
 * two rows of it, the least a part holds, are 4.2e7),
 * so that a tick (CHUNK_MS, then the part under way) stays well under ~100 ms (at ~50 ms parts, ticks of 150–280 ms were
 * seen on the loaded box). */
export const FIELD_WORK_PER_PART = 4.5e7;
/** What FIELD_WORK_PER_PART of float32 field sampling takes on the reference box, in ms (above). */
const FIELD_PART_MS = 30;

/** Points of the portrait's two sampled grids: its view (PORTRAIT.n per axis) and the core's coarser outer grid (48 × 48,
 * phase_portrait.cpp), sampled in float64 before any other stage. */
const PORTRAIT_GRID_POINTS = PORTRAIT.n * PORTRAIT.n + 48 * 48;

/** A portrait's work budget: PORTRAIT's, plus three times its two grids' float64 sampling (taken as 2 × FIELD_PART_MS
 * per FIELD_WORK_PER_PART of work; the 256 × 6 network's grids took ~3 s) — the core keeps to its budget from the first
 * block of the view on, so a big network's grids must fit in it with room to spare, or the portrait has nothing to show.
 * */
export function portraitMillis(parameters: number, training: boolean): number {
  const grids = 3 * 2 * FIELD_PART_MS * PORTRAIT_GRID_POINTS * Math.max(1, parameters) / FIELD_WORK_PER_PART;
  return (training ? PORTRAIT.maxMillis : PORTRAIT.pausedMillis) + grids;
}

/** Grid rows per part of the field (at least 2: a grid call needs 2). */
export function fieldRows(nx: number, parameters: number): number {
  return Math.max(2, Math.floor(FIELD_WORK_PER_PART / (nx * Math.max(1, parameters))));
}

/** Work of one part of a rollout, in output points × network parameters (a count, like the field's): 100 points of the
 * 256 × 6 network took 70–180 ms in one integrate, so its rollouts come in segments of ~15 points (~25 ms, as the
 * field's parts); the default network's in one part. */
export const ROLLOUT_WORK_PER_PART = 5e6;

/** Output points per segment of a rollout (at least 1). */
export function rolloutPoints(parameters: number): number {
  return Math.max(1, Math.floor(ROLLOUT_WORK_PER_PART / Math.max(1, parameters)));
}

export function trajectoryEngine(ode: NeuralOde): Engine<'trajectories'> {
  const load = (t: { clearTrajectories(): void; addTrajectory(times: Float64Array, states: Float64Array): number }, list: Trajectory[]) => {
    t.clearTrajectories();
    for (const tr of list) t.addTrajectory(tr.times, tr.states);
  };
  const slot = trainerSlot<Trainer, ModelDocument, TrainerConfig, Trajectory[]>({
    what: 'model',
    create: (c) => new ode.Trainer(c),
    fromPacked: (bytes) => ode.Trainer.fromPacked(bytes),
    load,
  }, []);
  let truth: string | null = null;
  let grid: Required<GridSpec> | null = null;
  let config: TrainerConfig | null = null;
  let want = { portrait: false, confidence: false };
  // The true portrait and the last comparison, for the view and preset of `key`.
  let truthCache: { key: string; portrait: PhasePortrait | null; comparison: PortraitComparison | null; iteration: number } | null = null;
  // The confidence ensemble, rebuilt when the config or the data change; `posted`: the iteration last shown (-1: none for this view).
  let ensemble: Ensemble | null = null;
  let posted = -1;
  let ensembleFailed = false;
  // The portrait job under way (dropped when a newer list of analyses supersedes it).
  let portraitJob: Job<unknown> | null = null;
  // The ensemble's picture under way (its disagreement grid, band by band).
  let picture: { spec: Required<GridSpec>; values: Float32Array; bands: [number, number][]; next: number; iteration: number } | null = null;
  const dropEnsemble = () => {
    ensemble?.delete();
    ensemble = null;
    picture = null;
    posted = -1;
    ensembleFailed = false;
  };

  return {
    task: 'trajectories',
    emptyMessage: 'Draw a trajectory (or load a preset) before training.',
    // The core decides which systems are presets (every 2-D one) and how densely each is sampled.
    presets: () => ode.systems().map((n) => ode.systemInfo(n)).filter((info) => info.preset).map((info) => (
      { value: info.name, label: info.title, description: info.description })),
    configure(c, model, keep) {
      const warning = slot.configure(c, model, keep);
      if (JSON.stringify(c) !== JSON.stringify(config)) dropEnsemble();
      config = c;
      return warning;
    },
    setData(d) {
      slot.setData(d.trajectories);
      truth = d.truth;
      dropEnsemble();
    },
    hasData: () => slot.data.length > 0,
    setView(v) {
      grid = v;
      posted = -1;
      picture = null;
    },
    trainer: () => slot.trainer,
    lossUnit: 'trajectories',
    // The loss on all data, one trajectory per part (the trainer's loss on that trajectory alone: the mean over its
    // observation entries), so the whole is Σ lossᵢ·(nᵢ − 1) / Σ (nᵢ − 1) over trajectories of nᵢ points (the first
    // point is the initial state). Each part is resumable (lossPiece): it stops between two solver steps after
    // `maxMillis` and continues when run again, so a big network's trajectory (256 × 6: 0.1–1 s each) is computed in
    // pieces too. It reads the model only: an iteration under way continues after it.
    dataLossParts(maxMillis = LOSS_PIECE_MS) {
      const trainer = slot.trainer, data = slot.data;
      if (!trainer || data.length === 0) return [];
      const ms = Math.max(1, maxMillis);
      return data.map((tr, i): LossPart => ({
        units: 1,
        run() {
          const n = tr.times.length - 1;
          const r = trainer.lossPiece({ maxMillis: ms, trajectory: i });
          return r.done ? [r.loss * n, n] : 'more';
        },
      }));
    },
    // The learned field against the true one at every data point, in parts of bounded work (points × parameters, as the
    // field's grid bands): the default network in one part, 256 × 6 in ~4.
    fieldErrorParts() {
      const trainer = slot.trainer, data = slot.data, system = truth;
      if (!trainer || !system || data.length === 0) return [];
      const all = new Float64Array(data.reduce((n, tr) => n + tr.states.length, 0));
      let at = 0;
      for (const tr of data) {
        all.set(tr.states, at);
        at += tr.states.length;
      }
      const per = 2 * Math.max(1, Math.floor(FIELD_WORK_PER_PART / trainer.parameters().length));
      const parts: Array<() => [number, number]> = [];
      for (let k = 0; k < all.length; k += per)
        parts.push(() => {
          const pts = all.subarray(k, k + per);
          const learned = trainer.field(pts, 0), want = ode.systemField(system, pts);
          let num = 0, den = 0;
          for (let i = 0; i < learned.length; i++) {
            num += (learned[i] - want[i]) ** 2;
            den += want[i] ** 2;
          }
          return [num, den];
        });
      return parts;
    },
    snapshot: () => (slot.trainer ? { format: 'neural-ode-model', packed: slot.trainer.toPacked() } : null),
    // The field grid in bands of rows (and the true one), then the rollouts in segments (one part per trajectory at the
    // default size); the last part posts them together.
    visuals() {
      const trainer = slot.trainer, data = slot.data, g = grid;
      if (!trainer || !g) return [];
      const values = new Float32Array(2 * g.nx * g.ny);
      let truthValues: Float32Array | null = null;
      const rollouts: Float64Array[] = [];
      const post = (): [FromWorker, Transferable[]] => {
        const transfer: Transferable[] = [values.buffer, ...rollouts.map((p) => p.buffer)];
        if (truthValues) transfer.push(truthValues.buffer);
        return [{ type: 'visual', task: 'trajectories', visual: { spec: g, values, truth: truthValues, rollouts } }, transfer];
      };
      const dy = (g.ymax - g.ymin) / (g.ny - 1);
      const bands = rowBands(g.ny, fieldRows(g.nx, trainer.parameters().length));
      const parts: Part[] = bands.map(([r0, r1], i) => () => {
        values.set(trainer.sampleGrid({ ...g, ymin: g.ymin + r0 * dy, ymax: g.ymin + (r1 - 1) * dy, ny: r1 - r0, ...WORK_BUDGET }), 2 * r0 * g.nx);
        if (i === 0 && truth) {
          const pts = new Float64Array(2 * g.nx * g.ny);
          for (let r = 0; r < g.ny; r++)
            for (let c = 0; c < g.nx; c++) {
              const k = r * g.nx + c;
              pts[2 * k] = g.xmin + ((g.xmax - g.xmin) * c) / (g.nx - 1);
              pts[2 * k + 1] = g.ymin + ((g.ymax - g.ymin) * r) / (g.ny - 1);
            }
          truthValues = Float32Array.from(ode.systemField(truth, pts));
        }
        return i === bands.length - 1 && !data.length ? post() : null;
      });
      // Each rollout in segments of `per` output points, each continuing from where the last one ended (the adaptive
      // solver restarts there: the same path within its tolerance); a segment that ends early leaves the rest NaN.
      const per = rolloutPoints(trainer.parameters().length);
      data.forEach((tr, i) => {
        const n = tr.times.length;
        const states = new Float64Array(2 * n).fill(NaN);
        states.set(tr.states.subarray(0, 2));
        for (let k0 = 0; k0 < Math.max(1, n - 1); k0 += per) {
          const k1 = Math.min(n - 1, k0 + per);
          parts.push(() => {
            const z0 = states.subarray(2 * k0, 2 * k0 + 2);
            if (k1 > k0 && Number.isFinite(z0[0]) && Number.isFinite(z0[1]))
              states.set(trainer.integrate(z0, tr.times.subarray(k0, k1 + 1), tr.times[k0], WORK_BUDGET).states, 2 * k0);
            if (k1 < n - 1) return null;
            rollouts.push(states);
            return i === data.length - 1 ? post() : null;
          });
        }
      });
      return parts;
    },
    preset(name, seed) {
      const s = ode.sampleSystem(name, { seed });
      return [{ type: 'preset', task: 'trajectories', name, preset: { trajectories: s.trajectories, info: ode.systemInfo(name) } }, []];
    },
    // A path through a point, backwards and forwards, in segments of `per` output points like the rollouts (one
    // segment each way at the default size; a big network's come in ~25 ms pieces: the part answers MORE until done).
    query(id, q) {
      const trainer = slot.trainer;
      if (!trainer) return null;
      const n = Math.max(2, q.points);
      const times = { f: new Float64Array(n), b: new Float64Array(n) };
      for (let i = 0; i < n; i++) {
        times.f[i] = q.t0 + (q.span * i) / (n - 1);
        times.b[i] = q.t0 - (q.span * i) / (n - 1);
      }
      const states = { f: new Float64Array(2 * n).fill(NaN), b: new Float64Array(2 * n).fill(NaN) };
      states.f.set(q.z0);
      states.b.set(q.z0);
      const per = rolloutPoints(trainer.parameters().length);
      const segments: Array<['f' | 'b', number, number]> = [];
      for (const w of ['f', 'b'] as const)
        for (let k0 = 0; k0 < n - 1; k0 += per) segments.push([w, k0, Math.min(n - 1, k0 + per)]);
      let next = 0;
      let status = 'success';
      return () => {
        const [w, k0, k1] = segments[next++];
        const z = states[w].subarray(2 * k0, 2 * k0 + 2);
        if (Number.isFinite(z[0]) && Number.isFinite(z[1])) {
          const r = trainer.integrate(z, times[w].subarray(k0, k1 + 1), times[w][k0], WORK_BUDGET);
          states[w].set(r.states, 2 * k0);
          if (r.status !== 'success' && status === 'success') status = r.status;
        }
        if (next < segments.length) return MORE;
        // One path from the far past to the far future.
        const path = new Float64Array(4 * n - 2);
        for (let i = 0; i < n; i++) {
          path[2 * i] = states.b[2 * (n - 1 - i)];
          path[2 * i + 1] = states.b[2 * (n - 1 - i) + 1];
        }
        path.set(states.f.subarray(2), 2 * n);
        return [{ type: 'answer', task: 'trajectories', id, answer: { path, status } }, [path.buffer]];
      };
    },
    setWants(w) {
      if (!w.confidence) dropEnsemble();
      want = { ...w };
    },
    // The learned portrait, bounded by PORTRAIT.maxMillis of work. For a preset, paused: with the true one and the
    // verdict (one job); training: the learned one alone (cheaper), the true portrait from a cache and the last verdict.
    // One job in resumable pieces on a copy of the model; a newer list drops the job under way.
    analyses(training) {
      portraitJob?.delete();
      portraitJob = null;
      if (!want.portrait) return [];
      let job: Job<PhasePortrait & { truth?: PhasePortrait; comparison?: PortraitComparison }> | null = null;
      let withTruth = false, key = '', iteration = 0;
      let spec: Required<GridSpec> | null = null;
      const part: Part = (maxMillis) => {
        const trainer = slot.trainer;
        if (!job) {
          if (!trainer || !grid) return null;
          spec = { ...grid, nx: PORTRAIT.n, ny: PORTRAIT.n };
          const view = { xmin: spec.xmin, xmax: spec.xmax, ymin: spec.ymin, ymax: spec.ymax, nx: spec.nx, ny: spec.ny, t: spec.t };
          key = JSON.stringify([truth, view]);
          withTruth = !!truth && (!training || truthCache?.key !== key);
          iteration = trainer.iteration();
          const parameters = trainer.parameters().length;
          job = portraitJob = trainer.analyzeJob(view, withTruth ? { truth: truth!, maxMillis: portraitMillis(parameters, false) }
            : { maxMillis: portraitMillis(parameters, training) });
        }
        if (job.isDeleted()) return null; // superseded
        if (!job.run({ maxMillis: Math.max(1, maxMillis) })) return MORE;
        const result = job.result();
        job.delete();
        if (portraitJob === job) portraitJob = null;
        let portrait: PortraitVisual;
        if (withTruth) {
          const { truth: truePortrait, comparison, ...learned } = result;
          truthCache = { key, portrait: truePortrait ?? null, comparison: comparison ?? null, iteration };
          portrait = { spec: spec!, learned, truth: truthCache.portrait, comparison: truthCache.comparison, iteration, comparedAt: iteration };
        } else {
          const cached = truth && truthCache?.key === key ? truthCache : null;
          portrait = { spec: spec!, learned: result, truth: cached?.portrait ?? null, comparison: cached?.comparison ?? null, iteration,
            comparedAt: cached?.iteration ?? null };
        }
        return [{ type: 'analysis', task: 'trajectories', analysis: { portrait } }, []];
      };
      return [part];
    },
    backgroundDue: () => want.confidence && !ensembleFailed && slot.data.length > 0 && grid !== null &&
      (!ensemble || ensemble.iteration() < ENSEMBLE.iterations || posted !== ensemble.iteration()),
    // One piece of the ensemble's training (ENSEMBLE.pieceMillis, resumable), and its disagreement now and then.
    background() {
      if (!config || !grid) return { post: null, more: false };
      if (!ensemble) {
        try {
          ensemble = new ode.Ensemble({ ...config, batch: { ...config.batch, size: Math.min(config.batch?.size ?? 16, ENSEMBLE.batch) } }, ENSEMBLE.members);
          load(ensemble, slot.data);
        } catch (err) {
          // Not again until the config or the data change (no error every tick).
          dropEnsemble();
          ensembleFailed = true;
          return { post: [{ type: 'error', message: `Confidence is not shown: ${(err as Error).message}.` }, []], more: false };
        }
      }
      const e = ensemble;
      // (No training while a picture is under way: its bands are of one set of weights.)
      if (!picture && e.iteration() < ENSEMBLE.iterations) {
        const r = e.step(ENSEMBLE.iterations - e.iteration(), { maxMillis: ENSEMBLE.pieceMillis, resumable: true });
        if (r.status !== 'success') {
          ensembleFailed = true;
          return { post: [{ type: 'error', message: `Confidence is not shown: ${r.message}. Try a smaller model or fewer points.` }, []], more: false };
        }
        if (r.iterations === 0) return { post: null, more: true }; // an iteration under way continues next time
      }
      const it = e.iteration();
      const done = it >= ENSEMBLE.iterations;
      let post: [FromWorker, Transferable[]] | null = null;
      if (!picture && (done || posted < 0 || it - posted >= ENSEMBLE.postEvery)) {
        // The disagreement in bands of rows sized like the field's (points × all members' parameters): one band for the
        // default network, many for big ones (a 48 × 48 grid of five 256 × 6 members is seconds of work).
        const spec = { ...grid, nx: ENSEMBLE.n, ny: ENSEMBLE.n };
        const parameters = ENSEMBLE.members * (slot.trainer?.parameters().length ?? 1);
        picture = { spec, values: new Float32Array(spec.nx * spec.ny), bands: rowBands(spec.ny, fieldRows(spec.nx, parameters)), next: 0, iteration: it };
      }
      if (picture) {
        const g = picture, [r0, r1] = g.bands[g.next++], sp = g.spec;
        const dy = (sp.ymax - sp.ymin) / (sp.ny - 1);
        g.values.set(e.disagreementGrid({ xmin: sp.xmin, xmax: sp.xmax, ymin: sp.ymin + r0 * dy, ymax: sp.ymin + (r1 - 1) * dy, nx: sp.nx, ny: r1 - r0, t: sp.t }), r0 * sp.nx);
        if (g.next === g.bands.length) {
          picture = null;
          posted = g.iteration;
          post = [{ type: 'analysis', task: 'trajectories', analysis: { confidence: { spec: sp, disagreement: g.values, members: ENSEMBLE.members, iteration: g.iteration, iterations: ENSEMBLE.iterations } } },
            [g.values.buffer]];
        }
      }
      return { post, more: !done || posted !== it || picture !== null };
    },
    inspect(what) {
      const trainer = slot.trainer;
      if (!trainer || slot.data.length === 0) throw new Error('draw a trajectory (or load a preset) first');
      if (what === 'gradient') {
        const job = trainer.gradientTruthJob({ coordinates: 5, maxMillis: INSPECT_MILLIS });
        return { run: (maxMillis) => (job.run({ maxMillis: Math.max(1, maxMillis) }) ? { what, result: job.result() } : null), delete: () => job.delete() };
      }
      const job = trainer.memorySweepJob(MEMORY_STEPS, { maxMillis: INSPECT_MILLIS });
      return { run: (maxMillis) => (job.run({ maxMillis: Math.max(1, maxMillis) }) ? { what, result: job.result() } : null), delete: () => job.delete() };
    },
  };
}
