// The page's state as one value, the pure transitions on it, and what the worker must hear to follow a
// transition (planSync). applyState() in main.ts is the one path that rebuilds the page and the worker from it.
import type { Stroke } from '../draw/strokes';
import type { View } from '../io/session';
import type { Of, ToWorker } from '../protocol';
import { TASK_IDS, rebuildNeeded, type Settings, type TaskId } from '../settings';

/** The data a task learns from, as the page keeps it. */
export interface PageData {
  trajectories: Stroke[];
  /** x, y pairs */
  density: number[];
}

export interface TaskState<T extends TaskId> {
  data: PageData[T];
  /** the preset the data came from (its true field is known), or null */
  preset: string | null;
  /** the last model document seen (autosave, export); the worker's copy may be newer */
  model: Of<T, 'model'> | null;
  /** bumped whenever the page replaces the model (fresh weights, preset, import, undo): the worker loads `model` then */
  modelGen: number;
}

export interface AppState {
  task: TaskId;
  settings: Settings;
  view: View;
  /** the t slider: the time at which the field is drawn (trajectories) or the flow is shown (density, 0…1) */
  time: number;
  tasks: { [T in TaskId]: TaskState<T> };
}

/** What planSync needs from each task module. */
export interface TaskSync<T extends TaskId> {
  config(s: Settings): Of<T, 'config'>;
  workerData(state: TaskState<T>, s: Settings): Of<T, 'data'>;
  /** the settings the worker data depends on, as a comparable key */
  dataKey(s: Settings): string;
  viewSpec(view: View, time: number): Of<T, 'view'>;
  /** which analyses the worker computes for these settings (tasks without analyses: none) */
  wants?(state: TaskState<T>, s: Settings): Of<T, 'want'>;
}
export type Syncs = { [T in TaskId]: TaskSync<T> };

export function emptyTask<T extends TaskId>(data: PageData[T]): TaskState<T> {
  return { data, preset: null, model: null, modelGen: 0 };
}

function withTask<T extends TaskId>(s: AppState, task: T, next: TaskState<T>): AppState {
  return { ...s, tasks: { ...s.tasks, [task]: next } };
}

/** New settings; a task whose model shape changes starts from fresh weights. */
export function withSettings(s: AppState, settings: Settings): AppState {
  let next: AppState = { ...s, settings };
  for (const t of TASK_IDS)
    if (rebuildNeeded(s.settings, settings, t)) next = withTask(next, t, { ...next.tasks[t], model: null, modelGen: next.tasks[t].modelGen + 1 });
  return next;
}

/** New data (an edit: the model keeps training). */
export function withData<T extends TaskId>(s: AppState, task: T, data: PageData[T], preset: string | null = s.tasks[task].preset): AppState {
  return withTask(s, task, { ...s.tasks[task], data, preset });
}

/** A preset's data with a fresh model. */
export function withPreset<T extends TaskId>(s: AppState, task: T, name: string, data: PageData[T]): AppState {
  const cur = s.tasks[task];
  return withTask(s, task, { data, preset: name, model: null, modelGen: cur.modelGen + 1 });
}

/** The worker's latest model (no reload). */
export function withModel<T extends TaskId>(s: AppState, task: T, model: Of<T, 'model'> | null): AppState {
  return withTask(s, task, { ...s.tasks[task], model });
}

/** Fresh weights. */
export function withFreshModel<T extends TaskId>(s: AppState, task: T): AppState {
  const cur = s.tasks[task];
  return withTask(s, task, { ...cur, model: null, modelGen: cur.modelGen + 1 });
}

/** A task state from the undo history: its data, and its model too when the undone change had replaced the model. */
export function withRestored<T extends TaskId>(s: AppState, task: T, saved: TaskState<T>, restoresModel: boolean): AppState {
  const cur = s.tasks[task];
  return withTask(s, task, restoresModel
    ? { ...saved, modelGen: cur.modelGen + 1 }
    : { ...saved, model: cur.model, modelGen: cur.modelGen });
}

/** A model from the undo history (another task's, replaced by a shared setting), its data as they are now. */
export function withModelRestored<T extends TaskId>(s: AppState, task: T, model: Of<T, 'model'> | null): AppState {
  const cur = s.tasks[task];
  return withTask(s, task, { ...cur, model, modelGen: cur.modelGen + 1 });
}

/** The messages that bring a worker that follows `prev` (null: a new worker) to `next`. */
export function planSync(prev: AppState | null, next: AppState, syncs: Syncs): ToWorker[] {
  const out: ToWorker[] = [];
  for (const t of TASK_IDS) out.push(...planTask(prev, next, t, syncs[t] as TaskSync<typeof t>));
  if (!prev || prev.task !== next.task) out.push({ type: 'activate', task: next.task });
  return out;
}

function planTask<T extends TaskId>(prev: AppState | null, next: AppState, task: T, sync: TaskSync<T>): ToWorker[] {
  const out: ToWorker[] = [];
  const a = prev?.tasks[task], b = next.tasks[task] as TaskState<T>;
  const config = sync.config(next.settings);
  const modelReplaced = !a || a.modelGen !== b.modelGen;
  if (modelReplaced || JSON.stringify(sync.config(prev!.settings)) !== JSON.stringify(config))
    out.push({ type: 'configure', task, config, model: modelReplaced ? b.model : null, keep: !modelReplaced, gen: b.modelGen } as ToWorker);
  if (!a || a.data !== b.data || a.preset !== b.preset || sync.dataKey(prev!.settings) !== sync.dataKey(next.settings))
    out.push({ type: 'data', task, data: sync.workerData(b, next.settings) } as ToWorker);
  const view = sync.viewSpec(next.view, next.time);
  if (!prev || JSON.stringify(sync.viewSpec(prev.view, prev.time)) !== JSON.stringify(view)) out.push({ type: 'view', task, view } as ToWorker);
  if (sync.wants) {
    const want = sync.wants(b, next.settings);
    if (!prev || JSON.stringify(sync.wants(a!, prev.settings)) !== JSON.stringify(want)) out.push({ type: 'want', task, want } as ToWorker);
  }
  return out;
}
