// One engine per task, behind one interface: the worker's loop (worker.ts) drives whichever is active.
import type { NeuralOde, StepResult } from '../../../wasm/neural-ode';
import type { FromWorker, Inspection, Of, PresetItem } from '../protocol';
import type { TaskId } from '../settings';

/** The time budget of one piece of work besides training (a whole-data loss part, a visual part): past it the call
 * stops (and throws or returns a short result), so the worker answers again. */
export const WORK_BUDGET = Object.freeze({ maxMillis: 2000 });

/** What the worker loop needs of a trainer (Trainer and DensityTrainer both have it). */
export interface TrainerLike {
  step(n?: number, options?: { maxMillis?: number }): StepResult;
  reset(seed?: number): void;
  iteration(): number;
  parameters(): Float64Array;
  setParameters(p: Float64Array): void;
  delete(): void;
}

export interface Engine<T extends TaskId> {
  readonly task: T;
  presets(): PresetItem[];
  /** A trainer for `config`: from `model`, else keeping the current weights when `keep`, else fresh. Returns a warning or null. */
  configure(config: Of<T, 'config'>, model: Of<T, 'model'> | null, keep: boolean): string | null;
  /** Replaces the data; on a bad value throws and keeps the previous data. */
  setData(data: Of<T, 'data'>): void;
  hasData(): boolean;
  /** What to draw or paint first. */
  emptyMessage: string;
  setView(view: Of<T, 'view'>): void;
  trainer(): TrainerLike | null;
  /** The loss on all the data as parts of bounded work, each giving [sum, weight]: loss = Σ sum / Σ weight. Parts throw when they cannot be computed. */
  dataLossParts(): Array<() => [number, number]>;
  /** The relative error against a known true field, or null. */
  fieldError(): number | null;
  /** The document that restores the current model (weights, optimiser state, iteration). */
  snapshot(): Of<T, 'model'> | null;
  /** Goes back to a snapshot (the last good weights and optimiser state after a divergence). */
  restore(doc: Of<T, 'model'>): void;
  /** The messages (and transferables) that redraw the task's visuals, as parts of bounded work. */
  visuals(): Array<() => [FromWorker, Transferable[]] | null>;
  preset(name: string, seed: number): [FromWorker, Transferable[]];
  query(id: number, q: Of<T, 'query'>): [FromWorker, Transferable[]] | null;
  /** Which analyses the page shows. */
  setWants?(want: Of<T, 'want'>): void;
  /** The analyses the page shows (phase portrait) as parts of bounded work; slower than visuals, so refreshed less often; cheaper ones while training. */
  analyses?(training: boolean): Array<() => [FromWorker, Transferable[]] | null>;
  /** Background work besides training (the confidence ensemble): one bounded piece (≤ ~CHUNK_MS), what to post, and whether more is due. */
  background?(): { post: [FromWorker, Transferable[]] | null; more: boolean };
  /** Whether background work is due now (cheap). */
  backgroundDue?(): boolean;
  /** An on-demand check of the current model; throws with a message when it cannot be done. */
  inspect?(what: Inspection['what']): Inspection;
}

export type EngineFactory<T extends TaskId> = (ode: NeuralOde) => Engine<T>;
