// The training worker: owns the wasm module and the trainer, trains in chunks so messages stay responsive,
// and streams progress, field grids and rollouts to the page. No DOM here.
import { createNeuralOde } from '../../wasm/api.js';
import type { DensityConfig, DensityTrainer, GridSpec, ModelDocument, NeuralOde, Trainer, TrainerConfig } from '../../wasm/neural-ode';
import type { Trajectory } from './draw/strokes';
import type { DensityView, FromWorker, Progress, ToWorker } from './protocol';

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

let ode: NeuralOde;
let trainer: Trainer | null = null;
let data: Trajectory[] = [];
let running = false;
let grid: Required<GridSpec> | null = null;
let truthName: string | null = null;
let lastProgress: Progress = { iteration: 0, loss: NaN, gradNorm: NaN, nfeForward: 0, nfeBackward: 0, millis: 0, status: 'success', message: '', fieldError: null };
let lastVisual = 0;
let task: 'trajectories' | 'density' = 'trajectories';
let density: DensityTrainer | null = null;
let densityData: Float64Array = new Float64Array(0);
let densityView: DensityView | null = null;

function error(message: string) {
  post({ type: 'error', message });
}

function loadData(t: Trainer) {
  t.clearTrajectories();
  for (const tr of data) t.addTrajectory(tr.times, tr.states);
}

/** A trainer for `cfg`, keeping the learned weights unless `rebuild` (or `model` is given). */
function configure(cfg: TrainerConfig, rebuild: boolean, model?: ModelDocument | null) {
  let next: Trainer | null = null;
  if (model) {
    try {
      next = ode.Trainer.fromJSON({ ...model, config: { ...model.config, ...cfg } as ModelDocument['config'] });
    } catch (e) {
      error(`The saved model does not fit these settings (${(e as Error).message}); starting from fresh weights.`);
    }
  }
  if (next) {
    /* restored */
  } else if (!rebuild && trainer) {
    const doc = trainer.toJSON();
    next = ode.Trainer.fromJSON({ ...doc, config: { ...doc.config, ...cfg } as ModelDocument['config'] });
  } else next = new ode.Trainer(cfg);
  loadData(next);
  trainer?.delete();
  trainer = next;
  lastProgress = { ...lastProgress, iteration: trainer.iteration() };
  refresh();
}

function fieldError(): number | null {
  if (!trainer || !truthName || data.length === 0) return null;
  let num = 0, den = 0;
  for (const tr of data) {
    const learned = trainer.field(tr.states, 0);
    const truth = ode.systemField(truthName, tr.states);
    for (let i = 0; i < learned.length; i++) {
      num += (learned[i] - truth[i]) ** 2;
      den += truth[i] ** 2;
    }
  }
  return den > 0 ? Math.sqrt(num / den) : null;
}

function sendGrid() {
  if (!trainer || !grid) return;
  const values = trainer.sampleGrid(grid);
  let truth: Float32Array | null = null;
  if (truthName) {
    const pts = new Float64Array(2 * grid.nx * grid.ny);
    for (let r = 0; r < grid.ny; r++)
      for (let c = 0; c < grid.nx; c++) {
        const k = r * grid.nx + c;
        pts[2 * k] = grid.xmin + ((grid.xmax - grid.xmin) * c) / (grid.nx - 1);
        pts[2 * k + 1] = grid.ymin + ((grid.ymax - grid.ymin) * r) / (grid.ny - 1);
      }
    truth = Float32Array.from(ode.systemField(truthName, pts));
  }
  post({ type: 'grid', spec: grid, values, truth }, truth ? [values.buffer, truth.buffer] : [values.buffer]);
}

function sendRollouts() {
  if (!trainer) return;
  const paths: Float64Array[] = [];
  for (const tr of data) {
    const r = trainer.integrate(tr.states.subarray(0, 2), tr.times);
    paths.push(r.states);
  }
  post({ type: 'rollouts', paths }, paths.map((p) => p.buffer));
}

function refreshDensity() {
  if (!density) return;
  if (!running && density.sampleCount() > 0) {
    try {
      lastProgress = { ...lastProgress, loss: density.nll(), fieldError: null };
    } catch {
      /* keep the last value */
    }
  }
  post({ type: 'progress', progress: lastProgress, running });
  if (!densityView) return;
  const v = densityView;
  try {
    const logp = density.logDensityGrid(v);
    const frames: Float64Array[] = [];
    const tEnd = density.config().tEnd;
    for (let k = 0; k < v.frames; k++) frames.push(density.sample(v.particles, (tEnd * k) / (v.frames - 1), 7).points);
    post({ type: 'density', spec: v, logp, frames }, [logp.buffer, ...frames.map((f) => f.buffer)]);
  } catch (e) {
    error((e as Error).message);
  }
  lastVisual = performance.now();
}

function refresh() {
  if (task === 'density') {
    refreshDensity();
    return;
  }
  sendGrid();
  sendRollouts();
  lastProgress = { ...lastProgress, fieldError: fieldError() };
  // While paused the loss readout shows the full-data loss (training shows the minibatch loss).
  if (!running && trainer && data.length > 0) {
    try {
      lastProgress = { ...lastProgress, loss: trainer.loss() };
    } catch {
      /* a failing solve keeps the last value; the status message says why */
    }
  }
  post({ type: 'progress', progress: lastProgress, running });
  lastVisual = performance.now();
}

function active(): Trainer | DensityTrainer | null {
  return task === 'density' ? density : trainer;
}

function hasData(): boolean {
  return task === 'density' ? densityData.length > 0 : data.length > 0;
}

function trainChunk() {
  const model = active();
  if (!running || !model) return;
  const start = performance.now();
  let steps = 0, nfeF = 0, nfeB = 0, millis = 0;
  let r: ReturnType<Trainer['step']> | null = null;
  // About 40 ms of work per chunk, then yield to the message queue.
  while (performance.now() - start < 40) {
    r = model.step();
    steps++;
    nfeF += r.nfeForward;
    nfeB += r.nfeBackward;
    millis += r.millis;
    if (r.status !== 'success') break;
  }
  if (r) {
    lastProgress = { iteration: r.iteration, loss: r.loss, gradNorm: r.gradNorm, nfeForward: nfeF / steps, nfeBackward: nfeB / steps,
      millis: millis / steps, status: r.status, message: r.message, fieldError: lastProgress.fieldError };
    if (r.status !== 'success') running = false;
  }
  const now = performance.now();
  if (now - lastVisual > (task === 'density' ? 400 : 150) || !running) refresh();
  else post({ type: 'progress', progress: lastProgress, running });
  if (running) setTimeout(trainChunk, 0);
}

function handle(m: ToWorker) {
  switch (m.type) {
    case 'configure':
      configure(m.config, m.rebuild, m.model);
      break;
    case 'data': {
      const previous = data;
      data = m.trajectories;
      try {
        if (trainer) loadData(trainer);
      } catch (e) {
        data = previous;
        if (trainer) loadData(trainer);
        throw e;
      }
      if (data.length === 0) running = false;
      refresh();
      break;
    }
    case 'train':
      if (m.running && !hasData()) {
        error(task === 'density' ? 'Paint some samples (or load a preset) before training.' : 'Draw a trajectory (or load a preset) before training.');
        running = false;
        post({ type: 'progress', progress: lastProgress, running });
        break;
      }
      if (m.running && !running) {
        running = true;
        setTimeout(trainChunk, 0);
      }
      running = m.running;
      // Pausing shows the full-data loss (and fresh visuals); training streams minibatch losses.
      if (!running) refresh();
      else post({ type: 'progress', progress: lastProgress, running });
      break;
    case 'step': {
      const model = active();
      if (!model) break;
      if (!hasData()) {
        error(task === 'density' ? 'Paint some samples (or load a preset) before training.' : 'Draw a trajectory (or load a preset) before training.');
        break;
      }
      const r = model.step(m.n);
      lastProgress = { iteration: r.iteration, loss: r.loss, gradNorm: r.gradNorm, nfeForward: r.nfeForward / m.n, nfeBackward: r.nfeBackward / m.n,
        millis: r.millis / m.n, status: r.status, message: r.message, fieldError: null };
      refresh();
      break;
    }
    case 'reset':
      active()?.reset(m.seed);
      lastProgress = { iteration: 0, loss: NaN, gradNorm: NaN, nfeForward: 0, nfeBackward: 0, millis: 0, status: 'success', message: '', fieldError: null };
      refresh();
      break;
    case 'grid':
      grid = m.spec;
      sendGrid();
      break;
    case 'predict': {
      if (!trainer) break;
      const n = Math.max(2, m.points);
      const fwd = new Float64Array(n), back = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        fwd[i] = m.t0 + (m.span * i) / (n - 1);
        back[i] = m.t0 - (m.span * i) / (n - 1);
      }
      const f = trainer.integrate(m.z0, fwd, m.t0);
      const b = trainer.integrate(m.z0, back, m.t0);
      // One path from the far past to the far future.
      const path = new Float64Array(4 * n - 2);
      for (let i = 0; i < n; i++) {
        path[2 * i] = b.states[2 * (n - 1 - i)];
        path[2 * i + 1] = b.states[2 * (n - 1 - i) + 1];
      }
      path.set(f.states.subarray(2), 2 * n);
      const status = f.status !== 'success' ? f.status : b.status;
      post({ type: 'predict', id: m.id, path, status }, [path.buffer]);
      break;
    }
    case 'sample': {
      const s = ode.sampleSystem(m.name, { trajectories: m.trajectories, points: m.points, seed: m.seed });
      post({ type: 'sample', name: m.name, trajectories: s.trajectories });
      break;
    }
    case 'truth':
      truthName = m.name;
      refresh();
      break;
    case 'model':
      if (trainer) post({ type: 'model', model: trainer.toJSON(), iteration: trainer.iteration() });
      if (density && density.iteration() > 0) post({ type: 'densityModel', model: density.toJSON() });
      break;
    case 'task':
      running = false;
      task = m.task;
      lastProgress = { iteration: active()?.iteration() ?? 0, loss: NaN, gradNorm: NaN, nfeForward: 0, nfeBackward: 0, millis: 0, status: 'success', message: '', fieldError: null };
      refresh();
      break;
    case 'densityConfigure': {
      let next: DensityTrainer | null = null;
      if (m.model) {
        try {
          next = ode.DensityTrainer.fromJSON({ ...m.model, config: { ...m.model.config, ...m.config } as typeof m.model.config });
        } catch (e) {
          error(`The saved density flow does not fit these settings (${(e as Error).message}); starting fresh.`);
        }
      }
      if (!next) next = new ode.DensityTrainer(m.config as DensityConfig);
      if (densityData.length) next.addSamples(densityData);
      density?.delete();
      density = next;
      if (task === 'density') refresh();
      break;
    }
    case 'densitySamples': {
      if (!density) break;
      const previous = densityData;
      density.clearSamples();
      try {
        if (m.points.length) density.addSamples(m.points);
        densityData = m.points;
      } catch (e) {
        density.clearSamples();
        if (previous.length) density.addSamples(previous);
        throw e;
      }
      if (densityData.length === 0) running = false;
      if (task === 'density') refresh();
      break;
    }
    case 'densityPreset': {
      const points = ode.sampleDensity(m.name, m.n, m.seed);
      post({ type: 'densityPoints', name: m.name, points });
      break;
    }
    case 'densityView':
      densityView = m.spec;
      if (task === 'density') refresh();
      break;
  }
}

let queue: ToWorker[] | null = [];
self.onmessage = (e: MessageEvent<ToWorker>) => {
  if (queue) queue.push(e.data);
  else {
    try {
      handle(e.data);
    } catch (err) {
      error((err as Error).message);
    }
  }
};

createNeuralOde().then(
  (o: NeuralOde) => {
    ode = o;
    post({ type: 'ready', version: ode.version, systems: ode.systems().map((n) => ode.systemInfo(n)), densityPresets: ode.densityPresets() });
    const pending = queue ?? [];
    queue = null;
    for (const m of pending) {
      try {
        handle(m);
      } catch (err) {
        error((err as Error).message);
      }
    }
  },
  (err: Error) => error(`could not load the WebAssembly module: ${(err as Error).message}`),
);
