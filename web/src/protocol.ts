// Messages between the page and the training worker (which owns the wasm module and one engine per task).
// Task-specific payloads are typed per task; the worker's loop never looks inside them.
import type { DensityConfig, DensityDocument, GradientTruth, GridSpec, MemoryPoint, ModelDocument, PhasePortrait, PortraitComparison, SystemInfo, TrainerConfig } from '../../wasm/neural-ode';
import type { Trajectory } from './draw/strokes';
import type { PackedModel } from './io/packed';
import type { TaskId } from './settings';

/** Per task: the data, the view request, the model document, the visuals and the presets. */
export interface TaskTypes {
  trajectories: {
    data: { trajectories: Trajectory[]; truth: string | null };
    view: Required<GridSpec>;
    /** a JSON document (imported) or a packed one (the worker's snapshots, autosave) */
    model: ModelDocument | PackedModel<'neural-ode-model'>;
    config: TrainerConfig;
    visual: { spec: Required<GridSpec>; values: Float32Array; truth: Float32Array | null; rollouts: Float64Array[] };
    preset: { trajectories: Trajectory[]; info: SystemInfo };
    query: { z0: [number, number]; t0: number; span: number; points: number };
    answer: { path: Float64Array; status: string };
    /** which analyses the page shows (the worker computes only those) */
    want: { portrait: boolean; confidence: boolean };
    analysis: { portrait: PortraitVisual } | { confidence: ConfidenceVisual };
  };
  density: {
    data: { points: Float64Array };
    view: DensityView;
    model: DensityDocument | PackedModel<'neural-ode-density'>;
    config: DensityConfig;
    /** the heatmap, or some of the flow's frames (the page assembles them) */
    visual: { spec: DensityView; logp?: Float32Array; frames?: { from: number; total: number; list: Float64Array[] } };
    preset: { points: Float64Array };
    query: never;
    answer: never;
    want: never;
    analysis: never;
  };
}
export type Of<T extends TaskId, K extends keyof TaskTypes['trajectories']> = TaskTypes[T][K];
type PerTask<K extends keyof TaskTypes['trajectories']> = { [T in TaskId]: { task: T } & { [P in K]: TaskTypes[T][K] } }[TaskId];

/** The learned phase portrait over the view grid; for presets the true one and the comparison's verdict too. */
export interface PortraitVisual {
  spec: Required<GridSpec>;
  learned: PhasePortrait;
  truth: PhasePortrait | null;
  comparison: PortraitComparison | null;
  /** the iteration the portrait is of, and the one the comparison with the truth was made at (null: none) */
  iteration: number;
  comparedAt: number | null;
}

/** Where an ensemble trained on the same data disagrees: nx·ny spreads, row by row from ymin. */
export interface ConfidenceVisual {
  spec: Required<GridSpec>;
  disagreement: Float32Array;
  members: number;
  /** the ensemble's iterations so far, and the most it trains */
  iteration: number;
  iterations: number;
}

/** On-demand checks of the current model: the gradient by each method against finite differences, memory against solver steps. */
export type Inspection =
  | { what: 'gradient'; result: GradientTruth }
  | { what: 'memory'; result: MemoryPoint[] };

/** The heatmap grid and the animation request of density mode. */
export interface DensityView {
  xmin: number;
  xmax: number;
  ymin: number;
  ymax: number;
  nx: number;
  ny: number;
  /** base samples pushed to `frames` evenly spaced times in [0, tEnd] */
  particles: number;
  frames: number;
}

export interface PresetItem {
  value: string;
  label: string;
  description?: string;
}

export interface Progress {
  iteration: number;
  /** loss of the last training step's minibatch (NaN before the first step) */
  batchLoss: number;
  /** loss on all the data, and the iteration it was computed at (NaN: not known yet) */
  dataLoss: number;
  dataLossIteration: number;
  /** null: the loss is over all the data; else over `covered` of `total` (the other parts did not fit their time budget) */
  dataLossCoverage: { covered: number; total: number; unit: string; subsample?: boolean } | null;
  gradNorm: number;
  nfeForward: number;
  nfeBackward: number;
  millis: number;
  status: string;
  message: string;
  /** relative field error against the preset's true field; null without one */
  fieldError: number | null;
  /** what the last whole-data loss and the last visuals cost the worker (ms) */
  dataLossMillis: number;
  visualMillis: number;
  /** an iteration is under way: training stopped (a chunk's end, Pause) between two of its solver steps and continues it */
  pending: boolean;
  /** its forward function evaluations so far (0: none under way); it grows chunk after chunk while the iteration continues */
  pendingNfe: number;
}

export const NO_PROGRESS: Readonly<Progress> = Object.freeze({
  iteration: 0, batchLoss: NaN, dataLoss: NaN, dataLossIteration: -1, dataLossCoverage: null, gradNorm: NaN, nfeForward: 0, nfeBackward: 0, millis: 0,
  status: 'success', message: '', fieldError: null, dataLossMillis: 0, visualMillis: 0, pending: false, pendingNfe: 0,
});

export type ToWorker =
  | ({ type: 'configure'; /** null: fresh weights unless `keep` */ model: ModelDocument | DensityDocument | PackedModel | null; keep: boolean;
      /** the page's model generation (TaskState.modelGen) of the model this configures: snapshots carry it back */ gen: number } & PerTask<'config'>)
  | ({ type: 'data'; /** numbers the page's data changes: visuals carry the one they were computed for */ seq?: number } & PerTask<'data'>)
  | ({ type: 'view' } & PerTask<'view'>)
  | ({ type: 'query'; id: number } & PerTask<'query'>)
  | { type: 'activate'; task: TaskId }
  | { type: 'preset'; task: TaskId; name: string; seed: number }
  | { type: 'train'; running: boolean }
  | { type: 'step' }
  /** each task's model document, unless unchanged since the last one; `force`: also while training (an undo entry needs
   * the weights about to be replaced), else at most 1/SNAPSHOT_SHARE of the time goes to it */
  | { type: 'snapshot'; force?: boolean }
  /** restore the task's checkpoint if it is still the one of that iteration (else the worker says it is gone) */
  | { type: 'restore'; task: TaskId; iteration: number }
  | ({ type: 'want' } & PerTask<'want'>)
  | { type: 'inspect'; what: Inspection['what'] }
  /** answered at once with 'pong' (how long the worker takes to answer any message: tests log it) */
  | { type: 'ping'; id: number }
  /** test-only (`playground.workerFault`): an error outside every try/catch of the worker, thrown ('throw') or an
   * unhandled rejection ('reject'); or the next training chunk or Step throws, as a wasm binding error would ('train') */
  | { type: 'fault'; kind: 'throw' | 'reject' | 'train' };

export type FromWorker =
  | { type: 'ready'; version: string; presets: Record<TaskId, PresetItem[]> }
  /** gen: the model generation it is about (the last 'configure''s); one of a model the page has replaced since is stale */
  | { type: 'progress'; task: TaskId; running: boolean; progress: Progress; gen: number }
  | ({ type: 'visual'; /** the data change it was computed for */ seq?: number } & PerTask<'visual'>)
  | ({ type: 'preset'; name: string } & PerTask<'preset'>)
  | ({ type: 'answer'; id: number } & PerTask<'answer'>)
  | ({ type: 'analysis'; /** the data change it was computed for */ seq?: number } & PerTask<'analysis'>)
  /** the answer to 'inspect': the result, or why there is none */
  | ({ type: 'inspection'; error?: string } & (Inspection | { what: Inspection['what']; result: null }))
  /** model null: a forced snapshot's answer for a task without weights to send (nothing to fill in, nothing to wait for) */
  | { type: 'snapshot'; task: TaskId; model: PackedModel | null; iteration: number; /** what writing it took the worker (ms) */ millis: number;
      /** the model generation it belongs to (the last 'configure''s): the page's current model's, or one an undo entry holds */ gen: number }
  /** the answer to 'ping': the kinds of work queued ('step', 'loss', 'visual', 'analysis', 'gradient', 'memory'), and the longest
   * the worker went without looking at its messages since the previous ping (a tick or a message's handling, ms) */
  | { type: 'pong'; id: number; pending: string[]; longestTick: number; /** the longest single piece and its kind */ longestPiece: { millis: number; kind: string } }
  /** training paused: the field blew up (`reason`); goodIteration: the last healthy checkpoint the page may restore */
  | { type: 'diverged'; task: TaskId; reason: string; goodIteration: number | null }
  /** training (a chunk or a Step) threw — a wasm binding error, an engine bug: paused, the model and data kept as they
   * were; the page reports the error and offers the checkpoint as after a divergence */
  | { type: 'failed'; task: TaskId; message: string; goodIteration: number | null }
  /** fatal: the engine cannot work; persistent: shown until dismissed */
  | { type: 'error'; message: string; fatal?: boolean; persistent?: boolean }
  /** an error no try/catch of the worker caught and the page would not hear of otherwise (an unhandled rejection, a
   * message from the page it could not read); uncaught exceptions reach the page as the worker's 'error' event */
  | { type: 'uncaught'; message: string };

export type { SystemInfo };
