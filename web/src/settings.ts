// One declarative table of settings: it drives the panel, the layer toggles, the URL state and the trainer config.
import type { DensityConfig, TrainerConfig } from '../../wasm/neural-ode';

export type SettingValue = number | boolean | string;

/** The page's two learning tasks. */
export type TaskId = 'trajectories' | 'density';
export const TASK_IDS: readonly TaskId[] = ['trajectories', 'density'];

export interface SettingDef {
  key: keyof Settings;
  label: string;
  /** short name in the URL */
  param: string;
  /** 'Layers' are the checkboxes under the plane; the rest is the panel ('basic' ones first, the others under Advanced) */
  group: 'Model' | 'Solver' | 'Learning' | 'Data' | 'Density' | 'Display' | 'Layers';
  kind: 'int' | 'number' | 'bool' | 'choice';
  /** the tasks it applies to (default: both); the panel shows a task's settings only */
  tasks?: readonly TaskId[];
  /** shown first, outside the Advanced folder */
  basic?: boolean;
  /** a layer that needs a preset's true system (hidden without one) */
  needsTruth?: boolean;
  /** a layer of the phase portrait: any of them on makes the worker analyse the learned field */
  portrait?: boolean;
  min?: number;
  max?: number;
  step?: number;
  choices?: readonly string[];
  /** changing it rebuilds the model (weights restart) */
  rebuilds: boolean;
  help: string;
}

export interface Settings {
  width: number;
  depth: number;
  activation: string;
  timeDependent: boolean;
  augment: number;
  solver: string;
  rtol: number;
  atol: number;
  densityRtol: number;
  densityAtol: number;
  stepSize: number;
  gradient: string;
  optimizer: string;
  lr: number;
  batchSize: number;
  window: number;
  loss: string;
  kinetic: number;
  jacobian: number;
  seed: number;
  timeMode: string;
  timeScale: number;
  tEnd: number;
  trace: string;
  particles: number;
  showParticles: boolean;
  showArrows: boolean;
  showStrokes: boolean;
  showTruth: boolean;
  showSamples: boolean;
  animate: boolean;
  showEquilibria: boolean;
  showNullclines: boolean;
  showBasins: boolean;
  showCycles: boolean;
  showSeparatrices: boolean;
  showTruePortrait: boolean;
  showConfidence: boolean;
}

export const DEFAULTS: Readonly<Settings> = Object.freeze({
  width: 32,
  depth: 2,
  activation: 'tanh',
  timeDependent: false,
  augment: 0,
  solver: 'dopri5',
  rtol: 1e-5,
  atol: 1e-6,
  // The core's density defaults (rtol = atol = 1e-4; a test checks they agree): on every density preset, 1,000 iterations
  // reach the NLL of 1e-5 (within 0.01 nats) in 1.35–1.48× less time, the NLL shown within 1e-3 nats of a 1e-9 solve.
  densityRtol: 1e-4,
  densityAtol: 1e-4,
  stepSize: 0,
  gradient: 'checkpointed',
  optimizer: 'adam',
  lr: 0.01,
  batchSize: 16,
  window: 10,
  loss: 'mse',
  kinetic: 0,
  jacobian: 0,
  seed: 0,
  timeMode: 'pen',
  timeScale: 1,
  tEnd: 1,
  trace: 'exact',
  particles: 20000,
  showParticles: true,
  showArrows: false,
  showStrokes: true,
  showTruth: true,
  showSamples: true,
  animate: true,
  showEquilibria: false,
  showNullclines: false,
  showBasins: false,
  showCycles: false,
  showSeparatrices: false,
  showTruePortrait: false,
  showConfidence: false,
});

const T: readonly TaskId[] = ['trajectories'];
const D: readonly TaskId[] = ['density'];

export const SETTINGS: readonly SettingDef[] = [
  { key: 'width', label: 'width', param: 'w', group: 'Model', kind: 'int', min: 1, max: 256, step: 1, rebuilds: true, basic: true, help: 'neurons per hidden layer' },
  { key: 'depth', label: 'depth', param: 'd', group: 'Model', kind: 'int', min: 1, max: 6, step: 1, rebuilds: true, basic: true, help: 'hidden layers' },
  { key: 'lr', label: 'learning rate', param: 'lr', group: 'Learning', kind: 'number', min: 1e-5, max: 1, rebuilds: false, basic: true, help: 'step size of the optimiser' },
  { key: 'gradient', label: 'gradient', param: 'g', group: 'Learning', kind: 'choice', choices: ['checkpointed', 'direct', 'adjoint'], rebuilds: false, basic: true, help: 'checkpointed / direct: exact backprop through the solver steps (checkpointed recomputes steps to bound memory); adjoint: constant-memory backward solve, inexact on contracting flows (sinks, limit cycles, switches)' },
  { key: 'solver', label: 'solver', param: 's', group: 'Solver', kind: 'choice', choices: ['dopri5', 'rk4', 'rk4-38', 'midpoint', 'euler'], rebuilds: false, basic: true, help: 'integration method' },
  { key: 'activation', label: 'activation', param: 'act', group: 'Model', kind: 'choice', choices: ['tanh', 'softplus', 'silu'], rebuilds: true, help: 'hidden-layer nonlinearity' },
  { key: 'timeDependent', label: 'time-dependent', param: 'td', group: 'Model', kind: 'bool', tasks: T, rebuilds: true, help: 'f takes t as an input (lets trajectories cross)' },
  { key: 'augment', label: 'augmented dims', param: 'aug', group: 'Model', kind: 'int', min: 0, max: 4, step: 1, tasks: T, rebuilds: true, help: 'extra hidden state dimensions (ANODE)' },
  { key: 'rtol', label: 'rtol', param: 'rt', group: 'Solver', kind: 'number', min: 1e-10, max: 0.1, tasks: T, rebuilds: false, help: 'relative tolerance (dopri5)' },
  { key: 'atol', label: 'atol', param: 'at', group: 'Solver', kind: 'number', min: 1e-10, max: 0.1, tasks: T, rebuilds: false, help: 'absolute tolerance (dopri5)' },
  { key: 'densityRtol', label: 'rtol', param: 'drt', group: 'Solver', kind: 'number', min: 1e-10, max: 0.1, tasks: D, rebuilds: false, help: 'relative tolerance of the flow (dopri5)' },
  { key: 'densityAtol', label: 'atol', param: 'dat', group: 'Solver', kind: 'number', min: 1e-10, max: 0.1, tasks: D, rebuilds: false, help: 'absolute tolerance of the flow (dopri5)' },
  { key: 'stepSize', label: 'step size', param: 'h', group: 'Solver', kind: 'number', min: 0, max: 10, step: 0.01, rebuilds: false, help: 'fixed step; 0 = adaptive / one step per observation' },
  { key: 'optimizer', label: 'optimizer', param: 'opt', group: 'Learning', kind: 'choice', choices: ['adam', 'rmsprop'], rebuilds: false, help: 'update rule' },
  { key: 'batchSize', label: 'batch', param: 'b', group: 'Learning', kind: 'int', min: 1, max: 256, step: 1, tasks: T, rebuilds: false, help: 'windows per training step' },
  { key: 'window', label: 'window', param: 'win', group: 'Learning', kind: 'int', min: 2, max: 200, step: 1, tasks: T, rebuilds: false, help: 'observations per window' },
  { key: 'loss', label: 'loss', param: 'l', group: 'Learning', kind: 'choice', choices: ['mse', 'l1'], tasks: T, rebuilds: false, help: 'distance to the observations' },
  { key: 'kinetic', label: 'kinetic reg.', param: 'ke', group: 'Learning', kind: 'number', min: 0, max: 10, step: 0.001, rebuilds: false, help: 'weight of ∫‖f‖² dt (smoother, cheaper flows)' },
  { key: 'jacobian', label: 'Jacobian reg.', param: 'jf', group: 'Learning', kind: 'number', min: 0, max: 10, step: 0.001, rebuilds: false, help: 'weight of ∫‖∂f/∂z‖²_F dt' },
  { key: 'seed', label: 'seed', param: 'seed', group: 'Learning', kind: 'int', min: 0, max: 1e9, step: 1, rebuilds: true, help: 'makes a run reproducible' },
  { key: 'timeMode', label: 'stroke time', param: 'tm', group: 'Data', kind: 'choice', choices: ['pen', 'constant'], tasks: T, rebuilds: false, help: 'pen timestamps (drawing speed is velocity) or constant speed' },
  { key: 'timeScale', label: 'time scale', param: 'ts', group: 'Data', kind: 'number', min: 0.01, max: 100, step: 0.01, tasks: T, rebuilds: false, help: 'model time per second of drawing (or per unit of length)' },
  { key: 'tEnd', label: 'flow length', param: 'te', group: 'Density', kind: 'number', min: 0.1, max: 10, step: 0.1, tasks: D, rebuilds: true, help: 'the flow runs from the Gaussian (t = 0) to the data (t = flow length)' },
  { key: 'trace', label: 'divergence', param: 'tr', group: 'Density', kind: 'choice', choices: ['exact', 'hutchinson'], tasks: D, rebuilds: false, help: 'exact trace of the Jacobian, or Hutchinson’s unbiased estimate' },
  { key: 'particles', label: 'particles (max)', param: 'np', group: 'Display', kind: 'int', min: 500, max: 250000, step: 500, tasks: T, rebuilds: false, help: 'most particles drawn; fewer while frames are slow' },
  { key: 'showParticles', label: 'particles', param: 'lp', group: 'Layers', kind: 'bool', tasks: T, rebuilds: false, help: 'particles carried by the learned field' },
  { key: 'showArrows', label: 'arrows', param: 'la', group: 'Layers', kind: 'bool', tasks: T, rebuilds: false, help: 'arrows of the learned field' },
  { key: 'showStrokes', label: 'strokes', param: 'ls', group: 'Layers', kind: 'bool', tasks: T, rebuilds: false, help: 'your strokes and the model’s rollouts' },
  { key: 'showTruth', label: 'true field', param: 'lt', group: 'Layers', kind: 'bool', tasks: T, needsTruth: true, rebuilds: false, help: 'arrows of the preset’s true field' },
  { key: 'showEquilibria', label: 'equilibria', param: 'leq', group: 'Layers', kind: 'bool', tasks: T, portrait: true, rebuilds: false, help: 'fixed points of the learned field: filled = stable, hollow = unstable, × = saddle (hover for the eigenvalues)' },
  { key: 'showNullclines', label: 'nullclines', param: 'lnc', group: 'Layers', kind: 'bool', tasks: T, portrait: true, rebuilds: false, help: 'where the learned ẋ = 0 (cyan) and ẏ = 0 (pink)' },
  { key: 'showBasins', label: 'basins', param: 'lbs', group: 'Layers', kind: 'bool', tasks: T, portrait: true, rebuilds: false, help: 'which attractor each start ends in, shaded by attractor' },
  { key: 'showCycles', label: 'limit cycles', param: 'lcy', group: 'Layers', kind: 'bool', tasks: T, portrait: true, rebuilds: false, help: 'closed orbits of the learned field, with their period' },
  { key: 'showSeparatrices', label: 'separatrices', param: 'lsp', group: 'Layers', kind: 'bool', tasks: T, portrait: true, rebuilds: false, help: 'the stable manifolds of saddles: the borders between basins' },
  { key: 'showTruePortrait', label: 'true portrait', param: 'ltp', group: 'Layers', kind: 'bool', tasks: T, needsTruth: true, portrait: true, rebuilds: false, help: 'the preset’s true equilibria and cycles (white outlines) and how the learned portrait compares' },
  { key: 'showConfidence', label: 'confidence', param: 'lcf', group: 'Layers', kind: 'bool', tasks: T, rebuilds: false, help: 'an ensemble of models trained on the same data: shaded where they disagree (the model is guessing there)' },
  { key: 'showSamples', label: 'samples', param: 'lsm', group: 'Layers', kind: 'bool', tasks: D, rebuilds: false, help: 'the painted samples' },
  { key: 'animate', label: 'animate flow', param: 'lan', group: 'Layers', kind: 'bool', tasks: D, rebuilds: false, help: 'base samples move through the flow (off: the t slider scrubs)' },
];

/** Checks one value against its definition: the value to use, or an error. */
export function coerce(def: SettingDef, raw: unknown): { value?: SettingValue; error?: string } {
  switch (def.kind) {
    case 'bool':
      if (typeof raw === 'boolean') return { value: raw };
      if (raw === '1' || raw === 'true') return { value: true };
      if (raw === '0' || raw === 'false') return { value: false };
      return { error: `${def.label}: expected true or false` };
    case 'choice': {
      const s = String(raw);
      if (def.choices!.includes(s)) return { value: s };
      return { error: `${def.label}: '${s}' is not one of ${def.choices!.join(', ')}` };
    }
    default: {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) return { error: `${def.label}: '${String(raw)}' is not a number` };
      if (def.kind === 'int' && !Number.isInteger(n)) return { error: `${def.label}: must be a whole number` };
      if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max))
        return { error: `${def.label}: ${n} is outside [${def.min}, ${def.max}]` };
      return { value: n };
    }
  }
}

/** Settings from a URL query (unknown params ignored; bad values reported and left at their defaults). */
export function settingsFromQuery(query: string, base: Settings = { ...DEFAULTS }): { settings: Settings; errors: string[] } {
  const params = new URLSearchParams(query);
  const settings: Settings = { ...base };
  const errors: string[] = [];
  for (const def of SETTINGS) {
    const raw = params.get(def.param);
    if (raw === null) continue;
    const { value, error } = coerce(def, raw);
    if (error) errors.push(error);
    else (settings as unknown as Record<string, SettingValue>)[def.key] = value!;
  }
  return { settings, errors };
}

/** The query string of the settings that differ from the defaults (a short shareable URL). */
export function settingsToQuery(s: Settings, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const def of SETTINGS) {
    const v = s[def.key];
    if (v === DEFAULTS[def.key]) continue;
    params.set(def.param, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  }
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return params.toString();
}

/** Validates a whole settings object (e.g. from a saved session); unknown or bad fields become errors. */
export function settingsFromObject(obj: unknown): { settings: Settings; errors: string[] } {
  const settings: Settings = { ...DEFAULTS };
  const errors: string[] = [];
  if (obj === null || typeof obj !== 'object') return { settings, errors: ['settings must be an object'] };
  for (const [k, raw] of Object.entries(obj as Record<string, unknown>)) {
    const def = SETTINGS.find((d) => d.key === k);
    if (!def) {
      errors.push(`unknown setting '${k}'`);
      continue;
    }
    const { value, error } = coerce(def, raw);
    if (error) errors.push(error);
    else (settings as unknown as Record<string, SettingValue>)[def.key] = value!;
  }
  migrateDensityTolerances(obj as Record<string, unknown>, settings);
  return { settings, errors };
}

/** Settings saved before the density task had its own tolerances (rtol/atol applied to both tasks): custom values
 * (other than the trajectory defaults) carry over to densityRtol/densityAtol, so an old density session keeps them. */
function migrateDensityTolerances(saved: Record<string, unknown>, settings: Settings) {
  if ('densityRtol' in saved || 'densityAtol' in saved) return;
  if (settings.rtol !== DEFAULTS.rtol || settings.atol !== DEFAULTS.atol) {
    settings.densityRtol = settings.rtol;
    settings.densityAtol = settings.atol;
  }
}

/** The trainer config these settings select. */
export function toTrainerConfig(s: Settings): TrainerConfig {
  return {
    dim: 2,
    hidden: Array.from({ length: s.depth }, () => s.width),
    activation: s.activation as TrainerConfig['activation'],
    timeDependent: s.timeDependent,
    augment: s.augment,
    seed: s.seed,
    solver: { method: s.solver as NonNullable<TrainerConfig['solver']>['method'], rtol: s.rtol, atol: s.atol, stepSize: s.stepSize, maxSteps: 20000 },
    gradient: s.gradient as TrainerConfig['gradient'],
    optimizer: { name: s.optimizer as 'adam' | 'rmsprop', lr: s.lr, clip: 10 },
    batch: { size: s.batchSize, window: s.window },
    loss: s.loss as 'mse' | 'l1',
    regularization: { kinetic: s.kinetic, jacobian: s.jacobian },
  };
}

/** The panel's settings, in order: the basic ones, then the advanced ones by group (the layers are checkboxes elsewhere). */
export function panelLayout(): { basic: SettingDef[]; advanced: Map<string, SettingDef[]> } {
  const basic = SETTINGS.filter((d) => d.basic && d.group !== 'Layers');
  const advanced = new Map<string, SettingDef[]>();
  for (const d of SETTINGS) {
    if (d.basic || d.group === 'Layers') continue;
    if (!advanced.has(d.group)) advanced.set(d.group, []);
    advanced.get(d.group)!.push(d);
  }
  return { basic, advanced };
}

/** The layer settings of the phase portrait (any of them on: the worker analyses the learned field), from SETTINGS. */
export const PORTRAIT_LAYERS: readonly (keyof Settings)[] = SETTINGS.filter((d) => d.portrait).map((d) => d.key);

/** Which analyses these settings show. */
export function analysisWants(s: Settings, hasTruth: boolean): { portrait: boolean; confidence: boolean } {
  return { portrait: SETTINGS.some((d) => d.portrait && s[d.key] && (!d.needsTruth || hasTruth)), confidence: s.showConfidence };
}

/** Whether a setting applies to a task. */
export function appliesTo(def: SettingDef, task: TaskId): boolean {
  return !def.tasks || def.tasks.includes(task);
}

/** Whether going from a to b needs a new model of `task` (weights restart) rather than a new optimiser setting. */
export function rebuildNeeded(a: Settings, b: Settings, task?: TaskId): boolean {
  return SETTINGS.some((d) => d.rebuilds && (!task || appliesTo(d, task)) && a[d.key] !== b[d.key]);
}

/** The density task's size limit, in network parameters (the one place for it). Its smallest pieces of work cannot be
 * split further: a frame of the flow (800 particles), a heatmap band (2 rows × 56 columns) and one sample's
 * log-density each take about (parameters × a cost that grows with training). Measured in wasm under Node (load ~4–7,
 * 2 cores): frame 2.0 µs × parameters untrained, 4–5 µs after 3 iterations (128 × 2: 87 ms; 128 × 4: 216 ms); band
 * 1.3 → 2.5 µs × parameters; 256 × 6 (330,498 parameters): frame 673 ms, band 424 ms untrained, and 22.5 s an iteration
 * in the page, where Pause took up to 2.3 s. At 20,000 parameters a piece stays at about 100 ms (PIECE_MS). */
export const DENSITY_MAX_PARAMETERS = 20_000;

/** Parameters of the density flow's network: (x, y, t) → hidden layers → (ẋ, ẏ). */
export function densityParameters(width: number, depth: number): number {
  return 3 * width + width + (depth - 1) * (width * width + width) + 2 * width + 2;
}

/** The hidden widths the density flow uses: the settings' width × depth, or, when that has more than
 * DENSITY_MAX_PARAMETERS, the largest width at that depth that fits, with the reason to show (the settings themselves
 * are kept: the trajectory task uses them as they are). */
export function densityHidden(s: Pick<Settings, 'width' | 'depth'>): { hidden: number[]; reason: string | null } {
  let w = s.width;
  while (w > 1 && densityParameters(w, s.depth) > DENSITY_MAX_PARAMETERS) w--;
  const hidden = Array.from({ length: s.depth }, () => w);
  if (w === s.width) return { hidden, reason: null };
  const n = (x: number) => x.toLocaleString('en-US');
  return { hidden, reason: `The density flow uses width ${w} × depth ${s.depth} (${n(densityParameters(w, s.depth))} parameters), not ` +
    `${s.width} × ${s.depth} (${n(densityParameters(s.width, s.depth))}): density flows are limited to ${n(DENSITY_MAX_PARAMETERS)} parameters ` +
    `here, so that Pause and every control answer within ~100 ms (a bigger flow's heatmap bands and frames take seconds each). ` +
    `The trajectory task keeps ${s.width} × ${s.depth}.` };
}

/** The density trainer config these settings select (the flow is always time-dependent; its size is capped by densityHidden). */
export function toDensityConfig(s: Settings): DensityConfig {
  const c = toTrainerConfig(s);
  const solver = { ...c.solver, rtol: s.densityRtol, atol: s.densityAtol };
  return { hidden: densityHidden(s).hidden, activation: c.activation, seed: c.seed, solver, gradient: c.gradient, optimizer: c.optimizer,
    regularization: c.regularization, timeDependent: true, tEnd: s.tEnd, trace: s.trace as 'exact' | 'hutchinson' };
}
