// The training worker: owns the wasm module and one engine per task, trains the active one in short chunks so
// every message (Pause above all) is answered quickly, and streams progress and visuals. No DOM, no task branches:
// everything task-specific lives in the engines (worker/*-engine.ts).
import { createNeuralOde } from '../../wasm/api.js';
import type { NeuralOde, StepResult } from '../../wasm/neural-ode';
import { NO_PROGRESS, type FromWorker, type Progress, type ToWorker } from './protocol';
import type { TaskId } from './settings';
import { densityEngine } from './worker/density-engine';
import { DivergenceWatch } from './worker/divergence';
import { MORE, PIECE_MS, type Engine, type InspectionJob, type Part, type TrainerLike } from './worker/engine';
import timing from './worker/timing.json';
import { trajectoryEngine } from './worker/trajectory-engine';

/** Work between two looks at the message queue (timing.json: the one source the e2e tests and the bench read too).
 * Training iterations are resumable: a chunk ends between two solver steps once CHUNK_MS have passed, and the iteration
 * it cut short continues in the next chunk exactly as if uninterrupted (a seed still reproduces the run), so Pause is
 * answered within CHUNK_MS plus one solver step whatever the model's size; every other piece is sized for PIECE_MS. */
const CHUNK_MS = timing.chunkMs;
/** Least time between two whole-data losses / two visual refreshes while training; they also take at most
 * 1/DATA_LOSS_SHARE and 1/VISUAL_SHARE of the time (measured), so training keeps most of it. */
const DATA_LOSS_MS = 400;
const DATA_LOSS_SHARE = 10;
const VISUAL_MS = 150;
const VISUAL_SHARE = 7;
/** The same for the analyses (phase portrait): slower, so less often. */
const ANALYSIS_MS = 3000;
const ANALYSIS_SHARE = 6;
/** While training, one chunk in this many goes to background work (the confidence ensemble) when it is due. */
const BACKGROUND_EVERY = 4;
/** While training, writing the model's (packed) document takes at most 1/SNAPSHOT_SHARE of the time (256 × 6: 6–100 ms
 * a snapshot on the loaded test box, so at most one every 0.1–1 s; the page asks every 5 s). */
const SNAPSHOT_SHARE = 10;
/** Least time between two snapshots of the last good model (a document of weights and optimiser state). */
const GOOD_EVERY_MS = 1000;

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
  /** the last good model's iteration and when it was taken (the trainer keeps it: checkpoint(), no document) */
  good: { iteration: number; at: number } | null;
  /** what writing the model's document cost last (ms) and when: while training, snapshots take at most 1/SNAPSHOT_SHARE
   * of the time */
  snapshotCost: number;
  snapshotAt: number;
  /** the page's generation of this model (the last 'configure''s): snapshots carry it, so the page files a snapshot
   * that arrives after it replaced the model under the undo entry that holds that model, not under the new one */
  gen: number;
  /** the trainer and iteration of the document posted last (cleared by whatever else changes the model): an unchanged
   * model is not written again */
  posted: { trainer: unknown; iteration: number } | null;
  lastDataLoss: number;
  dataLossCost: number;
  lastVisual: number;
  visualCost: number;
  lastAnalysis: number;
  analysisCost: number;
}

let runs: Record<TaskId, Run>;
let active: TaskId = 'trajectories';
let running = false;
const run = () => runs[active];

function newRun(engine: Engine<TaskId>): Run {
  return { engine, seq: 0, gen: 0, progress: { ...NO_PROGRESS }, watch: new DivergenceWatch(), good: null, snapshotCost: 0, snapshotAt: 0, posted: null, lastDataLoss: 0, dataLossCost: 0, lastVisual: 0, visualCost: 0, lastAnalysis: 0, analysisCost: 0 };
}

/** Forget the run's history (new model or data): iteration from the trainer, losses unknown. */
function restart(r: Run) {
  r.progress = { ...NO_PROGRESS, iteration: r.engine.trainer()?.iteration() ?? 0 };
  r.watch.reset();
  r.good = null;
  r.posted = null;
}

/** While training, the progress after a chunk is posted at most every PROGRESS_MS (10 a second, not after each 40 ms
 * chunk): every message wakes the page's main thread, which redraws the readouts and the chart (on a 2-core machine that
 * competes with the worker; headless Chromium composites in software). Progress that confirms a Pause, a Step, new
 * data or settings, and each whole-data loss is posted at once. */
const PROGRESS_MS = timing.progressMs;
let progressAt = 0;
function postProgress() {
  progressAt = now();
  post({ type: 'progress', task: active, running, progress: run().progress, gen: run().gen });
}

// ---- the loop: one tick at a time, each bounded (~CHUNK_MS); messages are answered between ticks ----
// Jobs (parts of the whole-data loss, parts of the visuals) run before training resumes, so the weights do
// not change under them.
type Job = () => void;
let jobs: Job[] = [];
let lossPending = false;
let ticking = false;

/** The next tick comes as a message on a channel of our own, not setTimeout(0): chained timers are clamped to ≥ 4 ms
 * after five levels of nesting (HTML timers; Chromium's worker measured 5.2 ms per chained setTimeout(0) against 0.1 ms
 * per channel message), i.e. ~10 % of the time idle between 40 ms chunks. The page's messages keep their turn: they
 * and the channel's are tasks of one event loop, taken in the order they were posted. */
const ticker = new MessageChannel();
ticker.port1.onmessage = () => tick();
function wake() {
  if (ticking) return;
  ticking = true;
  ticker.port2.postMessage(null);
}

let chunks = 0;
/** The Step under way (a job of the queue), if any. */
let stepping: Job | null = null;
/** The longest tick or message handling since the last ping (ms): how long a message may have waited; and the longest
 * single piece in it, with its kind (jobs are labelled where they are queued). */
let longestTick = 0;
let longestPiece = { millis: 0, kind: '' };
const kinds = new WeakMap<Job, string>();
const labelled = (kind: string, job: Job) => (kinds.set(job, kind), job);
function note(kind: string, millis: number) {
  if (millis > longestPiece.millis) longestPiece = { millis, kind };
}
/** When training last ran a chunk. Views can change faster than a big model's visuals are computed (the page adapts
 * its grid to slow frames): visual parts are then requeued before the queue drains, so training gets a chunk at least
 * every STARVE_MS while visual or analysis parts wait (never between the parts of a whole-data loss). */
let trainedAt = 0;
const STARVE_MS = 250;
/** When the tick under way started: resumable parts get what is left of its CHUNK_MS. */
let tickStart = 0;
const leftOfTick = () => Math.max(1, CHUNK_MS - (now() - tickStart));
function tick() {
  ticking = false;
  const start = (tickStart = now());
  const r = run();
  const backgroundDue = r.engine.backgroundDue?.() ?? false;
  const starving = running && !lossPending && start - trainedAt > STARVE_MS;
  if (jobs.length && !starving) {
    while (jobs.length && now() - start < CHUNK_MS) {
      const job = jobs.shift()!;
      const t0 = now();
      try {
        job();
      } catch (e) {
        error((e as Error).message);
      }
      note(kinds.get(job) ?? 'other', now() - t0);
    }
  } else if (backgroundDue && (!running || ++chunks % BACKGROUND_EVERY === 0)) {
    background(r);
    note('background', now() - start);
  } else if (running) {
    try {
      trainChunk();
    } catch (e) {
      failed(r, e);
      refresh();
    }
    trainedAt = now();
    note('training', trainedAt - start);
  }
  if (jobs.length || running || (r.engine.backgroundDue?.() ?? false)) wake();
  longestTick = Math.max(longestTick, now() - start);
}

/** One piece of the engine's background work (bounded by the engine). */
function background(r: Run) {
  try {
    const { post: p } = r.engine.background!();
    if (p) post(p[0].type === 'analysis' ? ({ ...p[0], seq: r.seq } as FromWorker) : p[0], p[1]);
  } catch (e) {
    error((e as Error).message);
  }
}

/** Queue the whole-data loss in parts, and the field error against a preset's truth with it (the same weights, so both
 * readouts are of one iteration, while training too); then the divergence check, the last good model, the progress.
 * Loss parts that do not fit their time budget are left out and the readout says over how much of the data the loss
 * is; so does an engine that estimates it on a fixed subsample (a big density flow: `subsampled` parts). */
function queueDataLoss(r: Run) {
  if (lossPending) return;
  const parts = r.engine.hasData() ? r.engine.dataLossParts() : [];
  const errorParts = r.engine.fieldErrorParts();
  let num = 0, den = 0;
  if (!parts.length) {
    r.progress = { ...r.progress, fieldError: null };  // no data: no field error either (refresh's progress says so)
    return;
  }
  lossPending = true;
  let sum = 0, weight = 0, cost = 0, covered = 0, total = 0;
  let failed: string | null = null;
  const coveredParts: number[] = [];
  const subsample = parts.some((p) => p.subsampled);
  parts.forEach((part, index) => {
    total += part.units;
    if (part.subsampled) return; // left out of a subsample estimate: nothing to run
    const job = () => {
      if (failed) return;
      const t0 = now();
      try {
        const got = part.run();
        // Stopped between two solver steps at its budget: continued first thing next (the model has not changed).
        if (got === 'more') jobs.unshift(job);
        else if (got) {
          sum += got[0];
          weight += got[1];
          covered += part.units;
          coveredParts.push(index);
        }
      } catch (e) {
        failed = (e as Error).message;
      }
      cost += now() - t0;
    };
    jobs.push(labelled('loss', job));
  });
  for (const part of errorParts)
    jobs.push(labelled('field error', () => {
      const t0 = now();
      const [a, b] = part();
      num += a;
      den += b;
      cost += now() - t0;
    }));
  jobs.push(() => {
    lossPending = false;
    r.progress = { ...r.progress, fieldError: den > 0 ? Math.sqrt(num / den) : null };
    r.lastDataLoss = now();
    r.dataLossCost = cost;
    if (failed !== null) {
      // While training, a whole-data loss that cannot be computed means the field has blown up.
      if (running && r === run()) diverged(r, `the loss on all data could not be computed (${failed})`);
      else if (r === run()) postProgress();  // the field error, computed meanwhile
      return;
    }
    const coverage = covered < total ? { covered, total, unit: r.engine.lossUnit, ...(subsample ? { subsample } : {}) } : null;
    if (weight === 0) {
      r.progress = { ...r.progress, dataLoss: NaN, dataLossIteration: -1, dataLossCoverage: coverage };
      error(`The loss on all data is not shown: each part of it takes more than ${PIECE_MS} ms with these settings.`);
      if (r === run()) postProgress();
      return;
    }
    const loss = sum / weight;
    const iteration = r.engine.trainer()?.iteration() ?? 0;
    r.progress = { ...r.progress, dataLoss: loss, dataLossIteration: iteration, dataLossMillis: cost, dataLossCoverage: coverage };
    // With parts left out, the loss is compared with the best over the same parts (like with like).
    const { reason, trusted } = r.watch.dataLoss(loss, coverage ? coveredParts.join(',') : '');
    if (reason) diverged(r, reason);
    else if (trusted && (!r.good || r.good.iteration !== iteration && now() - r.good.at > GOOD_EVERY_MS)) {
      // The whole training state, kept in the module (a copy; a document of the largest model takes seconds):
      // restoring it brings back the optimiser's moments and step count with the weights.
      const t = r.engine.trainer();
      if (t) {
        t.checkpoint();
        r.good = { iteration, at: now() };
      }
    }
    if (r === run()) postProgress();
  });
}

/** Parts of drawn results (visuals, analyses): each queued at most once at a time, droppable when the view changes. */
const partKinds = {
  visual: { pending: false, jobs: new WeakSet<Job>() },
  analysis: { pending: false, jobs: new WeakSet<Job>() },
};
type PartKind = keyof typeof partKinds;

/** Queue the visuals or the analyses, part by part. */
function queueParts(r: Run, kind: PartKind) {
  const k = partKinds[kind];
  if (k.pending) return;
  const parts = kind === 'visual' ? r.engine.visuals() : r.engine.analyses?.(running) ?? [];
  if (!parts.length) return;
  k.pending = true;
  let cost = 0;
  const queued: Job[] = parts.map((part) => {
    const job: Job = () => {
      const t0 = now();
      try {
        const v = part(leftOfTick());
        // A resumable part (an analysis in pieces) goes back to the front of the queue until it has finished.
        if (v === MORE) jobs.unshift(job);
        else if (v) post({ ...v[0], seq: r.seq } as FromWorker, v[1]);
      } finally {
        cost += now() - t0;
      }
    };
    return labelled(kind, job);
  });
  queued.push(() => {
    k.pending = false;
    if (kind === 'visual') {
      r.visualCost = cost;
      r.lastVisual = now();
      r.progress = { ...r.progress, visualMillis: cost };
    } else {
      r.analysisCost = cost;
      r.lastAnalysis = now();
    }
  });
  queued.forEach((j) => k.jobs.add(j));
  jobs.push(...queued);
}
const queueVisuals = (r: Run) => queueParts(r, 'visual');

/** Drop queued parts of a kind (their view or wants changed) and queue them afresh. */
function requeue(r: Run, kind: PartKind) {
  const k = partKinds[kind];
  k.pending = false;
  jobs = jobs.filter((j) => !k.jobs.has(j));
  queueParts(r, kind);
  wake();
}

/** Everything shown is recomputed (after a pause, a step, new data, settings or weights): stale jobs are dropped. */
function refresh() {
  const checks = jobs.filter((j) => inspections.has(j));
  jobs = [];
  stepping = null;
  lossPending = partKinds.visual.pending = partKinds.analysis.pending = false;
  const r = run();
  // The progress first (it confirms a Pause), the checks under way, then the whole-data loss and the field error.
  jobs.push(postProgress, ...checks);
  queueDataLoss(r);
  queueVisuals(r);
  queueParts(r, 'analysis');
  wake();
}

/** The on-demand checks under way (one per kind: a newer request supersedes the older, which is dropped), each a job
 * of the queue that runs in pieces (a solver step of a gradient at least) and goes back to its end until finished (the
 * rest of the queue takes turns with it); they stay queued through refresh(). */
const inspecting = new Map<string, { job: InspectionJob; step: Job }>();
const inspections = new WeakSet<Job>();
function inspect(what: 'gradient' | 'memory', start: (what: 'gradient' | 'memory') => InspectionJob) {
  const old = inspecting.get(what);
  if (old) {
    old.job.delete();
    jobs = jobs.filter((j) => j !== old.step);
    inspecting.delete(what);
  }
  let job: InspectionJob;
  try {
    job = start(what);
  } catch (err) {
    post({ type: 'inspection', what, result: null, error: (err as Error).message });
    return;
  }
  const step: Job = () => {
    let answer: FromWorker;
    try {
      const got = job.run(leftOfTick());
      if (!got) {
        jobs.push(step); // to the back: what was queued meanwhile (a Pause's progress, visuals) does not wait for it
        return;
      }
      answer = { type: 'inspection', ...got } as FromWorker;
    } catch (err) {
      answer = { type: 'inspection', what, result: null, error: (err as Error).message };
    }
    job.delete();
    inspecting.delete(what);
    post(answer);
  };
  inspecting.set(what, { job, step });
  inspections.add(labelled(what, step));
  jobs.push(step);
  wake();
}

function diverged(r: Run, reason: string) {
  running = false;
  post({ type: 'diverged', task: r.engine.task, reason, goodIteration: r.good?.iteration ?? null });
}

/** Training threw (a wasm binding error, an engine bug): it pauses like after a divergence — the model and the data stay
 * as they were, the page offers the last good model and reports the error (not the generic notice of an error that
 * escaped every handler, which would also leave the loop stopped mid-tick). The caller refreshes (confirms the pause). */
function failed(r: Run, err: unknown) {
  running = false;
  post({ type: 'failed', task: r.engine.task, message: err instanceof Error ? err.message : String(err), goodIteration: r.good?.iteration ?? null });
}

/** Test-only (`playground.workerFault('train')`): the next training step throws. */
let trainFault = false;
/** The trainer's step: what training chunks and Step call. */
function trainStep(t: TrainerLike, iterations: number, maxMillis: number): StepResult {
  if (trainFault) {
    trainFault = false;
    throw new Error('test fault: training threw');
  }
  return t.step(iterations, { maxMillis, resumable: true });
}

function record(r: Run, res: StepResult, steps: number, nfeF: number, nfeB: number, millis: number) {
  r.progress = { ...r.progress, iteration: res.iteration, batchLoss: res.loss, gradNorm: res.gradNorm, nfeForward: nfeF / steps,
    nfeBackward: nfeB / steps, millis: millis / steps, status: res.status, message: res.message };
}

/** Training for about CHUNK_MS (resumable: the iteration under way at its end is kept and continued next time), then
 * the whole-data loss and the visuals when they are due. */
function trainChunk() {
  const r = run();
  const t = r.engine.trainer();
  if (!t) {
    running = false;
    return;
  }
  const res = trainStep(t, 1000, CHUNK_MS);
  const steps = Math.max(1, res.iterations);
  if (res.iterations > 0) record(r, res, steps, res.nfeForward, res.nfeBackward, res.millis);
  r.progress = { ...r.progress, pending: res.suspended, pendingNfe: res.pendingNfeForward };
  if (res.status !== 'success') {
    record(r, res, steps, res.nfeForward, res.nfeBackward, res.millis);
    diverged(r, `the solver stopped (${res.status}: ${res.message})`);
  } else {
    // A field blowing up inside one long iteration shows in its solver work before the iteration ends.
    const reason = (res.iterations > 0 ? r.watch.step(res.loss, res.nfeForward / steps) : null)
      ?? (res.suspended ? r.watch.underWay(res.pendingNfeForward) : null);
    if (reason) diverged(r, reason);
  }
  if (!running) {
    refresh();
    return;
  }
  const tNow = now();
  if (tNow - r.lastDataLoss > Math.max(DATA_LOSS_MS, DATA_LOSS_SHARE * r.dataLossCost)) queueDataLoss(r);
  if (tNow - r.lastVisual > Math.max(VISUAL_MS, VISUAL_SHARE * r.visualCost)) queueVisuals(r);
  if (tNow - r.lastAnalysis > Math.max(ANALYSIS_MS, ANALYSIS_SHARE * r.analysisCost)) queueParts(r, 'analysis');
  if (tNow - progressAt >= PROGRESS_MS) postProgress();
}

function handle(m: ToWorker) {
  switch (m.type) {
    case 'configure': {
      const r = runs[m.task];
      r.gen = m.gen;  // first: a configure that throws still leaves the page's generation (snapshots go to the current model)
      const warning = (r.engine.configure as (c: unknown, d: unknown, k: boolean) => string | null)(m.config, m.model, m.keep);
      if (warning) error(warning);
      if (!m.keep || m.model) restart(r);
      else {
        // A new trainer with the same weights: its checkpoint (the last good model) starts afresh.
        r.watch.reset();
        r.good = null;
      }
      if (m.task === active) refresh();
      break;
    }
    case 'data': {
      const r = runs[m.task];
      (r.engine.setData as (d: unknown) => void)(m.data);
      r.seq = m.seq ?? 0;
      r.watch.reset();
      r.good = r.posted = null;
      r.progress = { ...r.progress, dataLoss: NaN, dataLossIteration: -1 };
      if (!r.engine.hasData() && m.task === active) running = false;
      if (m.task === active) refresh();
      break;
    }
    case 'view':
      (runs[m.task].engine.setView as (v: unknown) => void)(m.view);
      if (m.task === active) {
        requeue(run(), 'visual');
        requeue(run(), 'analysis');
      }
      break;
    case 'want':
      (runs[m.task].engine.setWants as ((w: unknown) => void) | undefined)?.(m.want);
      if (m.task === active) requeue(run(), 'analysis');
      wake();
      break;
    case 'inspect': {
      const e = run().engine;
      if (!e.inspect) {
        post({ type: 'inspection', what: m.what, result: null, error: 'not available for this task' });
        break;
      }
      running = false;
      postProgress();
      inspect(m.what, e.inspect.bind(e));
      break;
    }
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
      // Step runs one iteration whatever it costs, resumably in pieces of what is left of a tick (a job at the front of
      // the queue until the iteration is complete: every message is answered meanwhile; a refresh drops it, the iteration
      // under way staying in the trainer). An iteration under way (paused in the middle) is the one it completes.
      if (stepping) break;
      const stepJob: Job = () => {
        let res: StepResult;
        try {
          res = trainStep(t, 1, leftOfTick());
        } catch (e) {
          failed(r, e);
          refresh();
          return;
        }
        if (res.status === 'success' && res.iterations === 0) {
          r.progress = { ...r.progress, pending: res.suspended, pendingNfe: res.pendingNfeForward };
          jobs.unshift(stepJob);
          return;
        }
        stepping = null;
        record(r, res, 1, res.nfeForward, res.nfeBackward, res.millis);
        r.progress = { ...r.progress, pending: false, pendingNfe: 0 };
        if (res.status !== 'success') diverged(r, `the solver stopped (${res.status}: ${res.message})`);
        refresh();
      };
      stepping = labelled('step', stepJob);
      jobs.unshift(stepJob);
      wake();
      break;
    }
    case 'restore': {
      // The checkpoint moves on with training and goes with a settings or data change: restore only the one the
      // page's button named (a notice can outlive it).
      const r = run();
      const t = r.engine.trainer();
      if (!t || !r.good || r.engine.task !== m.task || r.good.iteration !== m.iteration) {
        error(`The weights of iteration ${m.iteration} are no longer kept (training, a setting or the data changed since); nothing was restored.`);
        break;
      }
      const good = r.good;
      t.restoreCheckpoint();
      restart(r);
      r.good = good;
      refresh();
      break;
    }
    case 'snapshot':
      for (const r of Object.values(runs)) {
        // Packed, a document is written in milliseconds (256 × 6: 6–100 ms on the loaded test box), so it is written
        // while training too, within its share of the time.
        const t = r.engine.trainer();
        // Forced (the page waits for the weights of a model it replaces): always answered, unchanged or not, and with
        // no model when there is none to send (the page stops waiting for it).
        if (!m.force && (!t || (running && now() - r.snapshotAt < SNAPSHOT_SHARE * r.snapshotCost) || (r.posted?.trainer === t && r.posted.iteration === t.iteration()))) continue;
        let model = null;
        if (t) {
          const t0 = now();
          model = r.engine.snapshot();
          r.snapshotAt = now();
          r.snapshotCost = r.snapshotAt - t0;
          r.posted = { trainer: t, iteration: t.iteration() };
        }
        if (model) post({ type: 'snapshot', task: r.engine.task, model, iteration: t!.iteration(), millis: r.snapshotCost, gen: r.gen }, [model.packed.buffer]);
        else if (m.force) post({ type: 'snapshot', task: r.engine.task, model: null, iteration: t?.iteration() ?? 0, millis: 0, gen: r.gen });
      }
      break;
    case 'preset':
      post(...runs[m.task].engine.preset(m.name, m.seed));
      break;
    case 'fault':
      // Test-only: the error escapes this handler's try/catch on purpose ('train': the next training step throws, caught
      // by training's own handling).
      if (m.kind === 'train') trainFault = true;
      else if (m.kind === 'throw') setTimeout(() => { throw new Error('test fault: an uncaught exception'); });
      else void Promise.reject(new Error('test fault: an unhandled rejection'));
      break;
    case 'ping': {
      const pending = [...(stepping ? ['step'] : []), ...(lossPending ? ['loss'] : []), ...(Object.keys(partKinds) as PartKind[]).filter((k) => partKinds[k].pending), ...inspecting.keys()];
      post({ type: 'pong', id: m.id, pending, longestTick, longestPiece });
      longestTick = 0;
      longestPiece = { millis: 0, kind: '' };
      break;
    }
    case 'query': {
      // In resumable pieces at the front of the queue (a big network's path takes hundreds of ms), kept through refreshes.
      const part = (runs[m.task].engine.query as (id: number, q: unknown) => Part | null)(m.id, m.query);
      if (!part) break;
      const job: Job = () => {
        const v = part(leftOfTick());
        if (v === MORE) jobs.unshift(job);
        else if (v) post(...v);
      };
      inspections.add(labelled('query', job));
      jobs.unshift(job);
      wake();
      break;
    }
  }
}

// Errors outside every try/catch here: an uncaught exception reaches the page by itself (the worker's 'error' event
// there); an unhandled rejection and a message that cannot be read would not, so they are posted (and reported by the
// page, not here too).
self.addEventListener('unhandledrejection', (e: PromiseRejectionEvent) => {
  e.preventDefault();
  const r = e.reason as unknown;
  post({ type: 'uncaught', message: `unhandled rejection: ${r instanceof Error ? r.message : String(r)}` });
});
self.addEventListener('messageerror', () => post({ type: 'uncaught', message: 'a message from the page could not be read' }));

let queue: ToWorker[] | null = [];
function safely(m: ToWorker) {
  const t0 = now();
  try {
    handle(m);
  } catch (err) {
    error((err as Error).message);
  }
  if (m.type !== 'ping') {
    longestTick = Math.max(longestTick, now() - t0);
    note(`message ${m.type}`, now() - t0);
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
