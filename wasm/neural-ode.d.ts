// Types of the public JS API (wasm/api.js). Every method throws Error with a message on a bad call and
// then leaves the trainer exactly as it was. Arrays returned are copies, never views into the wasm heap.

export type SolverMethod = 'dopri5' | 'rk4' | 'rk4-38' | 'midpoint' | 'euler';
export type GradientMethod = 'checkpointed' | 'direct' | 'adjoint';
export type Status = 'success' | 'max-steps' | 'step-too-small' | 'non-finite' | 'invalid-input';
export type NumberArray = Float64Array | ArrayLike<number>;

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
  iteration: number;
  loss: number;
  gradNorm: number;
  nfeForward: number;
  nfeBackward: number;
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

export interface GridSpec { xmin?: number; xmax?: number; ymin?: number; ymax?: number; nx?: number; ny?: number; t?: number }

export interface ModelDocument {
  format: 'neural-ode-model';
  version: 1;
  config: Required<TrainerConfig>;
  parameters: number[];
  normalization: { offset: number[]; scale: number[] };
  iteration: number;
}

export declare class Trainer {
  constructor(config?: TrainerConfig | string);
  static fromJSON(doc: ModelDocument | string): Trainer;
  readonly dim: number;
  config(): Required<TrainerConfig>;
  addTrajectory(times: NumberArray, states: NumberArray): number;
  clearTrajectories(): void;
  trajectoryCount(): number;
  step(n?: number): StepResult;
  loss(): number;
  parameters(): Float64Array;
  setParameters(p: NumberArray): void;
  gradient(method?: GradientMethod): Float64Array;
  integrate(z0: NumberArray, times: NumberArray, t0?: number): IntegrateResult;
  field(points: NumberArray, t?: number): Float64Array;
  sampleGrid(spec?: GridSpec): Float32Array;
  reset(seed?: number): void;
  iteration(): number;
  toJSON(): ModelDocument;
  delete(): void;
  isDeleted(): boolean;
}

/** Density-mode config: the trainer's fields plus the flow's length and the divergence estimator. */
export interface DensityConfig extends TrainerConfig {
  tEnd?: number;
  trace?: 'exact' | 'hutchinson';
}

export interface DensityDocument {
  format: 'neural-ode-density';
  version: 1;
  config: Required<DensityConfig>;
  parameters: number[];
  normalization: { offset: number[]; scale: number[] };
  iteration: number;
}

export declare class DensityTrainer {
  constructor(config?: DensityConfig | string);
  static fromJSON(doc: DensityDocument | string): DensityTrainer;
  toJSON(): DensityDocument;
  config(): Required<DensityConfig>;
  addSamples(points: NumberArray): number;
  clearSamples(): void;
  sampleCount(): number;
  step(n?: number): StepResult;
  nll(): number;
  sample(n: number, t: number, seed?: number): { status: Status; message: string; points: Float64Array };
  logDensity(points: NumberArray): Float64Array;
  logDensityGrid(spec?: Omit<GridSpec, 't'>): Float32Array;
  parameters(): Float64Array;
  setParameters(p: NumberArray): void;
  reset(seed?: number): void;
  iteration(): number;
  delete(): void;
  isDeleted(): boolean;
}

export interface Bounds { xmin: number; xmax: number; ymin: number; ymax: number }
export interface SystemInfo { name: string; title: string; description: string; bounds: Bounds; tEnd: number }
export interface SampleOptions { trajectories?: number; points?: number; noise?: number; seed?: number; tEnd?: number; regular?: boolean; initial?: [number, number] }

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
  liveTrainers(): number;
  heapBytes(): number;
}

export declare function createNeuralOde(): Promise<NeuralOde>;
export default createNeuralOde;
