// Wires the page: one state value (app/state.ts), one applyState() path that rebuilds the DOM and tells the worker
// what changed, the task modules (tasks/), the layer registry (render/layers.ts), readouts, controls and files.
import { emptyTask, planSync, withData, withFreshModel, withModel, withModelRestored, withRestored, withSettings, type AppState, type TaskState } from './app/state';
import { History, trajectoryToStroke, type Stroke } from './draw/strokes';
import { parseCsv } from './io/csv';
import { checkPreset, parseLink } from './io/link';
import type { DensityDocument, ModelDocument } from '../../wasm/neural-ode';
import { isPacked, modelInfo, packDocument, type PackedModel } from './io/packed';
import { makeSession, parseSession, toJsonSession, type Session, type View } from './io/session';
import { loadSession, saveSession } from './io/storage';
import type { FromWorker, PresetItem, Progress, ToWorker } from './protocol';
import { massInPaintedCells } from './render/density';
import { LAYERS, type Scene } from './render/layers';
import { LayerLoop } from './render/loop';
import { describeEquilibrium, equilibriumAt } from './render/portrait';
import { fitView, toWorld } from './render/view';
import { DEFAULTS, SETTINGS, TASK_IDS, appliesTo, densityHidden, settingsToQuery, type Settings, type TaskId } from './settings';
import { TASKS, SYNCS } from './tasks';
import type { PageEnv, PointerTool, TaskModule } from './tasks/task';
import { setPointerMode, type PointerMode } from './tasks/trajectory';
import { createLossChart, type ChartData } from './ui/chart';
import { createMessages } from './ui/messages';
import { lossNote } from './ui/readouts';
import { createInspectPanel } from './ui/inspect-panel';
import { createPanel } from './ui/panel';
import { createPortraitPanel } from './ui/portrait-panel';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const DEFAULT_VIEW: View = { xmin: -3, xmax: 3, ymin: -3, ymax: 3 };
const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;
const mod = <T extends TaskId>(t: T) => TASKS[t] as TaskModule<T>;

const { hint, clearHint, notice, retract, withdraw } = createMessages($<HTMLParagraphElement>('hint'), $<HTMLDivElement>('notice'),
  () => document.getElementById('train'));  // a notice's button took the last one: focus to the main control
/** The action key of the notices' "Restore the weights of iteration N" buttons (the worker's checkpoint of a task). */
const RESTORE = 'restore';

/** Errors the page survived instead of stopping on (a layer that threw, training that threw, the worker's uncaught
 * errors): kept for tests and the curious (`playground.errors`). */
const survived: { source: string; message: string }[] = [];
/** Records an error the page carries on after and reports it as if uncaught (the console with its stack, window 'error'
 * listeners, the e2e harness's page errors) without throwing into the caller. */
function reportSurvived(source: string, err: unknown) {
  const e = err instanceof Error ? err : new Error(String(err));
  survived.push({ source, message: e.message });
  if (typeof reportError === 'function') reportError(e);
  else setTimeout(() => { throw e; });
}

// ---- the initial state: autosave, then the link on top ----
const stored = await loadSession();
const link = parseLink(location.search, stored.session?.settings ?? { ...DEFAULTS });
/** A model as the page keeps it: packed (an imported JSON document is packed here, so the worker receives bytes). */
const packed = <D extends ModelDocument | DensityDocument>(m: D | PackedModel<D['format']> | null | undefined): PackedModel<D['format']> | null =>
  !m ? null : isPacked(m) ? m : packDocument(m);
function stateFrom(s: Session | null, settings: Settings, task: TaskId): AppState {
  const traj: TaskState<'trajectories'> = { ...emptyTask<'trajectories'>(s?.strokes ?? []), preset: s?.preset ?? null, model: packed(s?.model) };
  const dens: TaskState<'density'> = { ...emptyTask<'density'>(s?.density?.samples ?? []), preset: s?.density?.preset ?? null, model: packed(s?.density?.model) };
  let st: AppState = { task, settings: s?.settings ?? settings, view: s?.view ?? DEFAULT_VIEW, time: 0, tasks: { trajectories: traj, density: dens } };
  // A saved model only fits settings of the same shape: a link with another shape starts fresh.
  st = withSettings(st, settings);
  return { ...st, time: mod(task).time.initial };
}
let state: AppState = stateFrom(stored.session, link.settings, link.task ?? stored.session?.task ?? 'trajectories');
let applied: AppState | null = null;
/** numbers the data sent to the worker, per task: visuals of older data are dropped */
const dataSeq: Record<TaskId, number> = { trajectories: 0, density: 0 };
let presets: Record<TaskId, PresetItem[]> | null = null;
let nextStrokeId = state.tasks.trajectories.data.reduce((m, s) => Math.max(m, s.id), 0) + 1;

interface UndoEntry<T extends TaskId> {
  state: TaskState<T>;
  restoresModel: boolean;
  chart: ChartData | null;
  /** the settings the change set, at their values before it (a change of the settings panel), or null: the settings
   * stay. Only those keys: later changes without an entry of their own (layers, the other task's) are left alone. */
  settings: Partial<Settings> | null;
  /** the models of the other tasks the change replaced too (a setting both tasks use: width, depth, activation, seed),
   * with their charts: restored with it; their data stay as they are, unless the change replaced those too (Import
   * session: `data`) */
  others: Others;
  /** a change that replaced several tasks' models has an entry in each task's history, of one twin number: undone in
   * one task, it leaves the others' histories (once undone, the change is not undone a second time there) */
  twin?: number;
}
let twins = 0;
type Others = Partial<{ [U in TaskId]: { model: TaskState<U>['model']; modelGen: number; chart: ChartData | null;
  data?: { data: TaskState<U>['data']; preset: string | null } } }>;
const histories: { [T in TaskId]: History<UndoEntry<T>> } = { trajectories: new History(), density: new History() };
const charts: Record<TaskId, ChartData | null> = { trajectories: null, density: null };
/** the iteration of the last whole-data loss charted (a progress repeats it until the next one) */
let lastDataIteration = -1;

// ---- worker ----
let worker: Worker | null = null;
let engineReady = false;
let engineFailed = false;
function engineFailure(what: string) {
  if (engineFailed) return;
  engineFailed = true;
  notice(`The training engine could not start (${what}). Drawing still works, but nothing can train. Reload the page; if this persists, ` +
    'use a current Chrome, Edge, Firefox or Safari with JavaScript and WebAssembly enabled, and if you host the page, allow ' +
    "'wasm-unsafe-eval' in its Content-Security-Policy (see the README).", { fatal: true });
  updateButtons();
}
try {
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  // An exception nothing in the worker caught (or its script failing to load) arrives here; the worker posts its
  // unhandled rejections itself ('uncaught'). Reported here once, not again by the browser.
  worker.onerror = (e) => {
    e.preventDefault();
    const where = e.filename ? ` at ${e.filename}:${e.lineno}` : '';
    workerError(e.message ? `${e.message}${where}` : 'its script did not load');
  };
  // (a listener: Chromium's Worker has no onmessageerror property)
  worker.addEventListener('messageerror', () => workerError('a message from it could not be read'));
} catch (e) {
  engineFailure((e as Error).message);
}
/** An error in the worker outside its own try/catch: before it is ready, the engine could not start; after, training
 * pauses (the worker may have stopped in the middle of its loop) and a notice says so. */
function workerError(what: string) {
  reportSurvived('worker', new Error(`training worker: ${what}`));
  if (!engineReady) return engineFailure(what);
  if (running) toggleTraining(); // as the Pause button does
  notice(`The training engine hit an unexpected error (${what}). Training is paused: press Train to go on, and reload ` +
    'the page if it happens again.');
}
const send = (m: ToWorker) => worker?.postMessage(m);
/** The active task's model generations whose weights were asked for (askWeights) and have not come yet: an Undo to
 * one of them waits for them (up to WEIGHTS_WAIT_MS), or it would restore the weights of the last autosave. */
const awaited = new Set<string>();
const weightsKey = (task: TaskId, gen: number) => `${task}/${gen}`;
const WEIGHTS_WAIT_MS = 2000;
/** Asks the worker for the weights of the current models of `tasks` (default: the active one) before the page replaces
 * them (the answers fill the undo entry that keeps them). */
function askWeights(tasks: readonly TaskId[] = [state.task]) {
  for (const t of tasks) awaited.add(weightsKey(t, state.tasks[t].modelGen));
  send({ type: 'snapshot', force: true });
}
/** The model generations an undo entry brings back, as `awaited` keys. */
function restoredKeys(t: TaskId, e: UndoEntry<TaskId>): string[] {
  const keys = e.restoresModel ? [weightsKey(t, e.state.modelGen)] : [];
  for (const [u, s] of Object.entries(e.others)) keys.push(weightsKey(u as TaskId, s!.modelGen));
  return keys;
}
const startTimer = window.setTimeout(() => !engineReady && engineFailure('no answer within 30 s'), 30000);

// ---- canvases, scene and layers ----
const overlay = $<HTMLCanvasElement>('overlay');
const octx = overlay.getContext('2d')!;
const scene: Scene = {
  task: state.task, settings: state.settings, vp: { view: state.view, width: overlay.width, height: overlay.height }, time: state.time, reducedMotion,
  strokes: [], selected: null, drawing: null, rollouts: [], predictions: [], field: null, truth: null, samples: [], density: null, phase: 1,
  portrait: null, confidence: null,
};
const layers = LAYERS.map((def) => [def, def.create({ particleCanvas: $<HTMLCanvasElement>('particles') })] as const);
/** Draws the layers; one that throws is switched off and reported once, the others go on drawing. */
const layerLoop = new LayerLoop(layers, (def, err, call) => {
  reportSurvived(`layer ${def.id}`, err);
  dirty = true; // the overlay is redrawn without it
  notice(`The "${def.id}" layer failed (${(err as Error)?.message ?? err}) and is no longer drawn; everything else works.`, {
    action: { label: 'Draw it again', run: () => { layerLoop.retry(def.id); dirty = true; } },
  });
});
const layerInfo = () => Object.assign({}, ...layers.map(([, l]) => l.info?.() ?? {}));
document.documentElement.dataset.renderer = String(layerInfo().renderer ?? '');
/** The scene changed: the layers update and the overlay redraws on the next frame. */
let dirty = true;
const invalidate = () => (dirty = true);

const env: PageEnv = {
  state: () => state,
  commit,
  send,
  hint,
  scene,
  invalidate,
  nextId: () => nextStrokeId++,
  worldAt(e) {
    const r = overlay.getBoundingClientRect();
    const dpr = overlay.width / r.width;
    return toWorld(scene.vp, (e.clientX - r.left) * dpr, (e.clientY - r.top) * dpr);
  },
  fit: (b, margin) => fitView(b, overlay.width, overlay.height, margin),
  time: () => state.time,
};
const pointers: Record<TaskId, PointerTool> = { trajectories: mod('trajectories').pointer(env), density: mod('density').pointer(env) };

// ---- the one path from a state to the page and the worker ----
const chart = createLossChart($('chart-plot'), $('chart-hint'));
const portraitPanel = createPortraitPanel($('analysis-text'));
const inspectPanel = createInspectPanel($('inspect-body'), (what) => {
  // The check uses the current weights: training pauses first.
  if (running) toggleTraining();
  inspectPanel.busy(what, true);
  send({ type: 'inspect', what });
});
const panel = createPanel($('panel'), state.settings, changeSettings);

/** A change of the settings panel, undoable: Undo brings back the settings, and the trained weights when the change
 * started a fresh model (a new width, depth, seed…). */
function changeSettings(s: Settings) {
  const next = withSettings(state, s);
  const replaced = TASK_IDS.filter((t) => next.tasks[t].modelGen !== state.tasks[t].modelGen);
  if (replaced.length) askWeights(replaced);
  // A setting both tasks use replaced the other task's trained model too: said, with the way back.
  const trainedElsewhere = replaced.filter((u) => u !== state.task && (modelInfo(state.tasks[u].model as never)?.iteration ?? 0) > 0);
  commit(next, replaced.includes(state.task) ? 'model' : 'data');
  if (trainedElsewhere.length)
    hint(`The trained ${trainedElsewhere.map((u) => MODEL_NAME[u]).join(' and ')} started afresh too (this setting is shared by both tasks): Undo, here or there, brings it back.`);
}
/** What each task's model is called in messages. */
const MODEL_NAME: Record<TaskId, string> = { trajectories: 'trajectory model', density: 'density flow' };

/** A task's loss chart as it is now (the active task's is the one shown). */
const chartOf = (u: TaskId) => (u === state.task ? chart.get() : charts[u]);
/** Another task's model as an undo entry keeps it (with its chart; with its data too for an Import). */
const otherModel = (u: TaskId, withData = false) => ({ model: state.tasks[u].model, modelGen: state.tasks[u].modelGen, chart: chartOf(u),
  ...(withData ? { data: { data: state.tasks[u].data, preset: state.tasks[u].preset } } : {}) });

/** A change in task `t` that replaced the models of `tasks` too: each of those gets an entry of it in its own history, of
 * twin number `twin`, that undoes it from there — its own state as it was (`full`: data too, as after an Import), the
 * settings, and task t's model (with its data when `full`), if `tModel`. Called before the change is applied. */
function pushTwins(t: TaskId, tasks: TaskId[], twin: number, settings: Partial<Settings> | null, tModel: boolean, full: boolean) {
  for (const u of tasks)
    (histories[u] as History<UndoEntry<TaskId>>).push({ state: state.tasks[u], restoresModel: true, chart: chartOf(u),
      settings, others: tModel ? { [t]: otherModel(t, full) } : {}, twin });
}

/** `from`'s values of `keys`. */
const pick = (from: Settings, keys: string[]) => Object.fromEntries(keys.map((k) => [k, from[k as keyof Settings]])) as Partial<Settings>;

/** A new state, optionally undoable in the active task: 'data' (the data), 'model' (the data and the weights, which
 * askWeights() just before fills in); the settings the commit changed are restored with either. */
function commit(next: AppState, undo?: 'data' | 'model') {
  if (undo) record(state.task, next, undo === 'model', false);
  applyState(next);
}

/** Records the step from the state to `next` as an undo entry of task `t` (with its model when `model`), the settings
 * it changes, and the other tasks whose models it replaces (`full`: their data too, as an Import replaces them), each
 * of which also gets a twin entry of it. Called before `next` is applied. */
function record(t: TaskId, next: AppState, model: boolean, full: boolean) {
  dropDeferred();  // a waiting Undo was about what was there before this step
  const changed = Object.keys(next.settings).filter((k) => next.settings[k as keyof Settings] !== state.settings[k as keyof Settings]);
  const settings = changed.length ? pick(state.settings, changed) : null;
  const replaced = TASK_IDS.filter((u) => u !== t && next.tasks[u].modelGen !== state.tasks[u].modelGen);
  const others: Others = {};
  for (const u of replaced) (others as Record<TaskId, unknown>)[u] = otherModel(u, full);
  const twin = replaced.length ? ++twins : undefined;
  // The other tasks whose models this replaced can undo it too (the same change seen from there).
  if (twin !== undefined) pushTwins(t, replaced, twin, settings, model, full);
  (histories[t] as History<UndoEntry<typeof t>>).push({ state: state.tasks[t], restoresModel: model, chart: model ? chartOf(t) : null, settings, others, twin });
}

function applyState(next: AppState, chartData?: ChartData | null) {
  const prev = applied;
  for (const m of planSync(prev, next, SYNCS)) send(m.type === 'data' ? { ...m, seq: ++dataSeq[m.task] } : m);
  const t = next.task, m = mod(t);
  const taskChanged = !prev || prev.task !== t;
  // A notice that training paused (diverged, failed) is about the model and data it trained on: another task, a new
  // model (preset, Reset, a new shape, Undo) or other data make it moot, and its Restore button could only fail.
  if (prev && (taskChanged || prev.tasks[t].modelGen !== next.tasks[t].modelGen || prev.tasks[t].data !== next.tasks[t].data)) {
    withdraw(RESTORE);
    clearHint();  // a hint is about what was there ("draw before training", "stroke selected", a preset's text); callers hint after
  }
  // The chart follows the active task's model: kept, handed over (undo), or fresh.
  if (prev && taskChanged) charts[prev.task] = chart.get();
  if (chartData !== undefined) chart.set(chartData ?? { iterations: [], data: [], batch: [] });
  else if (taskChanged) chart.set(charts[t] ?? { iterations: [], data: [], batch: [] });
  else if (prev && prev.tasks[t].modelGen !== next.tasks[t].modelGen) chart.clear();
  // Another chart (or none): its first whole-data point is new whatever the last one's iteration was.
  if (chartData !== undefined || taskChanged || (prev && prev.tasks[t].modelGen !== next.tasks[t].modelGen)) lastDataIteration = -1;
  if (prev) for (const k of TASK_IDS) if (k !== t && prev.tasks[k].modelGen !== next.tasks[k].modelGen) charts[k] = null;
  state = applied = next;

  // Controls.
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name=task]')) r.checked = r.value === t;
  // (kept in the layout, invisible: the toolbar keeps its rows and the plane does not jump on a task switch)
  $('pointer-modes').style.visibility = m.modes ? '' : 'hidden';
  for (const el of document.querySelectorAll<HTMLElement>('[data-task]')) el.hidden = el.dataset.task !== t;
  panel.set(next.settings);
  panel.showTask(t);
  for (const def of SETTINGS) {
    if (def.group !== 'Layers') continue;
    const box = document.getElementById(`layer-${def.key}`) as HTMLInputElement | null;
    if (box) {
      box.checked = Boolean(next.settings[def.key]);
      // A layer of the true system needs a preset.
      box.closest('label')!.hidden = !appliesTo(def, t) || (def.needsTruth === true && next.tasks[t].preset === null);
    }
  }
  fillPresets();
  const slider = $<HTMLInputElement>('time');
  if (taskChanged) Object.assign(slider, { min: String(m.time.min), max: String(m.time.max), step: String(m.time.step) });
  showTime(next.time);
  const why = m.time.disabled(next.settings);
  slider.disabled = why !== null;
  $('time-why').textContent = why ?? '';
  $('time-why').hidden = why === null;
  // The density flow's size limit (settings.ts densityHidden): the capped size and why, while the density task is shown.
  const sizeWhy = t === 'density' ? densityHidden(next.settings).reason : null;
  $('size-why').textContent = sizeWhy ?? '';
  $('size-why').hidden = sizeWhy === null;
  $('loss-label').textContent = m.lossLabel;
  $('batch-loss-label').textContent = m.batchLossLabel;
  $('field-error-row').hidden = !m.fieldError(next.tasks[t] as never);
  $('plane-hint').textContent = m.emptyHint;
  $('plane-hint').hidden = m.dataSize(next.tasks[t].data as never) > 0;
  updateButtons();

  // Scene.
  if (taskChanged) {
    $('plane-status').hidden = true;  // the other task's figures, until this task's first progress
    scene.field = scene.truth = scene.density = scene.portrait = scene.confidence = null;
    scene.rollouts = [];
  }
  scene.task = t;
  scene.settings = next.settings;
  scene.time = next.time;
  if (!prev || prev.view !== next.view) scene.vp = { ...scene.vp, view: next.view };
  (m.toScene as (s: TaskState<TaskId>, sc: Scene) => void)(next.tasks[t], scene);
  layerLoop.clearHidden(scene);
  portraitPanel.update(scene);
  updateLayers();
  scheduleUrl();
  scheduleSave();
}

/** The t slider and its label at t (rounded to the slider's step). */
function showTime(t: number) {
  const slider = $<HTMLInputElement>('time');
  slider.value = String(t);
  if ($('time-value').textContent !== slider.value) $('time-value').textContent = slider.value;
}

function updateLayers() {
  dirty = true;
}

function fillPresets() {
  const select = $<HTMLSelectElement>('preset');
  const t = state.task;
  const items = presets?.[t] ?? [];
  if (select.dataset.filledFor !== t || select.options.length !== items.length + 1) {
    select.replaceChildren();
    const none = document.createElement('option');
    none.value = '';
    none.textContent = mod(t).ownData;
    select.append(none);
    for (const it of items) {
      const o = document.createElement('option');
      o.value = it.value;
      o.textContent = it.label;
      select.append(o);
    }
    select.dataset.filledFor = t;
  }
  select.value = state.tasks[t].preset ?? '';
}

// ---- persistence: autosave and the URL ----
let saveTimer = 0;
let lastSaveError: string | null = null;
/** The worker's last snapshot (its iteration, what writing it took, its size) and the last autosave (iteration, ms). */
let lastSnapshot: { iteration: number; millis: number; bytes: number } | null = null;
let lastSave: { iteration: number | null; millis: number; error: string | null } | null = null;
/** What writing the last 20 snapshots took the worker (ms). */
let snapshotMillis: number[] = [];
function scheduleSave() {
  clearTimeout(saveTimer);
  saveTimer = window.setTimeout(save, 400);
}
async function save() {
  saveTimer = 0;
  const t0 = performance.now();
  const s = sessionOf(state);
  const err = await saveSession(s);
  lastSave = { iteration: modelInfo(s.model)?.iteration ?? null, millis: performance.now() - t0, error: err };
  if (err && err !== lastSaveError) notice(err);
  lastSaveError = err;
}
/** A save still waiting for its 400 ms when the page is hidden or left (reload, tab closed) is written at once: the
 * last stroke drawn before a reload is not lost. */
function flushSave() {
  if (!saveTimer) return;
  clearTimeout(saveTimer);
  void save();
}
window.addEventListener('pagehide', flushSave);
document.addEventListener('visibilitychange', () => document.hidden && flushSave());
function sessionOf(s: AppState): Session {
  const doc = makeSession(s.settings, s.tasks.trajectories.data, s.view, s.tasks.trajectories.preset, s.tasks.trajectories.model,
    s.tasks.density.data, s.tasks.density.model, s.tasks.density.preset);
  return { ...doc, task: s.task };
}
let urlTimer = 0;
function scheduleUrl() {
  clearTimeout(urlTimer);
  urlTimer = window.setTimeout(() => {
    const extra: Record<string, string> = {};
    if (state.task !== 'trajectories') extra.task = state.task;
    const p = state.tasks[state.task].preset;
    if (p) extra.preset = p;
    const q = settingsToQuery(state.settings, extra);
    window.history.replaceState(null, '', q ? `?${q}` : location.pathname);
  }, 300);
}

// ---- readouts ----
let running = false;
let workerRunning = false;
let pausing = false;
/** The last Pause: when it was pressed and at which iteration the page then was; and how the worker answered it. */
let pauseFrom: { at: number; iteration: number } | null = null;
let lastPause: { millis: number; iterations: number; msPerIteration: number; pending: boolean; pendingNfe: number } | null = null;
const fmt = (x: number, digits = 4) => (Number.isFinite(x) ? (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(digits - 1) : String(+x.toPrecision(digits))) : '–');
let lastProgress: Progress | null = null;
/** Pings under way (tests measure how long the worker takes to answer a message). */
type Pong = { pending: string[]; longestTick: number; longestPiece: { millis: number; kind: string } };
const pings = new Map<number, (r: Pong) => void>();
let pingId = 0;
function showProgress(p: Progress, current = true) {
  lastProgress = p;
  $('iteration').textContent = String(p.iteration);
  $('loss').textContent = Number.isFinite(p.dataLoss) ? String(+p.dataLoss.toPrecision(6)) : '–';
  const status = $('plane-status');
  status.textContent = `iteration ${p.iteration} · ${mod(state.task).lossLabel} ${Number.isFinite(p.dataLoss) ? fmt(p.dataLoss) : '–'}`;
  status.hidden = false;
  // Cleared data: the model (and its last iteration's readouts and chart) stays, and nothing is there to measure it on.
  const noData = mod(state.task).dataSize(state.tasks[state.task].data as never) === 0;
  $('loss-at').textContent = Number.isFinite(p.dataLoss) ? lossNote(p) : noData && p.iteration > 0 ? 'no data: the trained model is kept; draw or pick a preset to go on' : '';
  $('batch-loss').textContent = fmt(p.batchLoss);
  $('grad').textContent = fmt(p.gradNorm);
  $('nfe').textContent = p.nfeForward ? `${Math.round(p.nfeForward)} / ${Math.round(p.nfeBackward)}` : '–';
  $('ms').textContent = p.millis ? fmt(p.millis, 3) : '–';
  $('field-error').textContent = p.fieldError === null ? '–' : `${(100 * p.fieldError).toFixed(1)} %`;
  if (current && Number.isFinite(p.batchLoss)) chart.push(p.iteration, null, p.batchLoss);
  if (current && Number.isFinite(p.dataLoss) && p.dataLossIteration !== lastDataIteration) chart.push(p.dataLossIteration, p.dataLoss, null);
  if (current) lastDataIteration = p.dataLossIteration;
}

function updateButtons() {
  const train = $<HTMLButtonElement>('train');
  train.textContent = running ? 'Pause' : 'Train';
  train.setAttribute('aria-pressed', String(running));
  train.disabled = $<HTMLButtonElement>('step').disabled = engineFailed;
  $<HTMLButtonElement>('undo').disabled = !histories[state.task].canUndo;
  $<HTMLButtonElement>('redo').disabled = !histories[state.task].canRedo;
}

// ---- worker messages ----
function onMessage(m: FromWorker) {
  switch (m.type) {
    case 'ready': {
      engineReady = true;
      clearTimeout(startTimer);
      presets = m.presets;
      fillPresets();
      const errors = [...link.errors];
      if (link.preset) {
        const t = link.task ?? state.task;
        const bad = checkPreset(link.preset, presets[t].map((p) => p.value));
        if (bad) errors.push(bad);
        else if (link.preset !== state.tasks[t].preset) requestPreset(t, link.preset);
      }
      if (errors.length) notice(`Some values in the link were not used and were removed from it: ${errors.join('; ')}.`);
      scheduleUrl();
      break;
    }
    case 'progress':
      if (m.task !== state.task) break;
      workerRunning = m.running;
      // After Pause, progress the worker sent before it saw the Pause must not turn the button back.
      if (pausing && !m.running) {
        pausing = false;
        if (pauseFrom) lastPause = { millis: performance.now() - pauseFrom.at, iterations: m.progress.iteration - pauseFrom.iteration, msPerIteration: m.progress.millis,
          pending: m.progress.pending, pendingNfe: m.progress.pendingNfe };
        pauseFrom = null;
      }
      running = m.running && !pausing;
      // Progress of a model the page has replaced since (a preset, Reset, Undo, a link's settings) is not the chart's:
      // its iterations, ahead of the new model's, would keep every newer point off the chart.
      showProgress(m.progress, m.gen === state.tasks[m.task].modelGen);
      updateButtons();
      if (!running) requestSnapshot();
      break;
    case 'visual':
      if (m.task === state.task && m.seq === dataSeq[m.task]) (mod(m.task).onVisual as (e: PageEnv, v: unknown) => void)(env, m.visual);
      break;
    case 'preset':
      if (m.task === state.task) (mod(m.task).onPreset as (e: PageEnv, n: string, p: unknown) => void)(env, m.name, m.preset);
      break;
    case 'analysis':
      if (m.task === state.task && m.seq === dataSeq[m.task]) {
        (mod(m.task).onAnalysis as ((e: PageEnv, a: unknown) => void) | undefined)?.(env, m.analysis);
        portraitPanel.update(scene);
      }
      break;
    case 'pong':
      pings.get(m.id)?.({ pending: m.pending, longestTick: m.longestTick, longestPiece: m.longestPiece });
      pings.delete(m.id);
      break;
    case 'inspection':
      inspectPanel.busy(m.what, false);
      inspectPanel.show(m.what, m.result, m.error);
      break;
    case 'answer':
      (mod(m.task).onAnswer as (e: PageEnv, a: unknown) => void)(env, m.answer);
      break;
    case 'snapshot':
      awaited.delete(weightsKey(m.task, m.gen));
      if (!m.model) {
        // (a forced snapshot's answer for a task without weights: nothing to keep)
      } else if (m.gen === state.tasks[m.task].modelGen) {
        lastSnapshot = { iteration: m.iteration, millis: m.millis, bytes: m.model.packed.length };
        snapshotMillis = [...snapshotMillis.slice(-19), m.millis];
        // The worker's newer weights: kept for autosave and export (no reload: the model generation is unchanged).
        state = applied = withModel(state, m.task, m.model as never);
        scheduleSave();
      } else {
        // The weights of a model the page has replaced since it asked (a settings change, Reset, a preset, Undo): they
        // belong to the undo entry that holds that model.
        (histories[m.task] as History<UndoEntry<TaskId>>).update((e) =>
          e.state.modelGen === m.gen ? { ...e, state: { ...e.state, model: m.model as never } } : e);
        // ... or the entry, in the other task's history, of a change that replaced both tasks' models
        for (const u of TASK_IDS) {
          if (u === m.task) continue;
          (histories[u] as History<UndoEntry<TaskId>>).update((e) => {
            const o = e.others[m.task];
            return o?.modelGen === m.gen ? { ...e, others: { ...e.others, [m.task]: { ...o, model: m.model } } } : e;
          });
        }
      }
      if (deferred && !deferred.keys.some((k) => awaited.has(k))) runDeferred();
      break;
    case 'diverged':
    case 'failed': {
      running = workerRunning = false;
      updateButtons();
      // The worker keeps one checkpoint per task, which training moves on: an older notice's button would name another
      // iteration, so this notice (with or without the button) takes it away, and so do Train and Reset; the worker
      // restores only the iteration named (it says so when that one is gone, e.g. after a settings change).
      const good = m.goodIteration, task = m.task;
      const restore = { actionKey: RESTORE, ...(good !== null ? { action: { label: `Restore the weights of iteration ${good}`, run: () => send({ type: 'restore', task, iteration: good }) } } : {}) };
      if (m.type === 'diverged') notice(`Training paused: ${m.reason}. Try a smaller learning rate, Reset, or a looser solver tolerance; if you drew ` +
        'strokes that contradict each other (through the same place in different directions), remove one of them.', restore);
      else {
        // Training threw (caught in the worker, which goes on): reported like the errors the page survives.
        reportSurvived('training', new Error(`training: ${m.message}`));
        notice(`Training paused: it failed with an error (${m.message}). The model and your data are kept: press Train to go on, ` +
          'and reload the page if it happens again.', restore);
      }
      break;
    }
    case 'error':
      if (m.fatal) engineFailure(m.message);
      else if (m.persistent) {
        running = workerRunning = pausing = false;
        updateButtons();
        notice(m.message);
      } else hint(m.message);
      break;
    case 'uncaught':
      workerError(m.message);
      break;
  }
}
if (worker) worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);

let snapshotTimer = 0;
function requestSnapshot() {
  clearTimeout(snapshotTimer);
  snapshotTimer = window.setTimeout(() => send({ type: 'snapshot' }), 200);
}
setInterval(() => running && send({ type: 'snapshot' }), 5000);

function requestPreset(task: TaskId, name: string) {
  // The current weights first (so Undo restores them), then the preset's data.
  askWeights();
  send({ type: 'preset', task, name, seed: state.settings.seed });
}

// ---- frames ----
function resize() {
  const r = overlay.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(r.width * dpr)), h = Math.max(1, Math.round(r.height * dpr));
  if (w === overlay.width && h === overlay.height) return;
  overlay.width = w;
  overlay.height = h;
  scene.vp = { ...scene.vp, width: w, height: h };
  const fitted = fitView(state.view, w, h, 0);
  applyState({ ...state, view: fitted });
  chart.resize($('chart-plot').clientWidth);
}
new ResizeObserver(resize).observe(overlay);

const animationStart = performance.now();
let lastFrame = performance.now();
let hidden = false;
let frames = 0;
function frame(now: number) {
  frames++;
  const seconds = (now - lastFrame) / 1000;
  lastFrame = now;
  if (!hidden) {
    if (state.settings.animate && !reducedMotion) {
      const phase = ((now - animationStart) / 4000) % 2;
      scene.phase = phase < 1 ? phase : 2 - phase;
      // The t slider shows the time the animation is at, where the animation plays its time (the density flow).
      if (mod(state.task).time.stops) showTime(scene.phase);
    } else scene.phase = state.time;
    const changed = dirty;
    dirty = false;
    layerLoop.frame(octx, scene, seconds, changed);
  }
  requestAnimationFrame(frame);
}
document.addEventListener('visibilitychange', () => (hidden = document.hidden));

// ---- pointer input ----
overlay.addEventListener('pointerdown', (e) => {
  overlay.focus();
  pointers[state.task].down(e);
});
overlay.addEventListener('pointermove', (e) => {
  pointers[state.task].move(e);
  // The tooltip of the equilibrium glyph under a hovering pointer.
  if (e.buttons === 0) {
    const p = scene.portrait;
    let tip = '';
    if (p && state.settings.showEquilibria && state.task === 'trajectories') {
      const r = overlay.getBoundingClientRect();
      const dpr = overlay.width / r.width;
      const eq = equilibriumAt(scene.vp, p.learned, (e.clientX - r.left) * dpr, (e.clientY - r.top) * dpr, 10 * dpr);
      if (eq) tip = describeEquilibrium(eq);
    }
    if (overlay.title !== tip) overlay.title = tip;
  }
});
overlay.addEventListener('pointerup', (e) => pointers[state.task].up(e));
overlay.addEventListener('pointercancel', (e) => pointers[state.task].up(e));

// ---- controls ----
function toggleTraining() {
  if (engineFailed) return;
  const next = !running;
  if (!next) {
    // Pause answers at once; the worker confirms after its current piece of work.
    running = false;
    pausing = true;
    pauseFrom = { at: performance.now(), iteration: lastProgress?.iteration ?? 0 };
    updateButtons();
  } else {
    pausing = false;
    retract(RESTORE);
  }
  send({ type: 'train', running: next });
}
/** One iteration, then paused: while training, Step pauses first (the worker's Step waits for a paused loop). */
function stepOnce() {
  if (running) toggleTraining();
  send({ type: 'step' });
}
function resetWeights() {
  retract(RESTORE);
  // Fresh weights from the settings' seed; the trained ones first, so that Undo brings them back.
  askWeights();
  commit(withFreshModel(state, state.task), 'model');
  hint('Fresh weights. Undo (Ctrl+Z) brings back the trained ones.');
}
function clearData() {
  const t = state.task;
  if (mod(t).dataSize(state.tasks[t].data as never) === 0) return;
  send({ type: 'train', running: false });
  scene.predictions = [];
  commit(withData(state, t, mod(t).empty as never, null), 'data');
  hint('Cleared. Undo (Ctrl+Z) brings it back.');
}
/** An Undo or Redo waiting for the weights of the model it brings back (see `awaited`). */
let deferred: { which: 'undo' | 'redo'; task: TaskId; keys: string[]; timer: number } | null = null;
function runDeferred() {
  const d = deferred!;
  deferred = null;
  clearTimeout(d.timer);
  if (d.task === state.task) undoRedo(d.which);
}
/** A change or a task switch while an Undo waits: the Undo was about what was there before; it is dropped. */
function dropDeferred() {
  if (!deferred) return;
  clearTimeout(deferred.timer);
  deferred = null;
}
function undoRedo(which: 'undo' | 'redo') {
  const t = state.task;
  const h = histories[t] as History<UndoEntry<typeof t>>;
  if (deferred) return;  // one at a time: the next key press comes after it
  const coming = h.peek(which);
  // A change that replaced other tasks' models too is undone only while it is their last step as well: their later
  // steps were made under its settings, and would restore models that do not fit the settings before it.
  if (which === 'undo' && coming?.twin !== undefined) {
    const blocked = TASK_IDS.filter((u) => u !== t && (histories[u] as History<UndoEntry<TaskId>>).entries.some((e) => e.twin === coming.twin)
      && (histories[u] as History<UndoEntry<TaskId>>).peek('undo')?.twin !== coming.twin);
    if (blocked.length) {
      hint(`That step also replaced the ${blocked.map((u) => MODEL_NAME[u]).join(' and ')}, whose task has later steps: undo those first, there.`);
      return;
    }
  }
  const waitFor = coming ? restoredKeys(t, coming).filter((k) => awaited.has(k)) : [];
  if (waitFor.length) {
    deferred = { which, task: t, keys: waitFor, timer: window.setTimeout(() => (waitFor.forEach((k) => awaited.delete(k)), runDeferred()), WEIGHTS_WAIT_MS) };
    return;
  }
  const cur: UndoEntry<typeof t> = { state: state.tasks[t], restoresModel: false, chart: chart.get(), settings: null, others: {} };
  const entry = which === 'undo' ? h.undo(cur) : h.redo(cur);
  if (!entry) return;
  // Its twins in the other tasks' histories go with it; the opposite move keeps the twin number, and a Redo puts them
  // back (the change redone has an entry in each of those tasks again).
  if (entry.twin !== undefined) for (const u of TASK_IDS) if (u !== t) (histories[u] as History<UndoEntry<TaskId>>).remove((e) => e.twin === entry.twin);
  cur.twin = entry.twin;
  // The opposite move restores the same things: the weights about to be replaced are asked for first (the snapshot's
  // answers fill in `cur`), the settings are the current ones.
  cur.restoresModel = entry.restoresModel;
  if (!entry.restoresModel) cur.chart = null;
  const otherTasks = Object.keys(entry.others) as TaskId[];
  for (const u of otherTasks) (cur.others as Record<TaskId, unknown>)[u] = otherModel(u, entry.others[u]!.data !== undefined);
  if (entry.restoresModel || otherTasks.length) askWeights([...(entry.restoresModel ? [t] : []), ...otherTasks]);
  if (entry.settings) cur.settings = pick(state.settings, Object.keys(entry.settings));
  if (which === 'redo' && entry.twin !== undefined)
    pushTwins(t, otherTasks, entry.twin, cur.settings, entry.restoresModel, otherTasks.some((u) => entry.others[u]!.data !== undefined));
  const base = entry.settings ? withSettings(state, { ...state.settings, ...entry.settings }) : state;
  let next = withRestored(base, t, entry.state, entry.restoresModel);
  for (const u of otherTasks) {
    const o = entry.others[u]!;
    next = o.data ? withRestored(next, u, { ...o.data, model: o.model, modelGen: o.modelGen } as never, true) : withModelRestored(next, u, o.model as never);
  }
  applyState(next, entry.restoresModel ? entry.chart : undefined);
  for (const u of otherTasks) charts[u] = entry.others[u]!.chart;
}
function setMode(m: PointerMode) {
  setPointerMode(m);
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name=mode]')) r.checked = r.value === m;
  overlay.style.cursor = m === 'select' ? 'pointer' : 'crosshair';
}
function setTask(t: TaskId) {
  if (t === state.task) return;
  dropDeferred();
  const view = mod(t).view;
  running = false;
  applyState({ ...state, task: t, time: mod(t).time.initial, view: view ? fitView(view, overlay.width, overlay.height, 0) : state.view });
}

$('train').onclick = toggleTraining;
$('step').onclick = stepOnce;
$('reset').onclick = resetWeights;
$('clear').onclick = clearData;
$('undo').onclick = () => undoRedo('undo');
$('redo').onclick = () => undoRedo('redo');
for (const r of document.querySelectorAll<HTMLInputElement>('input[name=mode]')) r.onchange = () => setMode(r.value as PointerMode);
for (const r of document.querySelectorAll<HTMLInputElement>('input[name=task]')) r.onchange = () => setTask(r.value as TaskId);
$<HTMLSelectElement>('preset').onchange = (e) => {
  const v = (e.target as HTMLSelectElement).value;
  if (v) requestPreset(state.task, v);
  else commit(withData(state, state.task, state.tasks[state.task].data as never, null));
};
// The layer checkboxes, generated from the settings table.
const layerBox = $('layers');
for (const def of SETTINGS) {
  if (def.group !== 'Layers') continue;
  const label = document.createElement('label');
  label.title = def.help;
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.id = `layer-${def.key}`;
  box.onchange = () => commit(withSettings(state, { ...state.settings, [def.key]: box.checked }));
  label.append(box, ` ${def.label}`);
  layerBox.append(label);
}
$<HTMLInputElement>('time').oninput = () => {
  const m = mod(state.task);
  const time = Number($<HTMLInputElement>('time').value);
  const settings = m.time.stops ? { ...state.settings, [m.time.stops]: false } : state.settings;
  applyState({ ...withSettings(state, settings), time });
};

/** Text fields keep their keys; everything else gives Space to training. */
function isTextField(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  if (t.isContentEditable || t.tagName === 'TEXTAREA') return true;
  return t.tagName === 'INPUT' && !['radio', 'checkbox', 'range', 'button', 'submit', 'reset', 'file', 'color'].includes((t as HTMLInputElement).type);
}
/** How each element got the focus: Tab or arrow keys, or a pointer (a click, a tap, also on an element focused before). */
let modality: 'keyboard' | 'pointer' = 'keyboard';
const focusedBy = new WeakMap<EventTarget, 'keyboard' | 'pointer'>();
window.addEventListener('pointerdown', () => {
  modality = 'pointer';
  if (document.activeElement) focusedBy.set(document.activeElement, 'pointer');
}, true);
window.addEventListener('keydown', (e) => {
  if (e.key === 'Tab' || e.key.startsWith('Arrow')) modality = 'keyboard';
}, true);
window.addEventListener('focusin', (e) => e.target && focusedBy.set(e.target, modality), true);
/** A control reached with the keyboard: Space does there what it always does (toggle a checkbox, press a button, open a
 * list). Focused by a click instead, Space trains (the clicked button would otherwise be pressed again). */
function keyboardControl(t: EventTarget | null): boolean {
  return t instanceof HTMLElement && focusedBy.get(t) === 'keyboard' &&
    t.matches('button, select, summary, a[href], input[type=checkbox], input[type=radio]');
}
window.addEventListener('keydown', (e) => {
  if (isTextField(e.target) || (e.key === ' ' && keyboardControl(e.target))) return;
  const k = e.key.toLowerCase();
  if ((e.ctrlKey || e.metaKey) && k === 'z') {
    e.preventDefault();
    undoRedo(e.shiftKey ? 'redo' : 'undo');
  } else if ((e.ctrlKey || e.metaKey) && k === 'y') {
    e.preventDefault();
    undoRedo('redo');
  } else if (e.ctrlKey || e.metaKey || e.altKey) return;
  else if (k === ' ') {
    // Space trains (a focused control that a click, not the keyboard, focused would otherwise be pressed again).
    e.preventDefault();
    e.stopPropagation();
    if (!e.repeat) toggleTraining();
  } else if (pointers[state.task].key?.(e)) e.preventDefault();
  else if (k === 's') stepOnce();
  else if (k === 'r') resetWeights();
  else if (mod(state.task).modes && (k === 'd' || k === 'p' || k === 'v')) setMode(({ d: 'draw', p: 'predict', v: 'select' } as const)[k]);
}, true);
window.addEventListener('keyup', (e) => {
  if (e.key === ' ' && !isTextField(e.target) && !keyboardControl(e.target)) {
    e.preventDefault();
    e.stopPropagation();
  }
}, true);

// ---- files ----
function download(name: string, url: string) {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
}
$('export').onclick = () => {
  // The file is JSON (models as JSON documents: any version of the page or the core reads them); autosave keeps them packed.
  let text: string;
  try {
    text = JSON.stringify(toJsonSession(sessionOf(state)));
  } catch (err) {
    hint(`Export failed: ${(err as Error).message}`);
    return;
  }
  download('neural-ode-session.json', URL.createObjectURL(new Blob([text], { type: 'application/json' })));
};
$<HTMLInputElement>('import').onchange = async (e) => {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (!file) return;
  const r = parseSession(await file.text());
  if (!r.session) {
    hint(`Import failed, nothing changed: ${r.error}`);
    return;
  }
  send({ type: 'train', running: false });
  const s = r.session;
  const next = stateFrom(s, s.settings, s.task ?? 'trajectories');
  for (const t of TASK_IDS) next.tasks[t] = { ...next.tasks[t], modelGen: state.tasks[t].modelGen + 1 } as never;
  nextStrokeId = Math.max(nextStrokeId, ...s.strokes.map((st) => st.id + 1));
  // One undoable step, in the task the import leaves active (and twins in the other): Undo brings back both tasks' data,
  // models and charts and the settings as they were (the weights asked for first, as for any replaced model).
  askWeights(TASK_IDS);
  record(next.task, next, true, true);
  applyState({ ...next, view: fitView(s.view, overlay.width, overlay.height, 0) }, null);
  const samples = (s.density?.samples.length ?? 0) / 2;
  const parts = [`${s.strokes.length} ${s.strokes.length === 1 ? 'stroke' : 'strokes'}${s.model ? ' and a trained model' : ''}`,
    ...(samples ? [`${samples} density samples${s.density?.model ? ' and a trained flow' : ''}`] : [])];
  hint(`Imported ${parts.join(', ')}. Undo (Ctrl+Z) brings back the data, models and settings that were here.`);
};
$<HTMLInputElement>('import-csv').onchange = async (e) => {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (!file) return;
  const r = parseCsv(await file.text());
  if (!r.trajectories) {
    hint(`CSV not imported, nothing changed: ${r.error}`);
    return;
  }
  const switched = state.task !== 'trajectories';
  if (switched) setTask('trajectories');
  const added: Stroke[] = r.trajectories.map((t) => trajectoryToStroke(nextStrokeId++, t));
  const strokes = [...state.tasks.trajectories.data, ...added];
  let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
  for (const s of strokes)
    for (const p of s.points) {
      xmin = Math.min(xmin, p.x); xmax = Math.max(xmax, p.x);
      ymin = Math.min(ymin, p.y); ymax = Math.max(ymax, p.y);
    }
  let next = withData(state, 'trajectories', strokes, null);
  if (xmax > xmin && ymax > ymin) next = { ...next, view: fitView({ xmin, xmax, ymin, ymax }, overlay.width, overlay.height, 0.1) };
  commit(next, 'data');
  hint(`Imported ${added.length} ${added.length === 1 ? 'trajectory' : 'trajectories'} from the CSV${switched ? ' (into the Trajectories task)' : ''}.`);
};
$('png').onclick = () => {
  const c = document.createElement('canvas');
  c.width = overlay.width;
  c.height = overlay.height;
  const ctx = c.getContext('2d')!;
  ctx.drawImage(document.getElementById('particles') as HTMLCanvasElement, 0, 0);
  ctx.drawImage(overlay, 0, 0);
  download('neural-ode.png', c.toDataURL('image/png'));
};

// ---- start ----
if (stored.error) hint(stored.error);
resize();
applyState(state);
setMode('draw');
requestAnimationFrame(frame);
if (state.tasks[state.task].model) $('iteration').textContent = String(modelInfo(state.tasks[state.task].model)?.iteration ?? 0);

// For tests and the curious: a read-only peek at the page state.
(window as unknown as { playground: object }).playground = {
  get strokes() { return state.tasks.trajectories.data.length; },
  get settings() { return { ...state.settings }; },
  /** the world rectangle shown on the plane */
  get view() { return { ...scene.vp.view }; },
  get preset() { return state.tasks[state.task].preset; },
  get task() { return state.task; },
  get densitySamples() { return state.tasks.density.data.length / 2; },
  densityMass: () => massInPaintedCells(scene.density, state.tasks.density.data),
  get densityReady() { return Boolean(scene.density?.logp); },
  get renderer() { return layerInfo().renderer; },
  get particles() { return layerInfo().particles; },
  get maxParticles() { return layerInfo().maxParticles; },
  /** whether the field the particles follow was sampled on the view now shown */
  get fieldCoversView() {
    const f = layerInfo().particleField as View | null, v = scene.vp.view;
    return Boolean(f) && Math.abs(f!.xmin - v.xmin) + Math.abs(f!.xmax - v.xmax) + Math.abs(f!.ymin - v.ymin) + Math.abs(f!.ymax - v.ymax) < 1e-9;
  },
  get running() { return running; },
  get workerRunning() { return workerRunning; },
  get engineReady() { return engineReady; },
  get chart() { return chart.get(); },
  get canUndo() { return histories[state.task].canUndo; },
  /** The iteration of the weights each undo entry of the active task holds (null: none), oldest first. */
  get undoIterations() { return histories[state.task].entries.map((e) => modelInfo(e.state.model as never)?.iteration ?? null); },
  /** The iteration of each task's model as the page holds it (null: fresh weights, none from the worker yet). */
  get modelIterations() { return Object.fromEntries(TASK_IDS.map((t) => [t, modelInfo(state.tasks[t].model as never)?.iteration ?? null])); },
  get progress() { return lastProgress; },
  /** asks the worker for a 'pong': how long it took to answer (ms), what work it had queued, its longest tick since */
  ping(): Promise<{ millis: number } & Pong> {
    const at = performance.now(), id = ++pingId;
    return new Promise((ok) => {
      pings.set(id, (r) => ok({ millis: performance.now() - at, ...r }));
      send({ type: 'ping', id });
    });
  },
  /** how the worker answered the last Pause: after how long, and how many iterations it finished after the click */
  get lastPause() { return lastPause; },
  /** the worker's last snapshot of the model (iteration, ms it took the worker to write, bytes) and the last autosave */
  get lastSnapshot() { return lastSnapshot; },
  get snapshotMillis() { return snapshotMillis; },
  get lastSave() { return lastSave; },
  /** the last model document the page holds (autosave, export): its iteration and optimiser step count, and its packed
   *  size (null: a JSON document) */
  get model() {
    const m = state.tasks[state.task].model;
    return m && { ...modelInfo(m), packed: isPacked(m) ? m.packed.length : null };
  },
  /** the portrait shown (null before the first analysis) and what the layers drew of it */
  get portrait() {
    const p = scene.portrait;
    const info = layerInfo();
    return p && {
      iteration: p.iteration, summary: p.learned.summary, verdict: p.comparison?.verdict ?? null, complete: p.learned.complete,
      equilibria: p.learned.equilibria.map((e) => ({ type: e.type, x: e.x, y: e.y })), truth: p.truth?.summary ?? null,
      drawn: { equilibria: info.equilibria, basinCells: info.basinCells, nullclineSegments: info.nullclineSegments, cycles: info.cycles,
        separatrices: info.separatrices, trueMarks: info.trueMarks },
    };
  },
  get confidence() {
    const c = scene.confidence;
    return c && { iteration: c.iteration, iterations: c.iterations, members: c.members, drawnCells: layerInfo().confidenceCells };
  },
  /** frames the render loop has run, and draw calls per layer id */
  get frames() { return frames; },
  get draws() { return { ...layerLoop.draws }; },
  /** the errors the page survived (a layer that threw, training that threw, the worker's uncaught errors), oldest first;
   * each was also reported as an uncaught error, so the e2e harness fails on it unless a test takes it */
  get errors() { return survived.map((e) => ({ ...e })); },
  /** the layers switched off after they threw */
  get failedLayers() { return layerLoop.failedIds; },
  /** Test-only: makes layer `id`'s `call` throw from now on (to exercise the render loop's error handling). */
  breakLayer(id: string, call: 'update' | 'draw' = 'draw') {
    const l = layers.find(([d]) => d.id === id)?.[1];
    if (!l) throw new Error(`no layer ${id}`);
    l[call] = () => { throw new Error(`test: layer ${id} ${call} broken`); };
    dirty = true;
  },
  /** Test-only: an error in the worker outside its try/catch ('throw': an uncaught exception, 'reject': an unhandled
   * rejection), or 'messageerror': the worker object fires one as if a message could not be read; or 'train': the
   * worker's next training step (a chunk or Step) throws, as a wasm binding error would. */
  workerFault(kind: 'throw' | 'reject' | 'messageerror' | 'train') {
    if (kind === 'messageerror') worker?.dispatchEvent(new MessageEvent('messageerror'));
    else send({ type: 'fault', kind });
  },
};
