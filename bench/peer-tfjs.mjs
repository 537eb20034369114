// Peer benchmark (not a test): TF.js 4.22 on its WebAssembly backend (SIMD, one thread: the issue's "TF.js 4.22
// wasm-SIMD") against this project's wasm module, both in this one Node process, rounds alternating, so that the
// ratios issue 9 asks for are measured on the machine at hand rather than quoted from another:
//  - the ode_demo replica's RK4/direct training step (2-50-2 tanh net on y³, 20 windows of 10 points, RK4 on the
//    observation grid — TF.js by torchdiffeq's 3/8 rule, ours by the classic tableau of the native and wasm replica
//    benches: both 4 field evaluations per step, 36 per iteration — the L1 loss, RMSprop 1e-3; TF.js differentiates
//    through the unrolled steps, as torchdiffeq's direct gradient does);
//  - a 64×64 float32 field grid of the replica net and of the page's 2-32-32-2 net (the values read back to JS), each
//    net's weights the same on both sides (TF.js's copied into ours) and the two grids checked to agree.
// TF.js is not a dependency of the project: `./dev.sh bench` installs it into build/peer (npm, on demand).
// usage: node bench/peer-tfjs.mjs [iterations] [peer folder with node_modules/@tensorflow (default build/peer)]
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createNeuralOde } from '../wasm/api.js';
import { replica, spiral } from './replica.mjs';
import { median } from './stats.mjs';

const iters = Number(process.argv[2] ?? 200);
const peerDir = resolve(process.argv[3] ?? fileURLToPath(new URL('../build/peer', import.meta.url)));
const round = (x, d = 4) => +x.toFixed(d);

if (!['tfjs', 'tfjs-backend-wasm'].every((m) => existsSync(`${peerDir}/node_modules/@tensorflow/${m}/package.json`))) {
  console.log(JSON.stringify({ bench: 'peer-tfjs', skipped: `TF.js is not installed in ${peerDir} (./dev.sh bench installs it)` }));
  process.exit(0);
}
const require = createRequire(`${peerDir}/package.json`);
const tf = require('@tensorflow/tfjs');  // the union package: its bundle registers the gradients
const tfwasm = require('@tensorflow/tfjs-backend-wasm');
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);  // one thread, as our module runs (and the issue measured)
tfwasm.setWasmPaths(`${peerDir}/node_modules/@tensorflow/tfjs-backend-wasm/dist/`);
if (!(await tf.setBackend('wasm'))) throw new Error('TF.js: the wasm backend did not start');
await tf.ready();
const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');

const ode = await createNeuralOde();
const data = spiral(ode)[0];  // the same spiral both sides train on
const N = data.times.length, D = 2, BATCH = 20, WINDOW = 10;
const dt = data.times[1] - data.times[0];

// --- TF.js: the replica, written as torchdiffeq's ode_demo is -------------------------------------------------------
let layerSeed = 1;
/** A dense layer's weights, normal(0, 0.1) (each layer its own seed), and zero biases (ode_demo's init). */
const dense = (i, o) => [tf.variable(tf.randomNormal([i, o], 0, 0.1, 'float32', layerSeed++)), tf.variable(tf.zeros([o]))];
const [W1, b1] = dense(D, 50), [W2, b2] = dense(50, D);
const field = (y) => tf.add(tf.matMul(tf.tanh(tf.add(tf.matMul(tf.mul(tf.mul(y, y), y), W1), b1)), W2), b2);
/** torchdiffeq's fixed-grid 'rk4' (the 3/8 rule) over the window's times: states [WINDOW, BATCH, D]. */
function rk4(y0) {
  const ys = [y0];
  let y = y0;
  for (let k = 1; k < WINDOW; k++) {
    const k1 = field(y);
    const k2 = field(tf.add(y, tf.mul(k1, dt / 3)));
    const k3 = field(tf.add(y, tf.mul(tf.sub(k2, tf.mul(k1, 1 / 3)), dt)));
    const k4 = field(tf.add(y, tf.mul(tf.add(tf.sub(k1, k2), k3), dt)));
    y = tf.add(y, tf.mul(tf.add(tf.add(k1, tf.mul(tf.add(k2, k3), 3)), k4), dt / 8));
    ys.push(y);
  }
  return tf.stack(ys);
}
const optimizer = tf.train.rmsprop(1e-3, 0.99, 0, 1e-8);  // torch.optim.RMSprop's alpha and eps
let seed = 1;
/** Uniform in [0, 1): a 32-bit xorshift (exact in JS's integers). */
const rand = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};
/** One ode_demo iteration: a random batch, the loss through the unrolled RK4, RMSprop; the loss read back. */
function tfjsStep() {
  const y0 = new Float32Array(BATCH * D), yt = new Float32Array(WINDOW * BATCH * D);
  for (let b = 0; b < BATCH; b++) {
    const s = Math.floor(rand() * (N - WINDOW));
    for (let d = 0; d < D; d++) y0[b * D + d] = data.states[s * D + d];
    for (let k = 0; k < WINDOW; k++) for (let d = 0; d < D; d++) yt[(k * BATCH + b) * D + d] = data.states[(s + k) * D + d];
  }
  const cost = tf.tidy(() => {
    const by0 = tf.tensor2d(y0, [BATCH, D]), by = tf.tensor3d(yt, [WINDOW, BATCH, D]);
    return optimizer.minimize(() => tf.mean(tf.abs(tf.sub(rk4(by0), by))), true);
  });
  const loss = cost.dataSync()[0];
  cost.dispose();
  return loss;
}

/** The 64×64 grid's points on [−3, 3]² (our sampleGrid's default box), row by row. */
const grid = (() => {
  const p = new Float32Array(64 * 64 * 2);
  for (let j = 0; j < 64; j++) for (let i = 0; i < 64; i++) p.set([-3 + (6 * i) / 63, -3 + (6 * j) / 63], (j * 64 + i) * 2);
  return tf.tensor2d(p, [64 * 64, 2]);
})();
const pageNet = [dense(2, 32), dense(32, 32), dense(32, 2)].flat();
/** The page net's forward pass: tanh after each hidden layer. */
const pageField = (x) => {
  let h = x;
  for (let l = 0; l < 3; l++) {
    h = tf.add(tf.matMul(h, pageNet[2 * l]), pageNet[2 * l + 1]);
    if (l < 2) h = tf.tanh(h);
  }
  return h;
};
/** The net's 64×64 grid read back to JS (the output tensor disposed). */
const tfjsGridValues = (net) => {
  const out = tf.tidy(() => net(grid));
  const values = out.dataSync();
  out.dispose();
  return values;
};
const tfjsGrid = (net) => () => tfjsGridValues(net).length;

// --- ours: the same measures through the JS API ----------------------------------------------------------------------
const trainer = new ode.Trainer(replica('rk4', 'direct'));
trainer.addTrajectory(data.times, data.states);
const replicaGrid = new ode.Trainer({ hidden: [50], input: 'cube' });
const pageGrid = new ode.Trainer({ hidden: [32, 32] });
/** A TF.js net's variables as our flat parameters: TF.js's row-major in × out weights are our column-major out × in
 * W, then the biases, layer by layer. */
const flatWeights = (vars) => Float64Array.from(vars.flatMap((v) => Array.from(v.dataSync())));
const oursGrid = (t) => () => t.sampleGrid({ nx: 64, ny: 64, precision: 'float32' }).length;
/** The largest difference between the two sides' grids, relative to the largest velocity. */
function gridAgreement(peerNet, ours) {
  const a = tfjsGridValues(peerNet), b = ours.sampleGrid({ nx: 64, ny: 64, precision: 'float32' });
  let diff = 0, scale = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i])), scale = Math.max(scale, Math.abs(a[i]));
  return a.length === b.length ? diff / scale : Infinity;
}

/** `fn`'s ms per call, for each side, rounds alternating (who goes first alternates too); untimed warm-up first. */
function alternate(sides, calls, warm) {
  for (const fn of Object.values(sides)) for (let i = 0; i < warm; i++) fn();
  const ms = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
  for (let r = 0; r < 8; r++) {
    const keys = Object.keys(sides);
    for (const k of r % 2 ? keys.reverse() : keys) {
      for (let i = 0; i < Math.ceil(calls / 8); i++) {
        const a = performance.now();
        sides[k]();
        ms[k].push(performance.now() - a);
      }
    }
  }
  return Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, median(v)]));
}

try {
  const common = { bench: 'peer-tfjs', peer: `TF.js ${tf.version.tfjs} wasm (SIMD ${simd ? 'on' : 'off'}, 1 thread)`, runtime: 'node' };
  const lossBefore = tfjsStep();
  const demo = alternate({ tfjs: tfjsStep, ours: () => trainer.step() }, iters, 400);
  console.log(JSON.stringify({ ...common, measure: 'ode_demo rk4/direct ms/iter', iterations: iters, tfjs_ms: round(demo.tfjs),
    ours_wasm_ms: round(demo.ours), tfjs_over_ours: round(demo.tfjs / demo.ours, 1), tfjs_loss_first: round(lossBefore, 5),
    tfjs_loss_last: round(tfjsStep(), 5) }));
  for (const [label, peerNet, vars, ours] of [['replica 2-50-2 (cube)', field, [W1, b1, W2, b2], replicaGrid],
    ['page 2-32-32-2', pageField, pageNet, pageGrid]]) {
    ours.setParameters(flatWeights(vars));  // the same net both sides (the replica's as TF.js trained it)
    const agreement = gridAgreement(peerNet, ours);
    if (!(agreement < 1e-4)) throw new Error(`${label}: the two grids differ (max relative difference ${agreement})`);
    const g = alternate({ tfjs: tfjsGrid(peerNet), ours: oursGrid(ours) }, Math.max(80, iters), 40);
    console.log(JSON.stringify({ ...common, measure: '64x64 float32 grid ms', network: label, tfjs_ms: round(g.tfjs),
      ours_wasm_ms: round(g.ours), tfjs_over_ours: round(g.tfjs / g.ours, 1), max_rel_diff: +agreement.toPrecision(2) }));
  }
  // Every step's and grid's tensors disposed: what is left are the nets' variables and RMSprop's state.
  console.log(JSON.stringify({ ...common, measure: 'tensors left', tf_tensors_live: tf.memory().numTensors }));
} finally {
  trainer.delete();
  replicaGrid.delete();
  pageGrid.delete();
}
