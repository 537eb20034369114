// WebAssembly benchmark (not a test): the ode_demo replica through the JS API under Node, the same
// JSON lines as the native benchmark, and the wasm/native ratio measured in this one run; the time to
// sample 64×64 and 256×256 grids; the phase-portrait analysis, gradient truth and memory against steps of
// preset models; density presets' NLL against training time; the size of the .wasm and the JS glue (raw and gzip).
// usage: node wasm/bench.mjs [iterations] [grid (only the grid lines) | ode_demo (only the replica's lines) |
// page-like (the replica's and the page-like lines) | fidelity (only the reference systems' fidelity lines)]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { replica, spiral as spiralData } from '../bench/replica.mjs';
import { median } from '../bench/stats.mjs';
import { createNeuralOde } from './api.js';

/** The worker's chunk of training between two looks at its message queue (the page's one source of it). */
const { chunkMs: CHUNK_MS } = JSON.parse(readFileSync(new URL('../web/src/worker/timing.json', import.meta.url), 'utf8'));

/** A training chunk as the worker runs it (web/src/worker.ts trainChunk): CHUNK_MS of resumable steps, the iteration
 * under way at its end continued by the next chunk. */
const trainChunk = (t) => t.step(1000, { maxMillis: CHUNK_MS, resumable: true });

const iters = Number(process.argv[2] ?? 200);
const ode = await createNeuralOde();

/** 64×64 and 256×256 field grids of both networks: float64, float32 (points-in-lanes kernels) and float32 through the
 * former paths (row by row with the tiled wide layer; the axpy loops before it). */
function gridBench() {
  for (const [label, cfg] of [['replica 2-50-2 (cube)', { hidden: [50], input: 'cube' }], ['page default 2-32-32-2', { hidden: [32, 32] }]]) {
    const tr = new ode.Trainer(cfg);
    for (const n of [64, 256]) {
      // float32 through the points-in-lanes kernels (lanes), the former row-by-row path with the tiled wide layer (rows)
      // and before that the axpy loops (untiled); rounds alternate the order (the first runs meet V8's tier-up).
      const modes = { float64: ['float64', true, true], float32: ['float32', true, true], float32_rows: ['float32', false, true],
        float32_untiled: ['float32', false, false] };
      const v = Object.fromEntries(Object.keys(modes).map((k) => [k, []]));
      for (let round = 0; round < 4; round++) {
        const keys = Object.keys(modes);
        for (const key of round % 2 ? keys.reverse() : keys) {
          const [precision, lanes, tiled] = modes[key];
          ode.laneKernels(lanes);
          ode.tiledKernels(tiled);
          for (let i = 0; i < (n === 64 ? Math.ceil(iters / 4) : 5); i++) {
            const a = performance.now();
            tr.sampleGrid({ nx: n, ny: n, precision });
            v[key].push(performance.now() - a);
          }
        }
      }
      ode.laneKernels(true);
      ode.tiledKernels(true);
      const ms = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, median(x)]));
      console.log(JSON.stringify({ bench: 'sample-grid', runtime: 'wasm', grid: `${n}x${n}`, network: label,
        ms_float64: +ms.float64.toFixed(4), ms_float32: +ms.float32.toFixed(4), speedup: +(ms.float64 / ms.float32).toFixed(2),
        ms_float32_rows: +ms.float32_rows.toFixed(4), rows_over_lanes: +(ms.float32_rows / ms.float32).toFixed(2),
        ms_float32_untiled: +ms.float32_untiled.toFixed(4), untiled_over_lanes: +(ms.float32_untiled / ms.float32).toFixed(2) }));
    }
    tr.delete();
  }
}

if (process.argv[3] === 'fidelity') {
  fidelityBench();
  process.exit(0);
}
if (process.argv[3] === 'grid') {
  gridBench();
  process.exit(0);
}

/** `iters` single steps of a trainer of `cfg` (undefined: the defaults) on `trajectories`: each step's ms, the
 * NFE summed, the last batch loss. */
function timeSteps(cfg, trajectories) {
  const tr = new ode.Trainer(cfg);
  for (const t of trajectories) tr.addTrajectory(t.times, t.states);
  const ms = [];
  let nfeF = 0, nfeB = 0, loss = 0;
  for (let i = 0; i < iters; i++) {
    const a = performance.now();
    const r = tr.step();
    ms.push(performance.now() - a);
    nfeF += r.nfeForward;
    nfeB += r.nfeBackward;
    loss = r.loss;
  }
  tr.delete();
  return { ms, nfeF, nfeB, loss };
}

const spiral = spiralData(ode);

// V8 compiles the module's functions with its baseline compiler first and tiers hot ones up while they run: the first
// ~300 replica steps are slower (the first variant timed paid for it: 0.83 ms against ~0.45). Untimed warm-up steps
// of the replica's two kinds of step (fixed-step direct, adaptive adjoint) first, and of the row path's RK4 (the
// `rows_over_lanes_ms` ratio's other side).
for (const [cfg, lanes] of [[replica('rk4', 'direct'), true], [replica('dopri5', 'adjoint'), true], [replica('rk4', 'direct'), false]]) {
  ode.laneTraining(lanes);
  const tr = new ode.Trainer(cfg);
  for (const t of spiral) tr.addTrajectory(t.times, t.states);
  for (let i = 0; i < 400; i++) tr.step();
  tr.delete();
}
ode.laneTraining(true);

const wasm = {};
// RK4/direct also through the former row path of the network (ode.laneTraining(false)) and with every stage pass run
// again in the VJPs (ode.stageTapes(false)), as nde_bench does.
for (const [variant, cfg, lanes, kept] of [['rk4/direct', replica('rk4', 'direct'), true, true],
  ['rk4/direct, row path (former)', replica('rk4', 'direct'), false, true],
  ['rk4/direct, stage passes recomputed (former)', replica('rk4', 'direct'), true, false],
  ['dopri5/direct', replica('dopri5', 'direct'), true, true], ['dopri5/adjoint', replica('dopri5', 'adjoint'), true, true]]) {
  ode.laneTraining(lanes);
  ode.stageTapes(kept);
  const { ms, nfeF, nfeB, loss } = timeSteps(cfg, spiral);
  ode.laneTraining(true);
  ode.stageTapes(true);
  wasm[variant] = median(ms);
  console.log(JSON.stringify({ bench: 'ode_demo', runtime: 'wasm', variant, iterations: iters, ms_per_iter_median: +median(ms).toFixed(4),
    nfe_forward_per_iter: nfeF / iters, nfe_backward_per_iter: nfeB / iters, final_batch_loss: loss, heap_bytes: ode.heapBytes() }));
}
console.log(JSON.stringify({ bench: 'ode_demo', runtime: 'wasm', variant: 'rk4/direct',
  rows_over_lanes_ms: +(wasm['rk4/direct, row path (former)'] / wasm['rk4/direct']).toFixed(2),
  recomputed_over_kept_ms: +(wasm['rk4/direct, stage passes recomputed (former)'] / wasm['rk4/direct']).toFixed(2) }));

const nativeBin = fileURLToPath(new URL('../build/bench/nde_bench', import.meta.url));
if (existsSync(nativeBin)) {
  const lines = execFileSync(nativeBin, [String(iters), 'ode_demo']).toString().trim().split('\n').map((l) => JSON.parse(l));
  for (const l of lines.filter((x) => x.bench === 'ode_demo' && x.ms_per_iter_median !== undefined && x.variant in wasm)) {
    console.log(JSON.stringify({ bench: 'wasm-vs-native', variant: l.variant, wasm_ms: +wasm[l.variant].toFixed(4),
      native_ms: l.ms_per_iter_median, ratio_wasm_over_native: +(wasm[l.variant] / l.ms_per_iter_median).toFixed(2) }));
  }
} else {
  console.log(JSON.stringify({ bench: 'wasm-vs-native', skipped: `no native benchmark at ${nativeBin}` }));
}
if (process.argv[3] === 'ode_demo') process.exit(0);

{
  // Page-like: 3 strokes of 60 points with jittered times at the core's defaults (16 windows of 10 points, one
  // joint solve read by dense output, checkpointed gradient), as nde_bench's page-like line (issue 9: ≤ 1.3 ms).
  const strokes = ode.sampleSystem('toggle', { trajectories: 3, points: 60 }).trajectories;
  const { ms, nfeF, nfeB } = timeSteps(undefined, strokes);
  console.log(JSON.stringify({ bench: 'page-like', runtime: 'wasm', variant: 'joint (dense output)', iterations: iters,
    ms_per_iter_median: +median(ms).toFixed(4), nfe_forward_per_iter: nfeF / iters, nfe_backward_per_iter: nfeB / iters }));
  if (existsSync(nativeBin)) {
    const native = execFileSync(nativeBin, [String(iters), 'page-like']).toString().trim().split('\n').map((l) => JSON.parse(l))
      .find((x) => x.bench === 'page-like' && x.variant === 'joint (dense output)');
    console.log(JSON.stringify({ bench: 'wasm-vs-native', variant: 'page-like joint', wasm_ms: +median(ms).toFixed(4),
      native_ms: native.ms_per_iter_median, ratio_wasm_over_native: +(median(ms) / native.ms_per_iter_median).toFixed(2) }));
  }
}

/** Page-like training (3 strokes of 60 points, the core's defaults) with `set(true)` (the mode `now`) against
 * `set(false)` (`former`): `runs` alternating runs of `iters` steps after 30 warm-up steps, the process's CPU time per
 * iteration (the wall time of a loaded machine counts other processes' time too), backward NFE and final losses. */
function alternatingPageLike(set, now, former, runs) {
  const strokes = ode.sampleSystem('toggle', { trajectories: 3, points: 60 }).trajectories;
  const cpu = { [now]: [], [former]: [] }, losses = { [now]: [], [former]: [] }, nfeB = {};
  for (let round = 0; round < runs; round++) {
    for (const mode of round % 2 ? [former, now] : [now, former]) {
      set(mode === now);
      const tr = new ode.Trainer();
      for (const t of strokes) tr.addTrajectory(t.times, t.states);
      for (let i = 0; i < 30; i++) tr.step();
      const c0 = process.cpuUsage();
      let b = 0;
      for (let i = 0; i < iters; i++) b += tr.step().nfeBackward;
      const c = process.cpuUsage(c0);
      cpu[mode].push((c.user + c.system) / 1000 / iters);
      losses[mode].push(tr.loss());
      nfeB[mode] = b / iters;
      tr.delete();
    }
  }
  set(true);
  return { cpu, losses, nfeB, ratio: median(cpu[former]) / median(cpu[now]) };
}

{
  // The tiled kernel for the 32×32 layer's products against Eigen's GEMM (the former path; scalar in wasm), both on the
  // row path (the points-in-lanes kernels below take the page net's passes by default).
  ode.laneTraining(false);
  const { cpu, ratio } = alternatingPageLike((on) => ode.tiledKernels(on), 'tiled', 'eigen', 3);
  ode.laneTraining(true);
  console.log(JSON.stringify({ bench: 'page-like-kernels', runtime: 'wasm', iterations: iters, runs: 3, cpu_ms_per_iter_tiled: cpu.tiled.map((x) => +x.toFixed(3)),
    cpu_ms_per_iter_eigen: cpu.eigen.map((x) => +x.toFixed(3)), eigen_over_tiled_median: +ratio.toFixed(2) }));
}

{
  // The checkpointed gradient's reverse sweep from the forward solve's kept stage passes against the former path (every
  // reversed step's stages evaluated again); the losses must be the same bit for bit.
  const { cpu, losses, nfeB, ratio } = alternatingPageLike((on) => ode.stageTapes(on), 'kept', 'recomputed', 4);
  console.log(JSON.stringify({ bench: 'page-like-stage-tapes', runtime: 'wasm', iterations: iters, runs: 4,
    cpu_ms_per_iter_kept: cpu.kept.map((x) => +x.toFixed(3)), cpu_ms_per_iter_recomputed: cpu.recomputed.map((x) => +x.toFixed(3)),
    recomputed_over_kept_median: +ratio.toFixed(2), nfe_backward_per_iter_kept: +nfeB.kept.toFixed(1),
    nfe_backward_per_iter_recomputed: +nfeB.recomputed.toFixed(1),
    same_losses: losses.kept.every((x, i) => x === losses.recomputed[i]) }));
}

{
  // The net's passes through the float64 points-in-lanes kernels (two hidden layers, SIMD128) against the former row
  // path; the losses agree to rounding (the forward passes bit for bit, the reverse passes' sums in another order).
  const { cpu, losses, ratio } = alternatingPageLike((on) => ode.laneTraining(on), 'lanes', 'rows', 4);
  console.log(JSON.stringify({ bench: 'page-like-lanes', runtime: 'wasm', iterations: iters, runs: 4,
    cpu_ms_per_iter_lanes: cpu.lanes.map((x) => +x.toFixed(3)), cpu_ms_per_iter_rows: cpu.rows.map((x) => +x.toFixed(3)),
    rows_over_lanes_median: +ratio.toFixed(2),
    max_loss_rel_diff: Math.max(...losses.lanes.map((x, i) => Math.abs(x - losses.rows[i]) / Math.abs(losses.rows[i]))) }));
}
if (process.argv[3] === 'page-like') process.exit(0);

{
  // The same comparison on a density step (two moons, the page's network and optimiser; exact trace, whose gradient's
  // forward-over-reverse products go through the kernel too): CPU time of 20 steps after 5, alternating runs.
  const cpu = { tiled: [], eigen: [] };
  for (let round = 0; round < 3; round++) {
    for (const mode of round % 2 ? ['eigen', 'tiled'] : ['tiled', 'eigen']) {
      ode.tiledKernels(mode === 'tiled');
      const dt = new ode.DensityTrainer({ hidden: [32, 32], optimizer: { name: 'adam', lr: 0.01 } });
      dt.addSamples(ode.sampleDensity('two-moons', 2000, 0));
      for (let i = 0; i < 5; i++) dt.step();
      const c0 = process.cpuUsage();
      for (let i = 0; i < 20; i++) dt.step();
      const c = process.cpuUsage(c0);
      cpu[mode].push((c.user + c.system) / 1000 / 20);
      dt.delete();
    }
  }
  ode.tiledKernels(true);
  console.log(JSON.stringify({ bench: 'density-kernels', runtime: 'wasm', preset: 'two-moons', steps: 20, runs: 3,
    cpu_ms_per_iter_tiled: cpu.tiled.map((x) => +x.toFixed(2)), cpu_ms_per_iter_eigen: cpu.eigen.map((x) => +x.toFixed(2)),
    eigen_over_tiled_median: +(median(cpu.eigen) / median(cpu.tiled)).toFixed(2) }));
}

gridBench();

// Phase-portrait analysis of a 64×64 view (issue 12's budget: ≤ 200 ms), learned (default config, preset data,
// 200 steps) and true; then the gradient-truth panel's cost on the same model.
for (const name of ['toggle', 'van-der-pol', 'pendulum']) {
  const tr = new ode.Trainer();
  for (const t of ode.sampleSystem(name, { trajectories: 8, points: 40, seed: 0 }).trajectories) tr.addTrajectory(t.times, t.states);
  tr.step(200);
  const view = { ...ode.systemInfo(name).bounds, nx: 64, ny: 64 };
  for (const subject of ['learned', 'true']) {
    const ms = [];
    let summary = '';
    for (let i = 0; i < 5; i++) {
      const a = performance.now();
      summary = (subject === 'learned' ? tr.analyze(view) : ode.analyzeSystem(name, view)).summary;
      ms.push(performance.now() - a);
    }
    console.log(JSON.stringify({ bench: 'analysis', system: name, subject, grid: '64x64', ms_median: +median(ms).toFixed(1), summary }));
  }
  const a = performance.now();
  const g = tr.gradientTruth();
  console.log(JSON.stringify({ bench: 'gradient-truth', system: name, ms: +(performance.now() - a).toFixed(1), tolerance: g.tolerance,
    methods: g.methods.map((m) => ({ method: m.method, rel_to_fd: +m.relToFd.toExponential(2), rel_to_direct: +m.relToDirect.toExponential(2),
      nfe_forward: m.nfeForward, nfe_backward: m.nfeBackward, stored_states: m.storedStates, ms: +m.millis.toFixed(1) })) }));
  if (name === 'toggle') {
    for (const p of tr.memorySweep([100, 1000, 10000]))
      console.log(JSON.stringify({ bench: 'memory-vs-steps', runtime: 'wasm', system: name, steps: p.steps, method: p.method,
        accepted: p.accepted, stored_states: p.storedStates, nfe_forward: p.nfeForward, nfe_backward: p.nfeBackward, ms: +p.millis.toFixed(1), status: p.status }));
  }
  tr.delete();
}

// The worker's portrait of the largest model after a pause (256 × 6 on Van der Pol, 64 × 64 with the true portrait, a
// 4 s work budget) as a resumable job in 40 ms pieces: how many, the work in all, the longest piece (a unit's overrun;
// on a loaded box mostly descheduling).
{
  const name = 'van-der-pol';
  const tr = new ode.Trainer({ hidden: Array(6).fill(256), optimizer: { name: 'adam', lr: 0.01, clip: 10 } });
  for (const t of ode.sampleSystem(name, { trajectories: 8, seed: 0 }).trajectories) tr.addTrajectory(t.times, t.states);
  const job = tr.analyzeJob({ ...ode.systemInfo(name).bounds, nx: 64, ny: 64 }, { truth: name, maxMillis: 4000 });
  const ms = [];
  for (let done = false; !done;) {
    const a = performance.now();
    done = job.run({ maxMillis: 40 });
    ms.push(performance.now() - a);
  }
  const r = job.result();
  job.delete();
  tr.delete();
  console.log(JSON.stringify({ bench: 'analysis-pieces', system: name, network: '256x6', grid: '64x64', piece_ms: 40, pieces: ms.length,
    work_ms: +ms.reduce((a, b) => a + b, 0).toFixed(0), longest_ms: +Math.max(...ms).toFixed(1), complete: r.complete, summary: r.summary }));
}

// Density presets with the page's network and optimiser (2-32-32-2, Adam 0.01) at the core's density defaults (batch
// 128, exact trace, rtol = atol = 1e-5; the page uses these tolerances too — its density rtol/atol settings default to them — and passes clip 10): NLL against training
// time in chunks of CHUNK_MS as the worker runs them (resumable steps; DENSITY_SECONDS per preset, 20 by default), and the time to
// come within 0.2 nats of the last value.
const densitySeconds = Number(process.env.DENSITY_SECONDS ?? 20);
for (const name of ode.densityPresets()) {
  const dt = new ode.DensityTrainer({ hidden: [32, 32], optimizer: { name: 'adam', lr: 0.01 } });
  dt.addSamples(ode.sampleDensity(name, 2000, 0));
  const curve = [[0, dt.nll()]];
  let train = 0, iteration = 0, next = densitySeconds * 100;
  while (train < densitySeconds * 1000) {
    const a = performance.now();
    iteration = trainChunk(dt).iteration;
    train += performance.now() - a;
    if (train >= next) {
      curve.push([train / 1000, dt.nll()]);
      next += densitySeconds * 100;
    }
  }
  const last = curve[curve.length - 1][1];
  const within = curve.find(([, nll]) => nll <= last + 0.2)[0];
  console.log(JSON.stringify({ bench: 'density-preset', runtime: 'wasm', preset: name, seconds: +(train / 1000).toFixed(1), iterations: iteration,
    ms_per_iter: +(train / Math.max(1, iteration)).toFixed(1), nll_start: +curve[0][1].toFixed(3), nll_end: +last.toFixed(3),
    seconds_to_within_0_2_nats_of_end: +within.toFixed(1) }));
  dt.delete();
}

// Fidelity per reference system (bench/bench_fidelity.cpp's lines, in wasm): the default trainer on the system's
// default samples (the page's preset data) for FIDELITY_SECONDS (20) of training in CHUNK_MS chunks, as the worker
// runs it: iterations and seconds to 10 % field error on the data (checked every ~0.5 s), the final field error
// on the data and near it (each observation ±5 % of the data's extent along each axis), the rollout error (RMS
// distance of whole-trajectory rollouts over the extent) and NFE per iteration.
function fidelityBench() {
  const fidelitySeconds = Number(process.env.FIDELITY_SECONDS ?? 20);
  for (const name of ode.systems()) {
    const info = ode.systemInfo(name);
    const d = info.dim;
    const data = ode.sampleSystem(name, { seed: 0 }).trajectories;
    const tr = new ode.Trainer({ dim: d });
    for (const t of data) tr.addTrajectory(t.times, t.states);
    const on = Float64Array.from(data.flatMap((t) => Array.from(t.states)));
    const lo = Array(d).fill(Infinity), hi = Array(d).fill(-Infinity);
    for (let k = 0; k < on.length; k++) { lo[k % d] = Math.min(lo[k % d], on[k]); hi[k % d] = Math.max(hi[k % d], on[k]); }
    const extent = Math.max(...hi.map((h, j) => h - lo[j]));
    const near = [];
    for (let k = 0; k < on.length; k += d)
      for (let j = 0; j < d; j++)
        for (const s of [1, -1]) { const p = Array.from(on.subarray(k, k + d)); p[j] += s * 0.05 * extent; near.push(...p); }
    const nearPts = Float64Array.from(near);
    const truthOn = ode.systemField(name, on), truthNear = ode.systemField(name, nearPts);
    const err = (pts, truth) => {
      const f = tr.field(pts);
      let num = 0, den = 0;
      for (let k = 0; k < f.length; k++) { num += (f[k] - truth[k]) ** 2; den += truth[k] ** 2; }
      return Math.sqrt(num / den);
    };
    let train = 0, iteration = 0, nfe = 0, check = 500, to10 = null;
    while (train < fidelitySeconds * 1000) {
      const a = performance.now();
      const r = trainChunk(tr);
      train += performance.now() - a;
      iteration = r.iteration;
      nfe += r.nfeForward + r.nfeBackward;
      if (r.status !== 'success') break;
      if (to10 === null && train >= check) {
        check += 500;
        if (err(on, truthOn) <= 0.1) to10 = { iterations: iteration, seconds: +(train / 1000).toFixed(1) };
      }
    }
    let sq = 0, n = 0;
    for (const t of data) {
      const r = tr.integrate(t.states.subarray(0, d), t.times);
      for (let k = 0; k < r.states.length; k += d) {
        let e = 0;
        for (let j = 0; j < d; j++) e += (r.states[k + j] - t.states[k + j]) ** 2;
        sq += e;
        n += 1;
      }
    }
    console.log(JSON.stringify({ bench: 'fidelity', runtime: 'wasm', system: name, dim: d, points: info.points, seconds: +(train / 1000).toFixed(1),
      iterations: iteration, iterations_to_10pct: to10?.iterations ?? -1, seconds_to_10pct: to10?.seconds ?? -1,
      field_error_data: +err(on, truthOn).toFixed(4), field_error_near: +err(nearPts, truthNear).toFixed(4),
      rollout_error: +(Math.sqrt(sq / n) / extent).toFixed(4), nfe_per_iteration: +(nfe / Math.max(1, iteration)).toFixed(1) }));
    tr.delete();
  }
}
fidelityBench();

// The largest model the page allows (256 × 6) on the Van der Pol preset: writing and reading its document as JSON
// (toJSON / fromJSON: number text both ways) against packed (toPacked / fromPacked: a JSON header and float64 bytes),
// and its whole-data loss in one call against the worker's resumable pieces (lossPiece of one chunk each).
{
  const vdp = ode.sampleSystem('van-der-pol', { seed: 0 }).trajectories;
  const big = new ode.Trainer({ hidden: Array(6).fill(256), optimizer: { name: 'adam', lr: 0.01, clip: 10 } });
  for (const t of vdp) big.addTrajectory(t.times, t.states);
  while (big.iteration() < 1) trainChunk(big);
  const time = (f) => {
    const a = performance.now();
    const v = f();
    return [performance.now() - a, v];
  };
  const [jsonWrite, doc] = time(() => big.toJSON());
  const text = JSON.stringify(doc);
  const [jsonRead, fromJson] = time(() => ode.Trainer.fromJSON(doc));
  const [packedWrite, bytes] = time(() => big.toPacked());
  const [packedRead, fromPacked] = time(() => ode.Trainer.fromPacked(bytes));
  const same = JSON.stringify(fromPacked.toJSON()) === text && JSON.stringify(fromJson.toJSON()) === text;
  console.log(JSON.stringify({ bench: 'model-document', runtime: 'wasm', network: '256x6', parameters: big.parameters().length,
    json_chars: text.length, packed_bytes: bytes.length, json_write_ms: +jsonWrite.toFixed(1), json_read_ms: +jsonRead.toFixed(1),
    packed_write_ms: +packedWrite.toFixed(1), packed_read_ms: +packedRead.toFixed(1), round_trip_identical: same }));
  fromJson.delete();
  fromPacked.delete();
  const parts = [];
  let pieces = 0, slowest = 0, total = 0;
  for (let i = 0; i < vdp.length; i++) {
    let r;
    do {
      const [ms, v] = time(() => big.lossPiece({ maxMillis: CHUNK_MS, trajectory: i }));
      r = v;
      pieces++;
      slowest = Math.max(slowest, ms);
      total += ms;
    } while (!r.done);
    parts.push([r.loss * (vdp[i].times.length - 1), vdp[i].times.length - 1]);
  }
  const [oneCall, whole] = time(() => big.loss({ maxMillis: 60000 }));
  const pieced = parts.reduce((a, p) => a + p[0], 0) / parts.reduce((a, p) => a + p[1], 0);
  console.log(JSON.stringify({ bench: 'whole-data-loss', runtime: 'wasm', network: '256x6', trajectories: vdp.length, piece_budget_ms: CHUNK_MS,
    pieces, slowest_piece_ms: +slowest.toFixed(1), pieces_total_ms: +total.toFixed(1), one_call_ms: +oneCall.toFixed(1),
    loss_pieces: pieced, loss_one_call: whole }));
  big.delete();
}

for (const file of ['neural-ode-core.wasm', 'neural-ode-core.mjs', '../api.js']) {
  const bytes = readFileSync(new URL(`./build/${file}`, import.meta.url));
  console.log(JSON.stringify({ bench: 'size', file: file.replace('../', ''), bytes: bytes.length, gzip_bytes: gzipSync(bytes, { level: 9 }).length }));
}
