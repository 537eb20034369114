// Messages between the page and the training worker (which owns the wasm module and the trainer).
import type { DensityConfig, DensityDocument, GridSpec, ModelDocument, SystemInfo, TrainerConfig } from '../../wasm/neural-ode';
import type { Trajectory } from './draw/strokes';

export type ToWorker =
  | { type: 'configure'; config: TrainerConfig; rebuild: boolean; model?: ModelDocument | null }
  | { type: 'data'; trajectories: Trajectory[] }
  | { type: 'train'; running: boolean }
  | { type: 'step'; n: number }
  | { type: 'reset'; seed: number }
  | { type: 'grid'; spec: Required<GridSpec> }
  | { type: 'predict'; id: number; z0: [number, number]; t0: number; span: number; points: number }
  | { type: 'sample'; name: string; trajectories: number; points: number; seed: number }
  | { type: 'truth'; name: string | null }
  | { type: 'model' }
  | { type: 'task'; task: 'trajectories' | 'density' }
  | { type: 'densityConfigure'; config: DensityConfig; model?: DensityDocument | null }
  | { type: 'densitySamples'; points: Float64Array }
  | { type: 'densityView'; spec: DensityView }
  | { type: 'densityPreset'; name: string; n: number; seed: number };

/** The heatmap grid and the animation frames of density mode. */
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

export interface Progress {
  iteration: number;
  loss: number;
  gradNorm: number;
  nfeForward: number;
  nfeBackward: number;
  millis: number;
  status: string;
  message: string;
  fieldError: number | null;
}

export type FromWorker =
  | { type: 'ready'; version: string; systems: SystemInfo[]; densityPresets: string[] }
  | { type: 'progress'; progress: Progress; running: boolean }
  | { type: 'grid'; spec: Required<GridSpec>; values: Float32Array; truth: Float32Array | null }
  | { type: 'rollouts'; paths: Float64Array[] }
  | { type: 'predict'; id: number; path: Float64Array; status: string }
  | { type: 'sample'; name: string; trajectories: Trajectory[] }
  | { type: 'model'; model: ModelDocument; iteration: number }
  | { type: 'densityModel'; model: DensityDocument }
  | { type: 'density'; spec: DensityView; logp: Float32Array; frames: Float64Array[] }
  | { type: 'densityPoints'; name: string; points: Float64Array }
  | { type: 'error'; message: string };
