// Worker profile (not a test; run after `npx vite build`): the page's worker thread sampled by V8's CPU profiler while
// it trains 3 drawn strokes (the strokes of bench-page.mjs), through the DevTools protocol on the worker's target.
// Prints the share of the samples per entry point (the training step, rollouts, grid, whole-data loss, postMessage, idle)
// and the functions with the most self time; writes the profile (open it in Chromium's DevTools). Function names of the
// wasm module need a build linked with --profiling-funcs (else wasm-function[N]).
// usage: node web/e2e/profile-worker.mjs [seconds=5] [out=worker.cpuprofile]
import { writeFileSync } from 'node:fs';

import { drawBenchStrokes, openFresh, openSession } from './browser.mjs';

const seconds = Number(process.argv[2] ?? 5);
const out = process.argv[3] ?? 'worker.cpuprofile';
/** The API calls whose time (with everything under them) is counted apart. */
const ENTRIES = ['step', 'integrate', 'sampleGrid', 'lossPiece', 'field', 'systemField', 'toPacked', 'postMessage'];

const session = await openSession();
const { page, url } = session;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


try {
  await openFresh(page, url);
  await drawBenchStrokes(page);
  // The worker's target, driven through the page's session with non-flat target messages (playwright's CDPSession
  // sends to one session only).
  const cdp = await page.context().newCDPSession(page);
  const { targetInfos } = await cdp.send('Target.getTargets');
  const target = targetInfos.find((t) => t.type === 'worker');
  if (!target) throw new Error('no worker target');
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
  let lastId = 0;
  const waiting = new Map();
  cdp.on('Target.receivedMessageFromTarget', (e) => {
    const m = JSON.parse(e.message);
    if (m.id && waiting.has(m.id)) {
      waiting.get(m.id)(m);
      waiting.delete(m.id);
    }
  });
  const send = (method, params = {}) => new Promise((ok) => {
    const id = ++lastId;
    waiting.set(id, ok);
    void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) });
  });
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await sleep(2000);
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 200 });
  const i0 = await page.evaluate(() => window.playground.progress.iteration);
  await send('Profiler.start');
  await sleep(seconds * 1000);
  const { result } = await send('Profiler.stop');
  const i1 = await page.evaluate(() => window.playground.progress.iteration);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  const prof = result.profile;
  writeFileSync(out, JSON.stringify(prof));

  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const entries = {}, self = {};
  let total = 0;
  prof.samples.forEach((s, k) => {
    const t = prof.timeDeltas[k] ?? 0;
    total += t;
    const stack = [];
    for (let id = s; id !== undefined; id = parent.get(id)) stack.push(byId.get(id).callFrame.functionName);
    const hit = [...stack].reverse().find((f) => ENTRIES.includes(f));
    const key = hit ?? (stack[0].startsWith('(') ? stack[0] : 'other');
    entries[key] = (entries[key] ?? 0) + t;
    const name = stack[0] || '(anonymous)';
    self[name] = (self[name] ?? 0) + t;
  });
  const share = (o, n) => Object.fromEntries(Object.entries(o).sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => [k.slice(0, 80), +(v / total).toFixed(3)]));
  console.log(JSON.stringify({ bench: 'worker-profile', runtime: 'chromium', seconds, iterations: i1 - i0, profile: out,
    share_by_entry: share(entries, 12), share_self_top: share(self, 12) }));
} finally {
  await session.close();
}
