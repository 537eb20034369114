// Page benchmark (not a test; run after `npx vite build`): the page served from dist/ in headless Chromium, as a user
// meets it. Prints JSON lines:
//  - page-train: iterations per second while training 3 drawn strokes at the default settings (issue 9: ~93 it/s before,
//    aim ≥ 5× more), measured over PAGE_SECONDS (10) after 2 s of warm-up, with the particles and without
//    (PAGE_VARIANTS), with the worker thread's CPU time per iteration and what the browser's other threads took;
//  - page-density: each density preset trained on the page for DENSITY_SECONDS (60): the whole-data NLL the page shows,
//    sampled every second, and the seconds until it came within 0.2 nats of its plateau (taken as its value at the end).
//  - page-vs-baseline (only when BASELINE_DIST names a built page, e.g. issue 9's starting point built by
//    bench/baseline-page.sh): that page and this one, each from a fresh load with its own defaults, the same 3 strokes,
//    it/s over PAGE_SECONDS, alternating (baseline, current, current, baseline, baseline, current), and the ratio of the
//    medians — the "≥ 5× more it/s" measured on the machine at hand.
// usage: node web/e2e/bench-page.mjs [trajectories|density|baseline]   (all by default; DENSITY_PRESETS=rings,… for
// some presets only)
import { cpus, loadavg } from 'node:os';

import { median } from '../../bench/stats.mjs';
import { createNeuralOde } from '../../wasm/api.js';
import { serve } from '../serve.mjs';
import { drawBenchStrokes, openFresh, openSession } from './browser.mjs';
import { available, browserThreads, threadsSince, workerMillis } from './cpu-threads.mjs';

const only = process.argv[2];
const pageSeconds = Number(process.env.PAGE_SECONDS ?? 10);
const densitySeconds = Number(process.env.DENSITY_SECONDS ?? 60);
const session = await openSession();
const { page, url } = session;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const progress = () => page.evaluate(() => {
  const p = window.playground.progress;
  return p && { iteration: p.iteration, dataLoss: p.dataLoss, dataLossIteration: p.dataLossIteration, millis: p.millis,
    nfeForward: p.nfeForward, nfeBackward: p.nfeBackward, dataLossMillis: p.dataLossMillis, visualMillis: p.visualMillis };
});
const load = () => +loadavg()[0].toFixed(2);


const train = () => page.getByRole('button', { name: 'Train', exact: true }).click();
async function pause() {
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await page.getByRole('button', { name: 'Train', exact: true }).waitFor();
}

try {
  if (!only || only === 'trajectories') {
    // With the particles (the default) and without them: headless Chromium draws WebGL in software (SwiftShader) on the
    // same 2 cores the worker trains on; a user's GPU draws them without taking the CPU. Each from a fresh page.
    for (const variant of (process.env.PAGE_VARIANTS ?? 'particles,no-particles').split(',')) {
      await openFresh(page, url, variant === 'no-particles' ? '?lp=0' : '');
      await drawBenchStrokes(page);
      const strokes = await page.evaluate(() => window.playground.strokes);
      await train();
      await page.waitForFunction(() => (window.playground.progress?.iteration ?? 0) > 0, null, { timeout: 30000 });
      await sleep(2000);
      const p0 = await progress(), t0 = performance.now(), l0 = load(), c0 = browserThreads();
      // What the worker reports every half second: the last step's ms and NFE, what its last whole-data loss and
      // visuals cost (ms).
      const samples = [];
      while (performance.now() - t0 < pageSeconds * 1000) {
        await sleep(500);
        samples.push(await progress());
      }
      const p1 = await progress(), t1 = performance.now(), threads = threadsSince(c0);
      const mean = (key) => +(samples.reduce((a, p) => a + p[key], 0) / samples.length).toFixed(2);
      await pause();
      const iterations = p1.iteration - p0.iteration, wall = t1 - t0, worker = workerMillis(threads);
      const others = Object.values(threads).reduce((a, v) => a + v, 0) - worker;
      console.log(JSON.stringify({ bench: 'page-train', runtime: 'chromium', variant, strokes, seconds: +(wall / 1000).toFixed(1),
        iterations, it_per_s: +(iterations / (wall / 1000)).toFixed(1),
        ms_per_step_sampled: mean('millis'), nfe_per_step_sampled: [mean('nfeForward'), mean('nfeBackward')],
        data_loss_ms_sampled: mean('dataLossMillis'), visual_ms_sampled: mean('visualMillis'), data_loss: p1.dataLoss,
        // CPU time (Linux /proc): the worker thread's per iteration (all its work: steps, losses, visuals, messages) and
        // its share of the wall time (1 = a core of its own), and the rest of the browser's threads per second of wall.
        ...(available ? { worker_cpu_ms_per_iter: +(worker / Math.max(1, iterations)).toFixed(3), worker_cpu_share: +(worker / wall).toFixed(2),
          other_threads_cpu_ms_per_s: +(others / (wall / 1000)).toFixed(0),
          busiest_other_threads: Object.fromEntries(Object.entries(threads).filter(([k]) => !/DedicatedWorker/.test(k)).slice(0, 4)) } : {}),
        load: [l0, load()], cpus: cpus().length }));
    }
  }

  if (!only || only === 'density') {
    const ode = await createNeuralOde();
    const presets = process.env.DENSITY_PRESETS ? process.env.DENSITY_PRESETS.split(',') : ode.densityPresets();
    for (const preset of presets) {
      await openFresh(page, url, `?task=density&preset=${preset}`);
      await page.waitForFunction(() => window.playground.task === 'density' && window.playground.densitySamples > 0, null, { timeout: 30000 });
      const l0 = load();
      await train();
      const start = performance.now();
      const curve = [];
      while (performance.now() - start < densitySeconds * 1000) {
        await sleep(1000);
        const p = await progress();
        if (p && Number.isFinite(p.dataLoss)) curve.push([+((performance.now() - start) / 1000).toFixed(1), p.dataLoss, p.iteration]);
      }
      await pause();
      const end = curve.length ? curve[curve.length - 1] : [0, NaN, 0];
      const within = curve.find(([, nll]) => nll <= end[1] + 0.2);
      console.log(JSON.stringify({ bench: 'page-density', runtime: 'chromium', preset, seconds: densitySeconds, iterations: end[2],
        ms_per_iter: +((densitySeconds * 1000) / Math.max(1, end[2])).toFixed(1), nll_first: curve[0]?.[1] ?? null, nll_end: end[1],
        nll_min: Math.min(...curve.map((c) => c[1])), seconds_to_within_0_2_nats_of_end: within ? within[0] : null,
        curve: curve.filter((_, i) => i % 5 === 4).map(([s, nll, it]) => [s, +nll.toFixed(3), it]), load: [l0, load()] }));
    }
  }
  if (only === 'baseline' && !process.env.BASELINE_DIST) {
    console.log(JSON.stringify({ bench: 'page-vs-baseline', skipped: 'BASELINE_DIST is not set (bench/baseline-page.sh builds one)' }));
  }
  if (process.env.BASELINE_DIST && (!only || only === 'baseline')) {
    // The iteration count both pages show (#iteration; the current page's equals window.playground.progress.iteration).
    const shown = () => page.evaluate(() => Number(document.getElementById('iteration')?.textContent ?? NaN));
    const baseline = await serve(process.env.BASELINE_DIST, 0, {});
    const urls = { baseline: baseline.url, current: url };
    const runs = { baseline: [], current: [] }, cpu = { baseline: [], current: [] };
    try {
      for (const which of ['baseline', 'current', 'current', 'baseline', 'baseline', 'current']) {
        await openFresh(page, urls[which]);
        await drawBenchStrokes(page);
        await train();
        await page.waitForFunction(() => Number(document.getElementById('iteration')?.textContent ?? 0) > 0, null, { timeout: 30000 });
        await sleep(2000);
        const i0 = await shown(), t0 = performance.now(), l0 = load(), c0 = browserThreads();
        await sleep(pageSeconds * 1000);
        const i1 = await shown(), wall = performance.now() - t0, worker = workerMillis(threadsSince(c0));
        await pause();
        const itPerS = (i1 - i0) / (wall / 1000), cpuPerIter = worker / Math.max(1, i1 - i0);
        runs[which].push(itPerS);
        if (available) cpu[which].push(cpuPerIter);
        console.log(JSON.stringify({ bench: 'page-vs-baseline', runtime: 'chromium', page: which, seconds: +(wall / 1000).toFixed(1),
          iterations: i1 - i0, it_per_s: +itPerS.toFixed(1),
          ...(available ? { worker_cpu_ms_per_iter: +cpuPerIter.toFixed(3) } : {}), load: [l0, load()] }));
      }
    } finally {
      baseline.server.close();
    }
    // In wall time the starting page also pays for drawing its fixed 20,000 particles in software (headless Chromium's
    // SwiftShader shares the cores with the worker; the current page adapts its count): the worker's CPU time per
    // iteration compares the training alone.
    console.log(JSON.stringify({ bench: 'page-vs-baseline', runtime: 'chromium', baseline: process.env.BASELINE_DIST,
      it_per_s_baseline: +median(runs.baseline).toFixed(1), it_per_s_current: +median(runs.current).toFixed(1),
      current_over_baseline: +(median(runs.current) / median(runs.baseline)).toFixed(2),
      ...(available ? { worker_cpu_ms_per_iter_baseline: +median(cpu.baseline).toFixed(3), worker_cpu_ms_per_iter_current:
        +median(cpu.current).toFixed(3), cpu_per_iter_baseline_over_current: +(median(cpu.baseline) / median(cpu.current)).toFixed(2) } : {}),
      cpus: cpus().length }));
  }
} finally {
  await session.close();
}
