// The friendly JS API of the neural ODE core: createNeuralOde() resolves to {version, Trainer, systems, ...}.
// Works in browsers, Web Workers and plain Node 20. Bad calls throw Error with a message and change nothing;
// results are copies (never views into the wasm heap). Every Trainer must be .delete()d by its owner.
// Every JS value is checked and converted here, before the core is entered: C++ receives only numbers,
// strings, booleans and Float64Arrays, so no JS exception is ever thrown through wasm frames.
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

let corePromise = null;

/** Loads the module once; later calls share it. */
export async function createNeuralOde() {
  if (!corePromise) {
    const p = loadCore().then((core) => wrap(core, p));
    corePromise = p;
  }
  return corePromise;
}

export default createNeuralOde;

/** The module's API over the loaded `core`; `modulePromise`: the promise createNeuralOde() handed out for it (forgotten
 *  once the module stopped, so the next call loads a fresh one). */
function wrap(core, modulePromise) {
  /** The core's limits (nde/limits.hpp), stated once there. */
  const LIMITS = Object.freeze({ ...core.limits() });
  const MAX_ELEMENTS = Math.floor(LIMITS.callBytes / 8);
  const live = new Set();

  /** Set when a call trapped (a WebAssembly.RuntimeError: an abort, a failed allocation near the heap's cap, an
   *  unreachable): the instance's state is undefined after that, so every later call refuses, and createNeuralOde()
   *  loads a fresh module. */
  let stopped = null;
  function running() {
    if (stopped !== null)
      fail(`the WebAssembly module stopped earlier (${stopped}); load a new one with createNeuralOde() (on the page: reload)`);
  }

  /** Runs a call into the core; anything it throws leaves as an Error with the wasm stack restored. */
  function enter(fn) {
    running();
    const sp = core.stackSave();
    try {
      return fn();
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        stopped = e.message.slice(0, 200);
        if (corePromise === modulePromise) corePromise = null;
        throw new Error(`the WebAssembly module stopped (${stopped}); its objects cannot be used any more: load a new one with createNeuralOde() (on the page: reload)`);
      }
      core.stackRestore(sp);
      // Embind's error for a handle deleted between the method's start and its core call (an options getter or an
      // array-like's element getter that called delete()) has an empty name: say what happened.
      if (e instanceof Error && /Cannot pass deleted object/.test(e.message))
        throw new Error('the object was deleted while the call read its arguments (a getter called delete()); nothing ran');
      if (e instanceof Error) throw e;
      throw new Error(`the WebAssembly core failed (${String(e)}); the instance may be unusable`);
    }
  }

  const fmt = (x) => String(x);

  /** A whole number in [lo, hi] (no wrap-around: 2**32 + 2 is refused, not read as 2). */
  function whole(value, name, lo, hi) {
    if (!Number.isInteger(value) || value < lo || value > hi) fail(`${name} must be a whole number in [${fmt(lo)}, ${fmt(hi)}]`);
    return value;
  }

  /** A finite number in [lo, hi] (default: the data range). */
  function number(value, name, lo = -LIMITS.data, hi = LIMITS.data) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < lo || value > hi)
      fail(`${name} must be a finite number in [${fmt(lo)}, ${fmt(hi)}]`);
    return value;
  }

  /** An options object (undefined → {}); its fields are read here, in JS, never by the core. With `known`, a field not
   *  among them is refused (a misspelt maxMillis would otherwise leave the call on its default budget), as configs are. */
  function options(value, name, known) {
    if (value === undefined) return {};
    if (value === null || typeof value !== 'object') fail(`${name} must be an object`);
    if (known)
      for (const k of Object.keys(value))
        if (!known.includes(k)) fail(`unknown ${name} field '${k.slice(0, 40)}' (known: ${known.join(', ')})`);
    return value;
  }
  const BUDGET = ['maxMillis'];

  /** The time budget in ms of a call: options.maxMillis in (0, LIMITS.maxMillis], default LIMITS.defaultMillis. */
  function millis(opts) {
    const ms = opts.maxMillis;
    if (ms === undefined) return LIMITS.defaultMillis;
    if (typeof ms !== 'number' || !(ms > 0) || ms > LIMITS.maxMillis) fail(`maxMillis must be a number in (0, ${fmt(LIMITS.maxMillis)}]`);
    return ms;
  }

  /** An array-like of numbers as a Float64Array copy (typed arrays, arrays and {length, 0: …} objects). */
  function toFloat64(value, name) {
    if (value instanceof Float64Array) {
      if (value.length > MAX_ELEMENTS) fail(`${name} has ${value.length} numbers; at most ${MAX_ELEMENTS} are accepted`);
      return value.slice();
    }
    if (value === null || typeof value !== 'object' || typeof value === 'function') fail(`${name} must be a Float64Array or an array of numbers`);
    const n = value.length;
    if (!Number.isInteger(n) || n < 0) fail(`${name} must be a Float64Array or an array of numbers`);
    if (n > MAX_ELEMENTS) fail(`${name} has ${n} numbers; at most ${MAX_ELEMENTS} are accepted`);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const x = value[i];
      if (typeof x !== 'number') fail(`${name}[${i}] is not a number`);
      out[i] = x;
    }
    return out;
  }

  function checkFinite(array, name) {
    for (let i = 0; i < array.length; i++) if (!Number.isFinite(array[i])) fail(`${name}[${i}] is not finite (${array[i]})`);
    return array;
  }

  const finiteArray = (value, name) => checkFinite(toFloat64(value, name), name);

  function unwrap(result) {
    if (result.error !== undefined) fail(result.error);
    return result;
  }

  /** A document or config as JSON text within the size limit (objects are stringified). */
  function jsonText(value, what) {
    let text = value;
    if (typeof value !== 'string') {
      if (value === null || typeof value !== 'object') fail(`${what} must be an object or a JSON string`);
      text = JSON.stringify(value);
    }
    if (text.length > LIMITS.jsonBytes) fail(`${what} is longer than ${LIMITS.jsonBytes} characters`);
    return text;
  }

  /** A finite grid spec with its counts checked; t included when withTime. */
  function gridSpec(spec, name, defaults) {
    const s = { ...defaults, ...options(spec, name) };
    for (const k of ['xmin', 'xmax', 'ymin', 'ymax', 't']) if (k in defaults) number(s[k], `${name}: ${k}`);
    for (const k of ['nx', 'ny']) whole(s[k], `${name}: ${k}`, 2, 2048);
    return s;
  }

  /** A new handle of class Handle set up by init(handle) (which answers {} or {error}); on error the handle is
   *  deleted and the message thrown. */
  function created(Handle, init) {
    running();
    const handle = new Handle();
    const r = enter(() => init(handle));
    if (r.error !== undefined) {
      handle.delete();
      fail(r.error);
    }
    return handle;
  }

  /** Owns one core handle: lifetime (delete, isDeleted, counted in liveTrainers) and what every trainer-like
   *  object shares (adding trajectories, stepping). */
  class Owned {
    _own(handle) {
      this._h = handle;
      live.add(this);
    }

    get _handle() {
      running();
      if (!this._h) fail(`this ${this.constructor.name} has been deleted`);
      return this._h;
    }

    /** Adds a trajectory: times (n) and states (row-major n × dim); returns its index. */
    _addTrajectory(times, states) {
      const h = this._handle;
      const t = finiteArray(times, 'times');
      const s = finiteArray(states, 'states');
      return unwrap(enter(() => h.addTrajectory(t, s))).index;
    }

    /** Up to n training steps within options.maxMillis; a call that cannot train throws. */
    step(n = 1, opts) {
      const h = this._handle;
      whole(n, 'step(n): n', 1, 1e6);
      const o = options(opts, 'step options', ['maxMillis', 'resumable', 'maxSolverSteps']);
      const ms = millis(o);
      const r = unwrap(enter(() => this._step(h, n, ms, o)));
      if (r.status === 'invalid-input') fail(r.message);
      return r;
    }

    /** options.resumable: an iteration the budget cuts short is kept (suspended) and continued by the next step;
     *  options.maxSolverSteps (resumable): also stop after that many solver steps. */
    _step(h, n, ms, o) {
      if (o.resumable !== undefined && typeof o.resumable !== 'boolean') fail('step: resumable must be true or false');
      if (o.maxSolverSteps !== undefined && !o.resumable) fail('step: maxSolverSteps needs resumable: true');
      const steps = o.maxSolverSteps === undefined ? 0 : whole(o.maxSolverSteps, 'step: maxSolverSteps', 1, 1e9);
      return h.step(n, ms, o.resumable ? steps : -1);
    }

    iteration() {
      return this._handle.iteration();
    }

    delete() {
      if (this._h) {
        if (stopped === null) this._h.delete();  // a stopped module's memory goes with it
        this._h = null;
        live.delete(this);
      }
    }

    isDeleted() {
      return this._h === null;
    }
  }

  /** What both trainers share: construction, documents, steps, parameters, reset, lifetime. */
  class TrainerBase extends Owned {
    constructor(config) {
      super();
      const text = config === undefined ? '{}' : jsonText(config, 'config');
      this._own(created(this.constructor._Handle(), (h) => h.init(text)));
      /** A remark about how this trainer was loaded (e.g. that the optimiser restarts), or ''. */
      this.notice = '';
    }

    /** A trainer from a document (object or JSON string) of its kind. */
    static fromJSON(json) {
      const text = jsonText(json, this._what);
      const handle = created(this._Handle(), (h) => h.load(text));
      const t = Object.create(this.prototype);
      t._own(handle);
      t.notice = handle.notice();
      return t;
    }

    /** A trainer from a packed document of its kind (toPacked's bytes: a Uint8Array or ArrayBuffer); a damaged or
     *  truncated one throws with what is wrong, and nothing is created. */
    static fromPacked(bytes) {
      const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
      if (!(b instanceof Uint8Array)) fail(`fromPacked: ${this._what} in packed form must be a Uint8Array or ArrayBuffer`);
      const handle = created(this._Handle(), (h) => h.loadPacked(b));
      const t = Object.create(this.prototype);
      t._own(handle);
      t.notice = handle.notice();
      return t;
    }

    config() {
      return JSON.parse(this._handle.config());
    }

    toJSON() {
      const h = this._handle;
      return JSON.parse(enter(() => h.toJSON()));
    }

    /** The same document packed: a small JSON header and the long arrays as float64 values, in a new Uint8Array
     *  (no number is turned into text: a 256 × 6 network's is ~10.5 MB and written in milliseconds). */
    toPacked() {
      const h = this._handle;
      return enter(() => h.toPacked());
    }

    parameters() {
      return this._handle.parameters();
    }

    setParameters(p) {
      const h = this._handle;
      const v = finiteArray(p, 'parameters');
      unwrap(enter(() => h.setParameters(v)));
    }

    /** Keeps a copy of the training state (weights, optimiser, sampler, iteration) in the module, replacing the one
     *  kept before: a point to go back to without a document (one of a 256 × 6 network is ~28 MB of text). */
    checkpoint() {
      const h = this._handle;
      enter(() => h.checkpoint());
    }

    /** The iteration of the checkpoint, or -1 when none. */
    checkpointIteration() {
      return this._handle.checkpointIteration();
    }

    /** Goes back to the checkpoint (data kept; an iteration under way is dropped); throws when there is none. */
    restoreCheckpoint() {
      const h = this._handle;
      unwrap(enter(() => h.restoreCheckpoint()));
    }

    /** Takes `other`'s training state (a trainer of the same kind and network shape: weights, optimiser, sampler,
     *  iteration), keeping this one's config and data: a settings change without a document. Throws (nothing changed)
     *  when it does not fit. */
    adoptState(other) {
      if (!(other instanceof this.constructor)) fail(`adoptState: expected a ${this.constructor.name}`);
      const h = this._handle, o = other._handle;
      unwrap(enter(() => h.adoptState(o)));
    }

    /** Fresh weights (from seed, default the config's), optimiser and iteration count reset; data kept. */
    reset(seed) {
      const h = this._handle;
      const s = seed === undefined ? this.config().seed : whole(seed, 'reset(seed): seed', 0, LIMITS.maxWhole);
      unwrap(enter(() => h.reset(s)));
    }
  }

  class Trainer extends TrainerBase {
    static _Handle = () => core.TrainerHandle;
    static _what = 'a model document';

    get dim() {
      return this.config().dim;
    }

    addTrajectory(times, states) {
      return this._addTrajectory(times, states);
    }

    clearTrajectories() {
      this._handle.clearTrajectories();
    }

    trajectoryCount() {
      return this._handle.trajectoryCount();
    }

    /** opts.trajectory: that trajectory's loss alone (an index), else the loss on all of them. */
    loss(opts) {
      const h = this._handle;
      const o = options(opts, 'loss options', ['maxMillis', 'trajectory']);
      const ms = millis(o);
      const i = o.trajectory === undefined ? -1 : whole(o.trajectory, 'loss: trajectory', 0, LIMITS.maxWhole);
      const r = unwrap(enter(() => h.loss(ms, i)));
      if (r.status !== 'success') fail(`loss: ${r.message}`);
      return r.loss;
    }

    /** A piece of the loss (on all trajectories, or opts.trajectory alone): continues the loss under way (else starts
     *  one) for at most opts.maxMillis (and opts.maxSolverSteps solver steps); {done, loss, nfeForward}, loss NaN until
     *  done. The finished loss equals loss()'s bit for bit; a loss under way starts over when the model or the data
     *  changed meanwhile (a step finished, new weights or data). Throws when the loss cannot be computed. */
    lossPiece(opts) {
      const h = this._handle;
      const o = options(opts, 'lossPiece options', ['maxMillis', 'trajectory', 'maxSolverSteps']);
      const ms = millis(o);
      const i = o.trajectory === undefined ? -1 : whole(o.trajectory, 'lossPiece: trajectory', 0, LIMITS.maxWhole);
      const steps = o.maxSolverSteps === undefined ? 0 : whole(o.maxSolverSteps, 'lossPiece: maxSolverSteps', 1, 1e9);
      const r = unwrap(enter(() => h.lossPiece(ms, i, steps)));
      if (r.status !== 'success') fail(`loss: ${r.message}`);
      return { done: r.done, loss: r.loss, nfeForward: r.nfeForward };
    }

    gradient(method = 'checkpointed', opts) {
      const h = this._handle;
      if (!GRADIENTS.includes(method)) fail(`unknown gradient method '${String(method).slice(0, 40)}' (use ${GRADIENTS.join(', ')})`);
      const ms = millis(options(opts, 'gradient options', BUDGET));
      const r = unwrap(enter(() => h.gradient(method, ms)));
      if (r.status !== 'success') fail(`gradient: ${r.message}`);
      return r.gradient;
    }

    /** z0 is the state at t0 (default: times[0]); times may lie on both sides of t0. */
    integrate(z0, times, t0, opts) {
      const h = this._handle;
      const z = finiteArray(z0, 'z0');
      const t = finiteArray(times, 'times');
      if (t0 === undefined) {
        if (t.length === 0) fail('integrate: give at least one time (or t0)');
        t0 = t[0];
      }
      number(t0, 't0');
      const ms = millis(options(opts, 'integrate options', BUDGET));
      const r = unwrap(enter(() => h.integrate(z, t, t0, ms)));
      return { status: r.status, message: r.message, states: r.states, nfe: r.nfe };
    }

    field(points, t = 0, opts) {
      const h = this._handle;
      const p = finiteArray(points, 'points');
      number(t, 't');
      const ms = millis(options(opts, 'field options', BUDGET));
      return unwrap(enter(() => h.field(p, t, ms))).velocities;
    }

    sampleGrid(spec) {
      const h = this._handle;
      const g = gridSpec(spec, 'sampleGrid', { xmin: -3, xmax: 3, ymin: -3, ymax: 3, nx: 32, ny: 32, t: 0, precision: 'float32' });
      const ms = millis(g);
      if (g.precision !== 'float32' && g.precision !== 'float64') fail("sampleGrid: precision must be 'float32' or 'float64'");
      const single = g.precision === 'float32';
      return unwrap(enter(() => h.sampleGrid(g.xmin, g.xmax, g.ymin, g.ymax, g.nx, g.ny, g.t, ms, single))).values;
    }

    /**
     * The learned field's phase portrait over a view (default 64 × 64, nx and ny in [8, 256]): equilibria,
     * nullclines, limit cycles, basins, separatrices. opts.truth (a system name) adds the true portrait and a
     * comparison with a verdict; opts.maxMillis bounds the time (stages past it are skipped: complete false; the true
     * portrait gets what the learned one left, at least a quarter of it: 1.25 × maxMillis at most in all).
     */
    analyze(view, opts) {
      const h = this._handle;
      const g = analysisView(view, 'analyze', true);
      const o = options(opts, 'analyze options', ['truth', 'maxMillis']);
      const truth = o.truth ?? '';
      if (truth !== '') checkSystem(truth);
      const ms = millis(o);
      return unwrap(enter(() => h.analyze(g.xmin, g.xmax, g.ymin, g.ymax, g.nx, g.ny, g.t, truth, ms)));
    }

    /** The full-data gradient by every method against central differences on a few parameters (model unchanged). */
    gradientTruth(opts) {
      const h = this._handle;
      const o = options(opts, 'gradientTruth options', ['coordinates', 'maxMillis']);
      const coordinates = whole(o.coordinates ?? 5, 'gradientTruth: coordinates', 1, 64);
      const ms = millis(o);
      return unwrap(enter(() => h.gradientTruth(coordinates, ms)));
    }

    /** Memory against solver steps: each method at fixed RK4 step counts on the current model and data. */
    memorySweep(steps = [100, 1000, 10000], opts) {
      const h = this._handle;
      const s = finiteArray(steps, 'steps');
      const ms = millis(options(opts, 'memorySweep options', BUDGET));
      return unwrap(enter(() => h.memorySweep(s, ms)));
    }

    /** analyze() as a Job run in pieces (same arguments; maxMillis bounds the job's own work time, summed over its
     *  pieces). The job copies the model and data: this trainer may train or change meanwhile. */
    analyzeJob(view, opts) {
      const h = this._handle;
      const g = analysisView(view, 'analyzeJob', true);
      const o = options(opts, 'analyzeJob options', ['truth', 'maxMillis']);
      const truth = o.truth ?? '';
      if (truth !== '') checkSystem(truth);
      const ms = millis(o);
      return new Job(created(core.JobHandle, (j) => j.portrait(h, g.xmin, g.xmax, g.ymin, g.ymax, g.nx, g.ny, g.t, truth, ms)));
    }

    /** gradientTruth() as a Job run in pieces (maxMillis: the budget of its solves, from now). */
    gradientTruthJob(opts) {
      const h = this._handle;
      const o = options(opts, 'gradientTruthJob options', ['coordinates', 'maxMillis']);
      const coordinates = whole(o.coordinates ?? 5, 'gradientTruthJob: coordinates', 1, 64);
      const ms = millis(o);
      return new Job(created(core.JobHandle, (j) => j.gradientTruth(h, coordinates, ms)));
    }

    /** memorySweep() as a Job run in pieces. */
    memorySweepJob(steps = [100, 1000, 10000], opts) {
      const h = this._handle;
      const s = finiteArray(steps, 'steps');
      const ms = millis(options(opts, 'memorySweepJob options', BUDGET));
      return new Job(created(core.JobHandle, (j) => j.memorySweep(h, s, ms)));
    }
  }

  /** A long computation in resumable pieces (Trainer.analyzeJob, gradientTruthJob, memorySweepJob): each run() works for
   *  about opts.maxMillis (at least one bounded unit: a block of grid points, a Newton seed, a few flow steps, a solver step) and the
   *  next continues where it stopped; result() is what the one-call version returns. Must be .delete()d. */
  class Job extends Owned {
    constructor(handle) {
      super();
      this._own(handle);
      this._done = false;
    }

    /** Works for about opts.maxMillis (default 40); true once finished. */
    run(opts) {
      const h = this._handle;
      const o = options(opts, 'run options', BUDGET);
      const ms = o.maxMillis === undefined ? 40 : millis(o);
      if (!this._done) this._done = enter(() => h.run(ms));
      return this._done;
    }

    done() {
      return this._done;
    }

    /** The result (throws until run() answered true). */
    result() {
      if (!this._done) fail('result: the job is not finished (call run() until it answers true)');
      const h = this._handle;
      return unwrap(enter(() => h.result()));
    }
  }

  /** An analysis view: finite bounds (and t), nx and ny in [8, 256]. */
  function analysisView(spec, name, withTime) {
    const defaults = { xmin: -3, xmax: 3, ymin: -3, ymax: 3, nx: 64, ny: 64 };
    if (withTime) defaults.t = 0;
    const s = { ...defaults, ...options(spec, name) };
    for (const k of Object.keys(defaults)) if (k !== 'nx' && k !== 'ny') number(s[k], `${name}: ${k}`);
    for (const k of ['nx', 'ny']) whole(s[k], `${name}: ${k}`, 8, 256);
    return s;
  }

  /** Trainers of one config with seeds seed, seed + 1, … on the same data: where they disagree, the data
   *  leave the field undetermined. */
  class Ensemble extends Owned {
    constructor(config, members = 5) {
      super();
      const text = config === undefined ? '{}' : jsonText(config, 'config');
      whole(members, 'members', 2, 16);
      this._own(created(core.EnsembleHandle, (h) => h.init(text, members)));
    }

    size() {
      return this._handle.size();
    }

    addTrajectory(times, states) {
      return this._addTrajectory(times, states);
    }

    clearTrajectories() {
      this._handle.clearTrajectories();
    }

    /** Float32Array of nx·ny spreads of the members' velocities (data units per time), row by row from ymin. */
    disagreementGrid(spec) {
      const h = this._handle;
      const g = gridSpec(spec, 'disagreementGrid', { xmin: -3, xmax: 3, ymin: -3, ymax: 3, nx: 32, ny: 32, t: 0 });
      const ms = millis(g);
      return unwrap(enter(() => h.disagreementGrid(g.xmin, g.xmax, g.ymin, g.ymax, g.nx, g.ny, g.t, ms))).values;
    }
  }

  class DensityTrainer extends TrainerBase {
    static _Handle = () => core.DensityHandle;
    static _what = 'a density document';

    /** points: row-major m × 2; returns the new sample count. */
    addSamples(points) {
      const h = this._handle;
      const p = finiteArray(points, 'points');
      return unwrap(enter(() => h.addSamples(p))).count;
    }

    clearSamples() {
      this._handle.clearSamples();
    }

    sampleCount() {
      return this._handle.sampleCount();
    }

    /** Mean negative log-likelihood of all samples (nats). */
    nll(opts) {
      const h = this._handle;
      const ms = millis(options(opts, 'nll options', BUDGET));
      const r = unwrap(enter(() => h.nll(ms)));
      if (r.status !== 'success') fail(`nll: ${r.message}`);
      return r.nll;
    }

    /** n base samples pushed to time t ∈ [0, tEnd]: {status, message, points (row-major n × 2)}. */
    sample(n, t, seed = 0, opts) {
      const h = this._handle;
      whole(n, 'sample: n', 1, 1e7);
      if (typeof t !== 'number' || !Number.isFinite(t)) fail('sample: t must be a finite number');
      whole(seed, 'sample: seed', 0, LIMITS.maxWhole);
      const ms = millis(options(opts, 'sample options', BUDGET));
      const r = unwrap(enter(() => h.sample(n, t, seed, ms)));
      return { status: r.status, message: r.message, points: r.points };
    }

    logDensity(points, opts) {
      const h = this._handle;
      const p = finiteArray(points, 'points');
      const ms = millis(options(opts, 'logDensity options', BUDGET));
      const r = unwrap(enter(() => h.logDensity(p, ms)));
      if (r.status !== 'success') fail(`logDensity: ${r.message}`);
      return r.values;
    }

    /** Float32Array of nx·ny log-densities, row by row from ymin. */
    logDensityGrid(spec) {
      const h = this._handle;
      const g = gridSpec(spec, 'logDensityGrid', { xmin: -3, xmax: 3, ymin: -3, ymax: 3, nx: 64, ny: 64 });
      const ms = millis(g);
      const r = unwrap(enter(() => h.logDensityGrid(g.xmin, g.xmax, g.ymin, g.ymax, g.nx, g.ny, ms)));
      if (r.status !== 'success') fail(`logDensityGrid: ${r.message}`);
      return r.values;
    }
  }

  const densityNames = Array.from(core.densityPresets());
  const systemList = core.systems();
  const names = systemList.map((s) => s.name);
  const checkSystem = (name) => {
    if (!names.includes(name)) fail(`unknown system '${String(name).slice(0, 40)}' (use ${names.join(', ')})`);
  };

  return {
    version: core.version(),
    Trainer,
    DensityTrainer,
    Ensemble,
    densityPresets: () => densityNames.slice(),
    sampleDensity(name, n = 1000, seed = 0) {
      if (!densityNames.includes(name)) fail(`unknown density '${String(name).slice(0, 40)}' (use ${densityNames.join(', ')})`);
      whole(n, 'sampleDensity: n', 1, 1e7);
      whole(seed, 'sampleDensity: seed', 0, LIMITS.maxWhole);
      return unwrap(enter(() => core.sampleDensity(name, n, seed))).points;
    },
    systems: () => names.slice(),
    systemInfo(name) {
      checkSystem(name);
      return structuredClone(systemList.find((x) => x.name === name));
    },
    sampleSystem(name, opts = {}) {
      checkSystem(name);
      const info = systemList.find((x) => x.name === name);
      const o = options(opts, 'sampleSystem options', ['trajectories', 'points', 'noise', 'seed', 'tEnd', 'regular', 'initial', 'maxMillis']);
      const { trajectories = 8, points = info.points, noise = 0, seed = 0, tEnd = 0, regular = false, initial } = o;
      whole(trajectories, 'trajectories', 1, 1000);
      whole(points, 'points', 2, 100000);
      number(noise, 'noise', 0, 10);
      whole(seed, 'seed', 0, LIMITS.maxWhole);
      number(tEnd, 'tEnd', 0, 1e4);
      if (typeof regular !== 'boolean') fail('regular must be true or false');
      let z = null;
      if (initial !== undefined) {
        z = finiteArray(initial, 'initial');
        if (z.length !== info.dim) fail(`initial must be ${info.dim} finite numbers (${name} is ${info.dim}-D)`);
      }
      const ms = millis(o);
      return unwrap(enter(() => core.sampleSystem(name, trajectories, points, noise, seed, tEnd, regular, z, ms)));
    },
    systemField(name, points) {
      checkSystem(name);
      const p = finiteArray(points, 'points');
      return unwrap(enter(() => core.systemField(name, p))).velocities;
    },
    /** The true system's phase portrait over a view (default: its bounds, 64 × 64). */
    analyzeSystem(name, view, opts) {
      checkSystem(name);
      const bounds = systemList.find((x) => x.name === name).bounds;
      const g = analysisView({ ...bounds, ...options(view, 'analyzeSystem') }, 'analyzeSystem', false);
      const ms = millis(options(opts, 'analyzeSystem options', BUDGET));
      return unwrap(enter(() => core.analyzeSystem(name, g.xmin, g.xmax, g.ymin, g.ymax, g.nx, g.ny, ms)));
    },
    /** The limits every call is checked against: {data, parameter, callBytes, maxMillis, defaultMillis, maxWhole, jsonDepth, jsonBytes}. */
    limits: () => ({ ...LIMITS }),
    /** Number of Trainers, DensityTrainers and Ensembles not yet deleted. */
    liveTrainers: () => live.size,
    /** Bytes of the wasm heap (grows, never shrinks). */
    heapBytes: () => core.heapBytes(),
    /** Benchmarks only: the wide layers' products through the tiled kernel (true, the default) or Eigen's GEMM (false, the former
     * path); without an argument, reports the selection. Results agree to rounding. */
    tiledKernels: (on) => core.tiledKernels(on === undefined ? -1 : on ? 1 : 0),
    /** Benchmarks only: float32 field sampling through the points-in-lanes kernels (true, the default) or the former row-by-row
     * path (false); without an argument, reports the selection. Results agree to float rounding. */
    laneKernels: (on) => core.laneKernels(on === undefined ? -1 : on ? 1 : 0),
    /** Benchmarks only: float64 training through the points-in-lanes kernels for thin tanh nets with one or two hidden layers (true, the
     * default) or the former row path (false); without an argument, reports the selection. Gradients agree to rounding. */
    laneTraining: (on) => core.laneTraining(on === undefined ? -1 : on ? 1 : 0),
    /** Benchmarks only: the checkpointed and direct gradients keep the forward solve's stage passes for their reverse
     * sweeps (true, the default) or run every reversed step's stage passes again (false, the former path); without an
     * argument, reports the selection. Results are the same bit for bit. */
    stageTapes: (on) => core.stageTapes(on === undefined ? -1 : on ? 1 : 0),
    /** Largest block the heap could allocate now, in bytes (a diagnostic: it may grow the heap to find out). */
    largestFreeBlock: () => core.largestFreeBlock(),
  };
}
