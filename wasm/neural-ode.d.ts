// Types of the public JS API (wasm/api.js). Every method throws Error with a message on a bad call and
// then leaves the trainer exactly as it was. Arrays returned are copies, never views into the wasm heap.
// Long calls take a time budget ({maxMillis}, default limits().defaultMillis = 60 s, at most 1 hour).

export type SolverMethod = 'dopri5' | 'rk4' | 'rk4-38' | 'midpoint' | 'euler';
export type GradientMethod = 'checkpointed' | 'direct' | 'adjoint';
export type Status = 'success' | 'max-steps' | 'step-too-small' | 'non-finite' | 'invalid-input' | 'time-limit';
/** Any array-like of numbers: typed arrays, arrays, or {length, 0: …} objects. */
export type NumberArray = Float64Array | ArrayLike<number>;
/** The time budget of a long call in milliseconds, in (0, 3600000]; default 60000. */
export interface Budget { maxMillis?: number }

/** A trainer's step options. */
export interface StepOptions extends Budget {
  /** An iteration the budget cuts short is kept (suspended: true) and continued by the next step call, which gives
   *  exactly the uninterrupted run's result; default false: it is discarded (status 'time-limit'). */
  resumable?: boolean;
  /** resumable: also stop after this many solver steps (forward steps tried, backward steps recomputed or reversed),
   *  in [1, 1e9]: a bound on the work of one call. */
  maxSolverSteps?: number;
}

/** Trainer configuration; every field is optional and defaults as documented in README.md. */
export interface TrainerConfig {
  dim?: number;
  hidden?: number[];
  activation?: 'tanh' | 'softplus' | 'silu';
  timeDependent?: boolean;
  augment?: number;
  input?: 'identity' | 'cube';
  initStd?: number;
  /** factor on the last layer's initial weights (default 0.1: the field starts near zero; density flows 1) */
  initOutput?: number;
  /** fit offset/scale of the states and a time scale (normalised velocities O(1)) from the data */
  normalize?: boolean;
  seed?: number;
  solver?: {
    method?: SolverMethod; rtol?: number; atol?: number; stepSize?: number; maxSteps?: number;
    /** checkpointed gradient: most forward states kept */ checkpoints?: number;
    /** adjoint gradient: backward tolerances (0 = rtol, atol) */ adjointRtol?: number; adjointAtol?: number;
    /** adjoint gradient: no error control on the parameter quadrature */ seminorm?: boolean;
  };
  gradient?: GradientMethod;
  optimizer?: { name?: 'adam' | 'rmsprop'; lr?: number; weightDecay?: number; clip?: number;
    /** decay of the moving average of θ the model answers with (0–0.9999, default 0.99; 0 = θ itself) */ average?: number;
    /** learning-rate schedule: lr for the first decayAfter steps (default 2000), then halved every halfLife steps
     *  (default 2000; 0 = constant lr) down to lr × lrFloor (default 0.2); density flows: constant */
    decayAfter?: number; halfLife?: number; lrFloor?: number; beta1?: number; beta2?: number; alpha?: number; eps?: number };
  batch?: { size?: number; window?: number; joint?: boolean;
    /** multiple shooting: windows longer than this many observations are cut into segments of it, each after the
     *  first starting at a trained free state tied to the previous segment's end (default 10; 0 = single shooting) */
    shooting?: number;
    /** weight of the continuity penalty relative to an observation's (default 1) */ continuity?: number };
  loss?: 'mse' | 'l1';
  regularization?: { kinetic?: number; jacobian?: number };
}

export interface StepResult {
  /** completed iterations of the trainer after the call */
  iteration: number;
  /** iterations this call completed (fewer than asked when the time budget ran out) */
  iterations: number;
  loss: number;
  gradNorm: number;
  nfeForward: number;
  nfeBackward: number;
  /** 'time-limit': the budget ran out inside an iteration, which was discarded (θ and optimiser as before it) */
  status: Status;
  message: string;
  /** time of the completed iterations (a resumed one's earlier pieces included) */
  millis: number;
  /** resumable steps: an iteration is under way (the next step continues it); nfe and millis count it once it completes */
  suspended: boolean;
  /** the forward evaluations so far of the iteration under way (0 when none): a field blowing up shows here early */
  pendingNfeForward: number;
}

export interface IntegrateResult {
  status: Status;
  message: string;
  /** row-major N × dim; NaN rows for times not reached when status is not 'success' */
  states: Float64Array;
  nfe: number;
}

export interface GridSpec {
  xmin?: number; xmax?: number; ymin?: number; ymax?: number; nx?: number; ny?: number; t?: number;
  /** Network arithmetic: float32 (default, vectorised, ~1e-7 relative) or float64. */
  precision?: 'float32' | 'float64';
}

/** Optimiser state saved with a model (version 2): step count and moments (empty before the first step). */
export interface OptimizerState { step: number; m: number[]; v: number[] }

/** Version 2 adds optimizer and rng; version 1 documents still load (the optimiser then restarts). */
export type EquilibriumType =
  'stable node' | 'stable focus' | 'unstable node' | 'unstable focus' | 'saddle' | 'centre-like' | 'degenerate';

export interface Equilibrium {
  x: number;
  y: number;
  type: EquilibriumType;
  /** a stable node or focus (an attractor) */
  stable: boolean;
  /** sorted by decreasing real part */
  eigenvalues: { re: number; im: number }[];
  /** row-major dim × dim */
  jacobian: Float64Array;
}

export interface LimitCycle {
  /** one period, equally spaced in time along the flow, row-major k × 2 */
  points: Float64Array;
  period: number;
  /** nontrivial Floquet multiplier exp(∮ div f dt): < 1 stable */
  multiplier: number;
  stable: boolean;
}

/** The phase portrait over a view grid; basins run row by row from ymin. */
export interface PhasePortrait {
  /** e.g. "2 stable nodes + 1 saddle" */
  summary: string;
  equilibria: Equilibrium[];
  /** segments (x0, y0, x1, y1) of f_x = 0 and f_y = 0 */
  nullclines: { x: Float64Array; y: Float64Array };
  cycles: LimitCycle[];
  /** what basin labels index: stable equilibria, then stable cycles */
  attractors: { kind: 'equilibrium' | 'cycle'; index: number }[];
  /** nx·ny labels: attractor index, −1 undecided (no attractor reached), −2 escaped the view's surroundings; empty when the
   *  time budget cut the analysis short before the basins (complete false) */
  basins: Int32Array;
  /** stable (basin boundaries) and unstable manifolds of the saddles, row-major k × 2 */
  separatrices: { saddle: number; stable: boolean; points: Float64Array }[];
  /** view diagonal / median speed */
  timeUnit: number;
  /** false when the time budget cut the analysis short */
  complete: boolean;
  millis: number;
}

export interface PortraitComparison {
  sameStructure: boolean;
  /** largest distance between matched equilibria of the same type (data units) */
  positionError: number;
  /** largest relative period difference of matched cycles */
  periodError: number;
  /** fraction of grid points whose attractors correspond */
  /** fraction of the view whose attractors correspond; NaN when either portrait has no attractor (nothing to compare) */
  basinAgreement: number;
  /** per learned attractor: the index of the matching true attractor, or −1 */
  attractorMatch: number[];
  /** e.g. "2 stable nodes + 1 saddle, as the true system; positions within 0.03; basins agree on 97 % of the view" */
  verdict: string;
}

export interface GradientTruth {
  status: Status;
  message: string;
  loss: number;
  /** relative difference from the central differences within which a method agrees */
  tolerance: number;
  fdStep: number;
  /** checked parameters: the largest entries of the direct gradient */
  coordinates: number[];
  finiteDifferences: Float64Array;
  methods: {
    method: GradientMethod;
    status: Status;
    message: string;
    /** the gradient at the checked coordinates */
    values: Float64Array;
    relToFd: number;
    relToDirect: number;
    agrees: boolean;
    nfeForward: number;
    nfeBackward: number;
    /** most solver states held at once for the backward pass */
    storedStates: number;
    millis: number;
  }[];
}

export interface MemoryPoint {
  steps: number;
  method: GradientMethod;
  /** forward steps the solver took */
  accepted: number;
  storedStates: number;
  nfeForward: number;
  nfeBackward: number;
  millis: number;
  status: Status;
  /** empty on success, else what stopped the sweep */
  message: string;
}

export interface ModelDocument {
  format: 'neural-ode-model';
  /** version 5: the config's learning-rate schedule (older documents keep a constant lr: halfLife 0); version 6: multiple
   *  shooting's trained free states (`shooting`, present when some were trained) */
  version: 6 | 5 | 4 | 3 | 2 | 1;
  config: Required<TrainerConfig>;
  /** θ, the optimiser's iterate (what training updates) */
  parameters: number[];
  /** versions ≥ 4: the moving average of θ the model answers with (`optimizer.average`) and its step count since θ
   *  was last set; older documents have none and answer with θ */
  average?: { steps: number; parameters: number[] };
  /** z_model = (z − offset) / scale, t_model = t / time (versions 1–2 have no time: 1) */
  normalization: { offset: number[]; scale: number[]; time?: number };
  iteration: number;
  optimizer?: OptimizerState;
  /** the minibatch sampler's stream: 64 hex digits */
  rng?: string;
  /** version 6: multiple shooting's free states per trajectory (key: the trajectory's 16-hex-digit hash), with their
   *  optimiser moments */
  shooting?: { key: string; points: number; steps: number; states: number[]; m: number[]; v: number[] }[];
}

/** What both trainers share. */
export declare abstract class TrainerBase<Config, Doc> {
  constructor(config?: Config | string);
  /** A remark about how fromJSON loaded this trainer (e.g. "… the optimiser restarts"), or ''. */
  readonly notice: string;
  config(): Required<Config>;
  toJSON(): Doc;
  /** The same document packed (README "Packed documents"): a small JSON header and the long arrays (θ, its average,
   *  the optimiser's moments) as float64 values, in a new Uint8Array; written and read without number formatting
   *  (256 × 6: ~10.5 MB, against ~28 MB of JSON text). fromPacked reads it back bit for bit. */
  toPacked(): Uint8Array;
  /** Up to n iterations within the budget (see StepOptions for resumable iterations). */
  step(n?: number, options?: StepOptions): StepResult;
  /** The model's parameters: the moving average of the iterates (`optimizer.average`; θ itself when 0). */
  parameters(): Float64Array;
  /** Sets θ and its average. */
  setParameters(p: NumberArray): void;
  reset(seed?: number): void;
  iteration(): number;
  /** Keeps a copy of the training state (weights, optimiser, sampler, iteration) in the module, replacing the one kept
   *  before: a point to go back to without a document (cheap for any size). */
  checkpoint(): void;
  /** The iteration of the checkpoint, or -1 when none. */
  checkpointIteration(): number;
  /** Goes back to the checkpoint (data kept; an iteration under way is dropped); throws when there is none. */
  restoreCheckpoint(): void;
  /** Takes `other`'s training state (same kind and network shape: weights, optimiser, sampler, iteration), keeping this
   *  one's config and data: a settings change without a document; throws (nothing changed) when it does not fit. */
  adoptState(other: this): void;
  delete(): void;
  isDeleted(): boolean;
}

export declare class Trainer extends TrainerBase<TrainerConfig, ModelDocument> {
  static fromJSON(doc: ModelDocument | string): Trainer;
  /** A trainer from toPacked's bytes (any document version packed); a truncated one, or one with a damaged tag, lengths,
   *  header or out-of-range values, throws saying what is wrong (nothing is created). The values carry no checksum: a
   *  flipped bit that leaves a value in its range loads as that value. */
  static fromPacked(bytes: Uint8Array | ArrayBuffer): Trainer;
  readonly dim: number;
  addTrajectory(times: NumberArray, states: NumberArray): number;
  clearTrajectories(): void;
  trajectoryCount(): number;
  /** The loss on all trajectories, or on `trajectory` alone (an index; the mean over its observations). */
  loss(options?: Budget & { trajectory?: number }): number;
  /** A piece of the same loss within options.maxMillis (and maxSolverSteps solver steps): it continues the loss under
   *  way, else starts one; `loss` is NaN until `done`, then equal to loss()'s bit for bit. A loss under way starts over
   *  when the model or the data changed meanwhile; an iteration under way is not disturbed. */
  lossPiece(options?: Budget & { trajectory?: number; maxSolverSteps?: number }): { done: boolean; loss: number; nfeForward: number };
  gradient(method?: GradientMethod, options?: Budget): Float64Array;
  integrate(z0: NumberArray, times: NumberArray, t0?: number, options?: Budget): IntegrateResult;
  /** Velocities at points (row-major m × dim), evaluated in blocks; throws when maxMillis (default 60 s) runs out. */
  field(points: NumberArray, t?: number, options?: Budget): Float64Array;
  sampleGrid(spec?: GridSpec & Budget): Float32Array;
  /** nx, ny in [8, 256] (default 64); with truth, the true portrait gets what the learned one left of maxMillis, at least a quarter of it */
  analyze(view?: GridSpec, options?: { truth?: string } & Budget): PhasePortrait & { truth?: PhasePortrait; comparison?: PortraitComparison };
  gradientTruth(options?: { coordinates?: number } & Budget): GradientTruth;
  memorySweep(steps?: NumberArray, options?: Budget): MemoryPoint[];
  /** analyze() in resumable pieces (maxMillis: the job's own work time, summed over its pieces; stages past it are
   *  skipped as there). The job copies the model and data: this trainer may train or change meanwhile. */
  analyzeJob(view?: GridSpec, options?: { truth?: string } & Budget): Job<PhasePortrait & { truth?: PhasePortrait; comparison?: PortraitComparison }>;
  /** gradientTruth() in resumable pieces (maxMillis: the budget of its solves, from now). */
  gradientTruthJob(options?: { coordinates?: number } & Budget): Job<GradientTruth>;
  /** memorySweep() in resumable pieces. */
  memorySweepJob(steps?: NumberArray, options?: Budget): Job<MemoryPoint[]>;
}

/** A long computation in resumable pieces: each run() works for about maxMillis (default 40; at least one bounded unit:
 *  a block of grid points, one Newton seed, a few flow steps, one solver step of a gradient) and the next continues where it stopped;
 *  result() is what the one-call version returns, the same however the runs split it (but for times). Must be deleted. */
export declare class Job<R> {
  /** true once finished */
  run(options?: Budget): boolean;
  done(): boolean;
  /** throws until run() answered true */
  result(): R;
  delete(): void;
  isDeleted(): boolean;
}

/** Trainers of one config with seeds seed, seed + 1, … on the same data; their spread shows where the data
 *  leave the field undetermined. */
export declare class Ensemble {
  constructor(config?: TrainerConfig | string, members?: number);
  size(): number;
  addTrajectory(times: NumberArray, states: NumberArray): number;
  clearTrajectories(): void;
  step(n?: number, options?: StepOptions): StepResult;
  iteration(): number;
  /** Spreads of the members' velocities on a grid; throws when maxMillis (default 60 s) runs out. */
  disagreementGrid(spec?: GridSpec & Budget): Float32Array;
  delete(): void;
  isDeleted(): boolean;
}

/** Density-mode config: the trainer's fields plus the flow's length and the divergence estimator. */
export interface DensityConfig extends TrainerConfig {
  tEnd?: number;
  trace?: 'exact' | 'hutchinson';
  /** the data's standard deviation per coordinate in the flow's coordinates (base N(0, I)), 0.1–10; default 2
   * (the base starts narrower than the data); documents without it (older ones) keep 1 */
  dataScale?: number;
}

export interface DensityDocument {
  format: 'neural-ode-density';
  version: 6 | 5 | 4 | 3 | 2 | 1;
  config: Required<DensityConfig>;
  /** θ, the optimiser's iterate */
  parameters: number[];
  /** versions ≥ 4: the moving average of θ the flow answers with, as in ModelDocument */
  average?: { steps: number; parameters: number[] };
  normalization: { offset: number[]; scale: number[]; time?: number };
  iteration: number;
  optimizer?: OptimizerState;
  rng?: string;
}

export declare class DensityTrainer extends TrainerBase<DensityConfig, DensityDocument> {
  static fromJSON(doc: DensityDocument | string): DensityTrainer;
  /** A density trainer from toPacked's bytes (as Trainer.fromPacked). */
  static fromPacked(bytes: Uint8Array | ArrayBuffer): DensityTrainer;
  addSamples(points: NumberArray): number;
  clearSamples(): void;
  sampleCount(): number;
  nll(options?: Budget): number;
  /** status 'time-limit' when the budget ran out (points not reached are NaN) */
  sample(n: number, t: number, seed?: number, options?: Budget): { status: Status; message: string; points: Float64Array };
  logDensity(points: NumberArray, options?: Budget): Float64Array;
  logDensityGrid(spec?: Omit<GridSpec, "t"> & Budget): Float32Array;
}

export interface Bounds { xmin: number; xmax: number; ymin: number; ymax: number }
export interface SystemInfo {
  name: string; title: string; description: string;
  /** display region of the first two coordinates */ bounds: Bounds;
  /** default trajectory length */ tEnd: number;
  /** state dimension */ dim: number;
  /** default observations per trajectory (sampleSystem's default) */ points: number;
  /** offered as a page preset (the page is 2-D: every 2-D system) */ preset: boolean;
}
/** points: default the system's; initial: dim numbers */
export interface SampleOptions extends Budget { trajectories?: number; points?: number; noise?: number; seed?: number; tEnd?: number; regular?: boolean; initial?: NumberArray }

/** The limits every call is checked against (core/include/nde/limits.hpp). */
export interface Limits {
  /** largest |value| of a data coordinate, time or query point */
  data: number;
  /** largest |θ| entry */
  parameter: number;
  /** memory one call may allocate, bytes */
  callBytes: number;
  maxMillis: number;
  defaultMillis: number;
  /** largest whole number (2^53) */
  maxWhole: number;
  jsonDepth: number;
  jsonBytes: number;
}

export interface NeuralOde {
  version: string;
  Trainer: typeof Trainer;
  DensityTrainer: typeof DensityTrainer;
  Ensemble: typeof Ensemble;
  densityPresets(): string[];
  sampleDensity(name: string, n?: number, seed?: number): Float64Array;
  systems(): string[];
  systemInfo(name: string): SystemInfo;
  sampleSystem(name: string, options?: SampleOptions): { trajectories: { times: Float64Array; states: Float64Array }[]; bounds: Bounds };
  systemField(name: string, points: NumberArray): Float64Array;
  analyzeSystem(name: string, view?: Omit<GridSpec, 't'>, options?: Budget): PhasePortrait;
  limits(): Limits;
  liveTrainers(): number;
  heapBytes(): number;
  /** Benchmarks only: wide layers' products through the tiled kernel (true, default) or Eigen's GEMM (false, the former path);
   * without an argument, reports the selection. Results agree to rounding. */
  tiledKernels(on?: boolean): boolean;
  /** Benchmarks only: float32 field sampling through the points-in-lanes kernels (true, default) or the former row-by-row
   * path (false); without an argument, reports the selection. Results agree to float rounding. */
  laneKernels(on?: boolean): boolean;
  /** Benchmarks only: float64 training passes of a thin tanh net with one or two hidden layers (the replica's, the page's) through the
   * points-in-lanes kernels (true, default) or the former row path (false); without an argument, reports the
   * selection. Results agree to rounding. */
  laneTraining(on?: boolean): boolean;
  /** Benchmarks only: the checkpointed and direct gradients keep the forward solve's stage passes for their reverse
   * sweeps (true, default) or run every reversed step's stage passes again (false, the former path); without an
   * argument, reports the selection. Results are the same bit for bit. */
  stageTapes(on?: boolean): boolean;
  /** Largest block the wasm heap can allocate now, bytes (a diagnostic; it may grow the heap). */
  largestFreeBlock(): number;
}

export declare function createNeuralOde(): Promise<NeuralOde>;
export default createNeuralOde;
