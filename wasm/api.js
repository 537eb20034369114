// The friendly JS API of the neural ODE core: createNeuralOde() resolves to {version, Trainer, systems, ...}.
// Works in browsers, Web Workers and plain Node 20. Bad calls throw Error with a message and change nothing;
// results are copies (never views into the wasm heap). Every Trainer must be .delete()d by its owner.
import createCore from './build/neural-ode-core.mjs';

const WASM_URL = new URL('./build/neural-ode-core.wasm', import.meta.url);
const GRADIENTS = ['checkpointed', 'direct', 'adjoint'];

const isNode = typeof process === 'object' && process.versions != null && process.versions.node != null &&
  typeof window === 'undefined' && typeof importScripts === 'undefined';

async function loadCore() {
  if (isNode) {
    // The glue is built for web and worker; under Node hand it the bytes so it never fetches a file path.
    const fsModule = 'node:fs/promises'; // a variable, so bundlers leave this Node-only import alone
    const { readFile } = await import(/* @vite-ignore */ fsModule);
    const wasmBinary = await readFile(WASM_URL);
    return createCore({ wasmBinary });
  }
  return createCore({ locateFile: (path) => (path.endsWith('.wasm') ? WASM_URL.href : path) });
}

function fail(message) {
  throw new Error(message);
}

/** Checks an array-like of numbers and returns it as a Float64Array copy. */
function toFloat64(value, name) {
  if (value instanceof Float64Array) return value.slice();
  if (ArrayBuffer.isView(value) || Array.isArray(value)) {
    const out = new Float64Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const x = value[i];
      if (typeof x !== 'number') fail(`${name}[${i}] is not a number`);
      out[i] = x;
    }
    return out;
  }
  return fail(`${name} must be a Float64Array or an array of numbers`);
}

function checkFinite(array, name) {
  for (let i = 0; i < array.length; i++) if (!Number.isFinite(array[i])) fail(`${name}[${i}] is not finite (${array[i]})`);
}

function unwrap(result) {
  if (result.error !== undefined) fail(result.error);
  return result;
}

function configText(config) {
  if (config === undefined) return '{}';
  if (typeof config === 'string') return config;
  if (config === null || typeof config !== 'object') fail('config must be an object or a JSON string');
  return JSON.stringify(config);
}

/** n training steps on a handle (Trainer or DensityTrainer); a call that cannot train throws. */
function runSteps(handle, n) {
  if (!Number.isInteger(n) || n < 1 || n > 1e6) fail('step(n): n must be a whole number in [1, 1000000]');
  const r = handle.step(n);
  if (r.status === 'invalid-input') fail(r.message);
  return r;
}

function setParameters(handle, p) {
  const err = handle.setParameters(toFloat64(p, 'parameters'));
  if (err) fail(err);
}

function resetWeights(handle, seed) {
  if (!Number.isInteger(seed) || seed < 0) fail('reset(seed): seed must be a whole number ≥ 0');
  handle.reset(seed);
}

let corePromise = null;

/** Loads the module once; later calls share it. */
export async function createNeuralOde() {
  if (!corePromise) corePromise = loadCore().then(wrap);
  return corePromise;
}

export default createNeuralOde;

function wrap(core) {
  const live = new Set();

  /** A new wrapper of class Cls around a Handle loaded from a document (object or JSON string). */
  function load(Handle, Cls, json, what) {
    let text = json;
    if (typeof json !== 'string') {
      if (json === null || typeof json !== 'object') fail(`${what} must be an object or a JSON string`);
      text = JSON.stringify(json);
    }
    const handle = new Handle();
    const err = handle.load(text);
    if (err) {
      handle.delete();
      fail(err);
    }
    const t = Object.create(Cls.prototype);
    t._h = handle;
    live.add(t);
    return t;
  }

  class Trainer {
    /** @param {object|string} config */
    constructor(config) {
      const handle = new core.TrainerHandle();
      const err = handle.init(configText(config));
      if (err) {
        handle.delete();
        fail(err);
      }
      this._h = handle;
      live.add(this);
    }

    static fromJSON(json) {
      return load(core.TrainerHandle, Trainer, json, 'a model document');
    }

    get _handle() {
      if (!this._h) fail('this Trainer has been deleted');
      return this._h;
    }

    get dim() {
      return this.config().dim;
    }

    config() {
      return JSON.parse(this._handle.config());
    }

    addTrajectory(times, states) {
      const h = this._handle;
      const t = toFloat64(times, 'times');
      const s = toFloat64(states, 'states');
      checkFinite(t, 'times');
      checkFinite(s, 'states');
      return unwrap(h.addTrajectory(t, s)).index;
    }

    clearTrajectories() {
      this._handle.clearTrajectories();
    }

    trajectoryCount() {
      return this._handle.trajectoryCount();
    }

    step(n = 1) {
      return runSteps(this._handle, n);
    }

    loss() {
      const r = this._handle.loss();
      if (r.status !== 'success') fail(`loss: ${r.message}`);
      return r.loss;
    }

    parameters() {
      return this._handle.parameters();
    }

    setParameters(p) {
      setParameters(this._handle, p);
    }

    gradient(method = 'checkpointed') {
      const h = this._handle;
      if (!GRADIENTS.includes(method)) fail(`unknown gradient method '${method}' (use ${GRADIENTS.join(', ')})`);
      const r = unwrap(h.gradient(method));
      if (r.status !== 'success') fail(`gradient: ${r.message}`);
      return r.gradient;
    }

    /** z0 is the state at t0 (default: times[0]); times may lie on both sides of t0. */
    integrate(z0, times, t0) {
      const h = this._handle;
      const z = toFloat64(z0, 'z0');
      const t = toFloat64(times, 'times');
      checkFinite(z, 'z0');
      checkFinite(t, 'times');
      if (t0 === undefined) {
        if (t.length === 0) fail('integrate: give at least one time (or t0)');
        t0 = t[0];
      }
      if (typeof t0 !== 'number' || !Number.isFinite(t0)) fail('t0 must be a finite number');
      const r = unwrap(h.integrate(z, t, t0));
      return { status: r.status, message: r.message, states: r.states, nfe: r.nfe };
    }

    field(points, t = 0) {
      const h = this._handle;
      const p = toFloat64(points, 'points');
      if (typeof t !== 'number') fail('t must be a number');
      return unwrap(h.field(p, t)).velocities;
    }

    sampleGrid(spec = {}) {
      const h = this._handle;
      const { xmin = -3, xmax = 3, ymin = -3, ymax = 3, nx = 32, ny = 32, t = 0 } = spec;
      for (const [k, v] of Object.entries({ xmin, xmax, ymin, ymax, t }))
        if (typeof v !== 'number' || !Number.isFinite(v)) fail(`sampleGrid: ${k} must be a finite number`);
      for (const [k, v] of Object.entries({ nx, ny }))
        if (!Number.isInteger(v)) fail(`sampleGrid: ${k} must be a whole number`);
      return unwrap(h.sampleGrid(xmin, xmax, ymin, ymax, nx, ny, t)).values;
    }

    /** Fresh weights (from seed, default the config's), optimiser and iteration count reset; data kept. */
    reset(seed) {
      resetWeights(this._handle, seed === undefined ? this.config().seed : seed);
    }

    iteration() {
      return this._handle.iteration();
    }

    toJSON() {
      return JSON.parse(this._handle.toJSON());
    }

    delete() {
      if (this._h) {
        this._h.delete();
        this._h = null;
        live.delete(this);
      }
    }

    isDeleted() {
      return this._h === null;
    }
  }

  class DensityTrainer {
    /** @param {object|string} config  trainer fields plus tEnd and trace ('exact' | 'hutchinson') */
    constructor(config) {
      const handle = new core.DensityHandle();
      const err = handle.init(configText(config));
      if (err) {
        handle.delete();
        fail(err);
      }
      this._h = handle;
      live.add(this);
    }

    /** A density trainer from a flow document (object or JSON string). */
    static fromJSON(json) {
      return load(core.DensityHandle, DensityTrainer, json, 'a density document');
    }

    toJSON() {
      return JSON.parse(this._handle.toJSON());
    }

    get _handle() {
      if (!this._h) fail('this DensityTrainer has been deleted');
      return this._h;
    }

    config() {
      return JSON.parse(this._handle.config());
    }

    /** points: row-major m × 2; returns the new sample count. */
    addSamples(points) {
      const h = this._handle;
      const p = toFloat64(points, 'points');
      checkFinite(p, 'points');
      return unwrap(h.addSamples(p)).count;
    }

    clearSamples() {
      this._handle.clearSamples();
    }

    sampleCount() {
      return this._handle.sampleCount();
    }

    step(n = 1) {
      return runSteps(this._handle, n);
    }

    /** Mean negative log-likelihood of all samples (nats). */
    nll() {
      const r = this._handle.nll();
      if (r.status !== 'success') fail(`nll: ${r.message}`);
      return r.nll;
    }

    /** n base samples pushed to time t ∈ [0, tEnd]: {status, message, points (row-major n × 2)}. */
    sample(n, t, seed = 0) {
      const h = this._handle;
      if (!Number.isInteger(n)) fail('sample: n must be a whole number');
      if (typeof t !== 'number' || !Number.isFinite(t)) fail('sample: t must be a finite number');
      if (!Number.isInteger(seed) || seed < 0) fail('sample: seed must be a whole number ≥ 0');
      const r = unwrap(h.sample(n, t, seed));
      return { status: r.status, message: r.message, points: r.points };
    }

    logDensity(points) {
      return unwrap(this._handle.logDensity(toFloat64(points, 'points'))).values;
    }

    /** Float32Array of nx·ny log-densities, row by row from ymin. */
    logDensityGrid(spec = {}) {
      const h = this._handle;
      const { xmin = -3, xmax = 3, ymin = -3, ymax = 3, nx = 64, ny = 64 } = spec;
      for (const [k, v] of Object.entries({ xmin, xmax, ymin, ymax }))
        if (typeof v !== 'number' || !Number.isFinite(v)) fail(`logDensityGrid: ${k} must be a finite number`);
      for (const [k, v] of Object.entries({ nx, ny })) if (!Number.isInteger(v)) fail(`logDensityGrid: ${k} must be a whole number`);
      const r = unwrap(h.logDensityGrid(xmin, xmax, ymin, ymax, nx, ny));
      if (r.status !== 'success') fail(`logDensityGrid: ${r.message}`);
      return r.values;
    }

    parameters() {
      return this._handle.parameters();
    }

    setParameters(p) {
      setParameters(this._handle, p);
    }

    reset(seed) {
      resetWeights(this._handle, seed === undefined ? this.config().seed : seed);
    }

    iteration() {
      return this._handle.iteration();
    }

    delete() {
      if (this._h) {
        this._h.delete();
        this._h = null;
        live.delete(this);
      }
    }

    isDeleted() {
      return this._h === null;
    }
  }

  const densityNames = Array.from(core.densityPresets());
  const systemList = core.systems();
  const names = systemList.map((s) => s.name);

  return {
    version: core.version(),
    Trainer,
    DensityTrainer,
    densityPresets: () => densityNames.slice(),
    sampleDensity(name, n = 1000, seed = 0) {
      if (!densityNames.includes(name)) fail(`unknown density '${name}' (use ${densityNames.join(', ')})`);
      if (!Number.isInteger(n) || !Number.isInteger(seed) || seed < 0) fail('sampleDensity: n and seed must be whole numbers');
      return unwrap(core.sampleDensity(name, n, seed)).points;
    },
    systems: () => names.slice(),
    systemInfo(name) {
      const s = systemList.find((x) => x.name === name);
      if (!s) fail(`unknown system '${name}' (use ${names.join(', ')})`);
      return structuredClone(s);
    },
    sampleSystem(name, options = {}) {
      if (!names.includes(name)) fail(`unknown system '${name}' (use ${names.join(', ')})`);
      if (options === null || typeof options !== 'object') fail('sampleSystem options must be an object');
      return unwrap(core.sampleSystem(name, options));
    },
    systemField(name, points) {
      if (!names.includes(name)) fail(`unknown system '${name}' (use ${names.join(', ')})`);
      return unwrap(core.systemField(name, toFloat64(points, 'points'))).velocities;
    },
    /** Number of Trainers not yet deleted. */
    liveTrainers: () => live.size,
    /** Bytes of the wasm heap (grows, never shrinks). */
    heapBytes: () => core.heapBytes(),
  };
}
