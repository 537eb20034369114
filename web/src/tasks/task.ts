// The one small interface between the page and a task (trajectories, density): its data, what the worker must
// hear (sync), its readouts, the t slider, presets, the pointer, and its visuals. The layers live in render/layers.ts.
import type { AppState, PageData, TaskState, TaskSync } from '../app/state';
import type { View } from '../io/session';
import type { Of, ToWorker } from '../protocol';
import type { Scene } from '../render/layers';
import type { Settings, TaskId } from '../settings';

export interface HintAction {
  label: string;
  run: () => void;
}

/** What the page offers a task module. */
export interface PageEnv {
  state(): AppState;
  /** A new state; `undo`: record the active task's previous state ('data': its data comes back; 'model': its model too). */
  commit(next: AppState, undo?: 'data' | 'model'): void;
  send(m: ToWorker): void;
  hint(text: string, action?: HintAction): void;
  scene: Scene;
  /** the scene changed: redraw the overlay */
  invalidate(): void;
  nextId(): number;
  worldAt(e: PointerEvent | MouseEvent): [number, number];
  /** a view around these bounds that fits the canvas */
  fit(b: View, margin?: number): View;
  /** the time slider's value */
  time(): number;
}

export interface PointerTool {
  down(e: PointerEvent): void;
  move(e: PointerEvent): void;
  up(e: PointerEvent): void;
  key?(e: KeyboardEvent): boolean;
}

export interface TaskModule<T extends TaskId> {
  id: T;
  /** what the empty plane invites the user to do */
  emptyHint: string;
  /** the preset menu's entry for the user's own data */
  ownData: string;
  /** label of the whole-data loss readout */
  lossLabel: string;
  /** label of the last minibatch's loss */
  batchLossLabel: string;
  empty: PageData[T];
  dataSize(d: PageData[T]): number;
  sync: TaskSync<T>;
  time: {
    min: number; max: number; step: number; initial: number;
    /** why the slider does nothing, or null */
    disabled(s: Settings): string | null;
    /** a setting that moving the slider turns off (the density animation) */
    stops?: keyof Settings;
  };
  /** a fixed view for the task, or null to keep the current one */
  view: View | null;
  /** whether the field-error readout applies */
  fieldError(state: TaskState<T>): boolean;
  /** mirror the task's state into the scene */
  toScene(state: TaskState<T>, scene: Scene): void;
  onVisual(env: PageEnv, v: Of<T, 'visual'>): void;
  onPreset(env: PageEnv, name: string, p: Of<T, 'preset'>): void;
  onAnswer(env: PageEnv, a: Of<T, 'answer'>): void;
  /** an analysis of the model (phase portrait, confidence), for tasks that have them */
  onAnalysis?(env: PageEnv, a: Of<T, 'analysis'>): void;
  pointer(env: PageEnv): PointerTool;
  /** the toolbar's pointer modes (radio name 'mode'), if any */
  modes: boolean;
}
