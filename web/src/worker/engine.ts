// One engine per task, behind one interface: the worker's loop (worker.ts) drives whichever is active.
import type { NeuralOde, StepOptions, StepResult } from '../../../wasm/neural-ode';
import type { FromWorker, Inspection, Of, PresetItem } from '../protocol';
import type { TaskId } from '../settings';
import type { PackedModel } from '../io/packed';
import timing from './timing.json';

/** The time budget of one call that cannot be split further (a safety net): past it the call stops (and throws or
 * returns a short result), so the worker answers again. */
export const WORK_BUDGET = Object.freeze({ maxMillis: 2000 });
/** What one piece of work between two looks at the message queue should take at most (ms): parts are sized for it, so
 * Pause and every other control are answered within about this long (training: see CHUNK_MS in worker.ts). */
export const PIECE_MS = timing.pieceMs;

/** Row bands [from, to) of an ny-row grid, `rows` rows each (each at least 2 rows: a grid call needs 2). */
export function rowBands(ny: number, rows: number): [number, number][] {
  const out: [number, number][] = [];
  for (let r = 0; r < ny; r += rows) out.push([r, Math.min(ny, r + rows)]);
  if (out.length > 1 && out[out.length - 1][1] - out[out.length - 1][0] < 2) out[out.length - 2][1] = out.pop()![1];
  return out;
}

/** A part of drawn results (visuals, analyses) given about `maxMillis` (what is left of the tick): the message to post, or
 * null (nothing to post), or MORE — a resumable part that has more to do: the loop calls it again (before anything queued
 * after it), so one long analysis runs in pieces and every message is answered between them. */
export const MORE = Symbol('more');
export type Part = (maxMillis: number) => [FromWorker, Transferable[]] | null | typeof MORE;

/** An on-demand check in pieces: run() works about maxMillis and gives the answer once finished (else null); delete()
 * frees it (finished, superseded or dropped). */
export interface InspectionJob {
  run(maxMillis: number): Inspection | null;
  delete(): void;
}

/** What the worker loop needs of a trainer (Trainer and DensityTrainer both have it). */
export interface TrainerLike {
  step(n?: number, options?: StepOptions): StepResult;
  reset(seed?: number): void;
  iteration(): number;
  parameters(): Float64Array;
  setParameters(p: Float64Array): void;
  /** The last good model (weights, optimiser state, iteration) kept in the module, and going back to it. */
  checkpoint(): void;
  restoreCheckpoint(): void;
  delete(): void;
}

/** A part of the whole-data loss: how much data it covers and its [sum, weight] (null: it did not fit its time budget;
 * 'more': it stopped between two solver steps at its budget, losing nothing — run it again to continue). */
export interface LossPart {
  units: number;
  /** The data left out of a loss estimated on a fixed subsample (never run: it answers null). */
  subsampled?: boolean;
  run(): [number, number] | null | 'more';
}

/** Runs `f` (a call with a time budget of `maxMillis`); null when it threw after using (nearly) all of it, else rethrows. */
export function withinBudget<R>(maxMillis: number, f: () => R): R | null {
  const t0 = performance.now();
  try {
    return f();
  } catch (e) {
    if (performance.now() - t0 >= 0.9 * maxMillis) return null;
    throw e;
  }
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
  /** The loss on all the data as parts of bounded work (`maxMillis` each), each giving [sum, weight]: loss = Σ sum / Σ weight.
   * A part returns 'more' when it stopped at its budget and continues when run again (resumable), null when it did not
   * fit its budget (the loss is then over the other parts), and throws when it cannot be computed (a field that blew up). */
  dataLossParts(maxMillis?: number): LossPart[];
  /** What the data is counted in, plural ("trajectories", "samples"): the readout says "on 7 of 8 trajectories" when parts were left out. */
  readonly lossUnit: string;
  /** The relative error against a known true field as parts of bounded work, each [Σ (learned − true)², Σ true²] over
   * its points: error = √(Σ num / Σ den); none without a true field. */
  fieldErrorParts(): Array<() => [number, number]>;
  /** The document that restores the current model (weights, optimiser state, iteration), packed (no number formatting:
   * a 256 × 6 network's in milliseconds) for the page to store as it is. */
  snapshot(): PackedModel<Of<T, 'model'>['format']> | null;
  /** The messages (and transferables) that redraw the task's visuals, as parts of bounded work. */
  visuals(): Part[];
  preset(name: string, seed: number): [FromWorker, Transferable[]];
  /** The answer to a query as a resumable part (MORE until it is done), or null when there is none. */
  query(id: number, q: Of<T, 'query'>): Part | null;
  /** Which analyses the page shows. */
  setWants?(want: Of<T, 'want'>): void;
  /** The analyses the page shows (phase portrait) as parts of bounded work (resumable ones answer MORE until finished);
   * slower than visuals, so refreshed less often; cheaper ones while training. A new list supersedes the previous one
   * (its work under way is dropped). */
  analyses?(training: boolean): Part[];
  /** Background work besides training (the confidence ensemble): one bounded piece (≤ ~CHUNK_MS), what to post, and whether more is due. */
  background?(): { post: [FromWorker, Transferable[]] | null; more: boolean };
  /** Whether background work is due now (cheap). */
  backgroundDue?(): boolean;
  /** An on-demand check of the current model (on a copy taken now), run in pieces; throws with a message when it
   * cannot be done. */
  inspect?(what: Inspection['what']): InspectionJob;
}

export type EngineFactory<T extends TaskId> = (ode: NeuralOde) => Engine<T>;
