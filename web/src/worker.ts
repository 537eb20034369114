// The training worker: owns the wasm module and one engine per task, trains the active one in short chunks so
// every message (Pause above all) is answered quickly, and streams progress and visuals. No DOM, no task branches:
// everything task-specific lives in the engines (worker/*-engine.ts).
import { createNeuralOde } from '../../wasm/api.js';
import type { NeuralOde, StepResult } from '../../wasm/neural-ode';
import { NO_PROGRESS, type FromWorker, type Progress, type ToWorker } from './protocol';
import type { TaskId } from './settings';
import { densityEngine } from './worker/density-engine';
import { DivergenceWatch } from './worker/divergence';
import { WORK_BUDGET, type Engine } from './worker/engine';
import { trajectoryEngine } from './worker/trajectory-engine';

/** Work between two looks at the message queue. */
const CHUNK_MS = 40;
/** One iteration may take this long (the core cuts it there); a slower one stops training with a message. Pause
 * waits for the iteration under way, so it answers within max(CHUNK_MS, one iteration) ≤ this. */
const SLOW_ITERATION_MS = 2000;
/** Least time between two whole-data losses / two visual refreshes while training; they also take at most
 * 1/DATA_LOSS_SHARE and 1/VISUAL_SHARE of the time (measured), so training keeps most of it. */
const DATA_LOSS_MS = 400;
const DATA_LOSS_SHARE = 10;
const VISUAL_MS = 150;
const VISUAL_SHARE = 7;

const post = (m: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);
const error = (message: string, fatal = false, persistent = false) => post({ type: 'error', message, fatal, persistent });
const now = () => performance.now();

/** Per task: its engine and what the loop knows about its run. */
interface Run {
  engine: Engine<TaskId>;
  /** the page's number of the current data */
  seq: number;
  progress: Progress;
  watch: DivergenceWatch;
  good: { params: Float64Array; iteration: number } | null;
  lastDataLoss: number;
  dataLossCost: number;
  lastVisual: number;
  visualCost: number;
}

let runs: Record<TaskId, Run>;
let active: TaskId = 'trajectories';
let running = false;
const run = () => runs[active];

function newRun(engine: Engine<TaskId>): Run {
  return { engine, seq: 0, progress: { ...NO_PROGRESS }, watch: new DivergenceWatch(), good: null, lastDataLoss: 0, dataLossCost: 0, lastVisual: 0, visualCost: 0 };
}

/** Forget the run's history (new model or data): iteration from the trainer, losses unknown. */
function restart(r: Run) {
  iterationMs = 0;
  r.progress = { ...NO_PROGRESS, iteration: r.engine.trainer()?.iteration() ?? 0 };
  r.watch.reset();
  r.good = null;
}

function postProgress() {
  post({ type: 'progress', task: active, running, progress: run().progress });
}

// ---- the loop: one tick at a time, each bounded (~CHUNK_MS); messages are answered between ticks ----
// Jobs (parts of the whole-data loss, parts of the visuals) run before training resumes, so the weights do
// not change under them.
type Job = () => void;
let jobs: Job[] = [];
let lossPending = false, visualsPending = false;
const visualJobs = new WeakSet<Job>();
let ticking = false;

function wake() {
  if (ticking) return;
  ticking = true;
  setTimeout(tick, 0);
}

function tick() {
  ticking = false;
  const start = now();
  if (jobs.length) {
    while (jobs.length && now() - start < CHUNK_MS) {
      try {
        jobs.shift()!();
      } catch (e) {
        error((e as Error).message);
      }
    }
  } else if (running) trainChunk();
  if (jobs.length || running) wake();
}

/** Queue the whole-data loss (then the divergence check, the last good weights, the progress). */
function queueDataLoss(r: Run) {
  if (lossPending || !r.engine.hasData()) return;
  const parts = r.engine.dataLossParts();
  if (!parts.length) return;
  lossPending = true;
  let sum = 0, weight = 0, cost = 0;
  let failed: string | null = null, slow = false;
  for (const part of parts)
    jobs.push(() => {
      if (failed) return;
      const t0 = now();
      try {
        const [s, w] = part();
        sum += s;
        weight += w;
      } catch (e) {
        failed = (e as Error).message;
        if (now() - t0 >= 0.9 * WORK_BUDGET.maxMillis) slow = true;
      }
      cost += now() - t0;
    });
  jobs.push(() => {
    lossPending = false;
    r.lastDataLoss = now();
    r.dataLossCost = cost;
    if (slow) {
      r.progress = { ...r.progress, dataLoss: NaN, dataLossIteration: -1 };
      error(`The loss on all data takes more than ${WORK_BUDGET.maxMillis / 1000} s to compute with these settings, so it is not shown.`);
      if (r === run()) postProgress();
      return;
    }
    if (failed !== null) {
      // While training, a whole-data loss that cannot be computed means the field has blown up.
      if (running && r === run()) diverged(r, `the loss on all data could not be computed (${failed})`);
      return;
    }
    if (weight === 0) return;
    const loss = sum / weight;
    const iteration = r.engine.trainer()?.iteration() ?? 0;
    r.progress = { ...r.progress, dataLoss: loss, dataLossIteration: iteration, dataLossMillis: cost };
    const { reason } = r.watch.dataLoss(loss);
    if (reason) diverged(r, reason);
    else {
      const t = r.engine.trainer();
      if (t) r.good = { params: t.parameters(), iteration };
    }
    if (r === run()) postProgress();
  });
}

/** Queue the visuals, part by part. */
function queueVisuals(r: Run) {
  if (visualsPending) return;
  const parts = r.engine.visuals();
  if (!parts.length) return;
  visualsPending = true;
  let cost = 0;
  const queued: Job[] = parts.map((part) => () => {
    const t0 = now();
    const v = part();
    if (v) post({ ...v[0], seq: r.seq } as FromWorker, v[1]);
    cost += now() - t0;
  });
  queued.push(() => {
    visualsPending = false;
    r.visualCost = cost;
    r.lastVisual = now();
    r.progress = { ...r.progress, visualMillis: cost };
  });
  queued.forEach((j) => visualJobs.add(j));
  jobs.push(...queued);
}

/** Everything shown is recomputed (after a pause, a step, new data, settings or weights): stale jobs are dropped. */
function refresh() {
  jobs = [];
  lossPending = visualsPending = false;
  const r = run();
  jobs.push(() => {
    r.progress = { ...r.progress, fieldError: r.engine.fieldError() };
    postProgress();
  });
  queueDataLoss(r);
  queueVisuals(r);
  wake();
}

function diverged(r: Run, reason: string) {
  running = false;
  post({ type: 'diverged', task: r.engine.task, reason, goodIteration: r.good?.iteration ?? null });
}

function record(r: Run, res: StepResult, steps: number, nfeF: number, nfeB: number, millis: number) {
  r.progress = { ...r.progress, iteration: res.iteration, batchLoss: res.loss, gradNorm: res.gradNorm, nfeForward: nfeF / steps,
    nfeBackward: nfeB / steps, millis: millis / steps, status: res.status, message: res.message };
}

/** How long one iteration took lately (ms): the next chunk's time budget allows for one of them. */
let iterationMs = 0;

/** Training steps for about CHUNK_MS (the core stops starting iterations when the budget would be exceeded and
 * cuts one that overruns it), then the whole-data loss and the visuals when they are due. */
function trainChunk() {
  const r = run();
  const t = r.engine.trainer();
  if (!t) {
    running = false;
    return;
  }
  let budget = Math.min(SLOW_ITERATION_MS, Math.max(CHUNK_MS, 1.5 * iterationMs));
  let res = t.step(1000, { maxMillis: budget });
  if (res.iterations === 0 && res.status === 'time-limit' && budget < SLOW_ITERATION_MS) {
    // One iteration needs more than a chunk: it gets up to SLOW_ITERATION_MS.
    budget = SLOW_ITERATION_MS;
    res = t.step(1, { maxMillis: budget });
  }
  if (res.iterations > 0) iterationMs = res.millis / res.iterations;
  const steps = Math.max(1, res.iterations);
  if (res.iterations > 0) record(r, res, steps, res.nfeForward, res.nfeBackward, res.millis);
  if (res.iterations === 0 && res.status === 'time-limit') {
    running = false;
    error(`Training stopped: one iteration takes more than ${SLOW_ITERATION_MS / 1000} s with these settings (it was cut short and discarded; ` +
      'the weights are unchanged), so Pause could not answer quickly. Choose a smaller width, depth, batch or window, or a looser solver ' +
      'tolerance.', false, true);
  } else if (res.status !== 'success' && res.status !== 'time-limit') {
    record(r, res, steps, res.nfeForward, res.nfeBackward, res.millis);
    diverged(r, `the solver stopped (${res.status}: ${res.message})`);
  } else {
    const reason = r.watch.step(res.loss, res.nfeForward / steps);
    if (reason) diverged(r, reason);
  }
  if (!running) {
    refresh();
    return;
  }
  const tNow = now();
  if (tNow - r.lastDataLoss > Math.max(DATA_LOSS_MS, DATA_LOSS_SHARE * r.dataLossCost)) queueDataLoss(r);
  if (tNow - r.lastVisual > Math.max(VISUAL_MS, VISUAL_SHARE * r.visualCost)) queueVisuals(r);
  postProgress();
}

function handle(m: ToWorker) {
  switch (m.type) {
    case 'configure': {
      const r = runs[m.task];
      const warning = (r.engine.configure as (c: unknown, d: unknown, k: boolean) => string | null)(m.config, m.model, m.keep);
      if (warning) error(warning);
      if (!m.keep || m.model) restart(r);
      else r.watch.reset();
      if (m.task === active) refresh();
      break;
    }
    case 'data': {
      const r = runs[m.task];
      (r.engine.setData as (d: unknown) => void)(m.data);
      r.seq = m.seq ?? 0;
      r.watch.reset();
      r.good = null;
      r.progress = { ...r.progress, dataLoss: NaN, dataLossIteration: -1 };
      if (!r.engine.hasData() && m.task === active) running = false;
      if (m.task === active) refresh();
      break;
    }
    case 'view':
      (runs[m.task].engine.setView as (v: unknown) => void)(m.view);
      if (m.task === active) {
        visualsPending = false;
        jobs = jobs.filter((j) => !visualJobs.has(j));
        queueVisuals(run());
        wake();
      }
      break;
    case 'activate':
      running = false;
      active = m.task;
      refresh();
      break;
    case 'train': {
      const r = run();
      if (m.running && !r.engine.hasData()) {
        error(r.engine.emptyMessage);
        running = false;
        postProgress();
        break;
      }
      const was = running;
      running = m.running;
      // Pausing shows fresh visuals and the whole-data loss at the current weights.
      if (!running && was) refresh();
      else postProgress();
      wake();
      break;
    }
    case 'step': {
      const r = run();
      const t = r.engine.trainer();
      if (!t) break;
      if (!r.engine.hasData()) {
        error(r.engine.emptyMessage);
        break;
      }
      // Step runs one iteration whatever it costs (the core's budget of one call, 60 s, bounds it).
      const res = t.step(1);
      record(r, res, 1, res.nfeForward, res.nfeBackward, res.millis);
      if (res.status !== 'success') diverged(r, `the solver stopped (${res.status}: ${res.message})`);
      refresh();
      break;
    }
    case 'reset':
      run().engine.trainer()?.reset(m.seed);
      restart(run());
      refresh();
      break;
    case 'restore': {
      const r = run();
      const t = r.engine.trainer();
      if (!t || !r.good) break;
      t.setParameters(r.good.params);
      r.watch.reset();
      refresh();
      break;
    }
    case 'snapshot':
      for (const r of Object.values(runs)) {
        const model = r.engine.snapshot();
        if (model) post({ type: 'snapshot', task: r.engine.task, model, iteration: r.engine.trainer()?.iteration() ?? 0 });
      }
      break;
    case 'preset':
      post(...runs[m.task].engine.preset(m.name, m.seed));
      break;
    case 'query': {
      const a = (runs[m.task].engine.query as (id: number, q: unknown) => [FromWorker, Transferable[]] | null)(m.id, m.query);
      if (a) post(...a);
      break;
    }
  }
}

let queue: ToWorker[] | null = [];
function safely(m: ToWorker) {
  try {
    handle(m);
  } catch (err) {
    error((err as Error).message);
  }
}
self.onmessage = (e: MessageEvent<ToWorker>) => {
  if (queue) queue.push(e.data);
  else safely(e.data);
};

createNeuralOde().then(
  (ode: NeuralOde) => {
    runs = { trajectories: newRun(trajectoryEngine(ode)), density: newRun(densityEngine(ode)) };
    post({ type: 'ready', version: ode.version, presets: { trajectories: runs.trajectories.engine.presets(), density: runs.density.engine.presets() } });
    const pending = queue ?? [];
    queue = null;
    pending.forEach(safely);
  },
  (err: Error) => error(`the WebAssembly module could not load (${err.message})`, true),
);
