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

/** Trainer configuration; every field is optional and defaults as documented in README.md. */
export interface TrainerConfig {
  dim?: number;
  hidden?: number[];
  activation?: 'tanh' | 'softplus' | 'silu';
  timeDependent?: boolean;
  augment?: number;
  input?: 'identity' | 'cube';
  initStd?: number;
  normalize?: boolean;
  seed?: number;
  solver?: {
    method?: SolverMethod; rtol?: number; atol?: number; stepSize?: number; maxSteps?: number;
    /** checkpointed gradient: most forward states kept */ checkpoints?: number;
    /** adjoint gradient: backward tolerances (0 = rtol, atol) */ adjointRtol?: number; adjointAtol?: number;
    /** adjoint gradient: no error control on the parameter quadrature */ seminorm?: boolean;
  };
  gradient?: GradientMethod;
  optimizer?: { name?: 'adam' | 'rmsprop'; lr?: number; weightDecay?: number; clip?: number; beta1?: number; beta2?: number; alpha?: number; eps?: number };
  batch?: { size?: number; window?: number };
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
  millis: number;
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
export interface ModelDocument {
  format: 'neural-ode-model';
  version: 2 | 1;
  config: Required<TrainerConfig>;
  parameters: number[];
  normalization: { offset: number[]; scale: number[] };
  iteration: number;
  optimizer?: OptimizerState;
  /** the minibatch sampler's stream: 64 hex digits */
  rng?: string;
}

/** What both trainers share. */
export declare abstract class TrainerBase<Config, Doc> {
  constructor(config?: Config | string);
  /** A remark about how fromJSON loaded this trainer (e.g. "… the optimiser restarts"), or ''. */
  readonly notice: string;
  config(): Required<Config>;
  toJSON(): Doc;
  /** Up to n iterations within the budget. */
  step(n?: number, options?: Budget): StepResult;
  parameters(): Float64Array;
  setParameters(p: NumberArray): void;
  reset(seed?: number): void;
  iteration(): number;
  delete(): void;
  isDeleted(): boolean;
}

export declare class Trainer extends TrainerBase<TrainerConfig, ModelDocument> {
  static fromJSON(doc: ModelDocument | string): Trainer;
  readonly dim: number;
  addTrajectory(times: NumberArray, states: NumberArray): number;
  clearTrajectories(): void;
  trajectoryCount(): number;
  loss(options?: Budget): number;
  gradient(method?: GradientMethod, options?: Budget): Float64Array;
  integrate(z0: NumberArray, times: NumberArray, t0?: number, options?: Budget): IntegrateResult;
  field(points: NumberArray, t?: number): Float64Array;
  sampleGrid(spec?: GridSpec & Budget): Float32Array;
}

/** Density-mode config: the trainer's fields plus the flow's length and the divergence estimator. */
export interface DensityConfig extends TrainerConfig {
  tEnd?: number;
  trace?: 'exact' | 'hutchinson';
}

export interface DensityDocument {
  format: 'neural-ode-density';
  version: 2 | 1;
  config: Required<DensityConfig>;
  parameters: number[];
  normalization: { offset: number[]; scale: number[] };
  iteration: number;
  optimizer?: OptimizerState;
  rng?: string;
}

export declare class DensityTrainer extends TrainerBase<DensityConfig, DensityDocument> {
  static fromJSON(doc: DensityDocument | string): DensityTrainer;
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
export interface SystemInfo { name: string; title: string; description: string; bounds: Bounds; tEnd: number }
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
  densityPresets(): string[];
  sampleDensity(name: string, n?: number, seed?: number): Float64Array;
  systems(): string[];
  systemInfo(name: string): SystemInfo;
  sampleSystem(name: string, options?: SampleOptions): { trajectories: { times: Float64Array; states: Float64Array }[]; bounds: Bounds };
  systemField(name: string, points: NumberArray): Float64Array;
  limits(): Limits;
  liveTrainers(): number;
  heapBytes(): number;
  /** Largest block the wasm heap can allocate now, bytes (a diagnostic; it may grow the heap). */
  largestFreeBlock(): number;
}

export declare function createNeuralOde(): Promise<NeuralOde>;
export default createNeuralOde;
