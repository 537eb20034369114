// Every message is answered while the worker's long computations run, for the largest model: the phase portrait after a
// Step (256 × 6 on Van der Pol: seconds of work), the Step itself (one iteration: seconds), the gradient check and the
// memory demo run in resumable pieces. The page pings the worker (a 'ping' message answered at once with 'pong': what
// work is queued, the longest tick since the last ping) and uses Train / Pause meanwhile. Latencies are logged; only
// generous sanity bounds are asserted (the machine is slow and shared).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { openFresh } from './browser.mjs';
import { useSession } from './session.mjs';

let session, url, page;
useSession((s) => ({ url, page } = session = s));

const pg = (key) => page.evaluate((k) => window.playground[k], key);
const ping = () => page.evaluate(() => window.playground.ping());
/** A sanity bound on one answer (ms): a piece (~40–100 ms) plus the page's own frame, on a loaded box. */
const BOUND = 1500;

/** Pings every `gap` ms while `busy(pong)` holds (at most `n` times); the pongs. */
async function pingWhile(busy, n = 12, gap = 150) {
  const pongs = [];
  for (let k = 0; k < n; k++) {
    const p = await ping();
    pongs.push(p);
    if (!busy(p)) break;
    await page.waitForTimeout(gap);
  }
  return pongs;
}

const show = (label, pongs) => console.log(`${label}: answered after ${pongs.map((p) => Math.round(p.millis)).join(', ')} ms; ` +
  `longest tick ${pongs.map((p) => Math.round(p.longestTick)).join(', ')} ms; longest piece ${pongs.map((p) => `${Math.round(p.longestPiece.millis)} ${p.longestPiece.kind}`).join(', ')}; ` +
  `queued ${pongs.map((p) => p.pending.join('+') || '-').join(', ')}`);

test('256 × 6: Step, the portrait after it, the gradient check and the memory demo leave the worker answering', async () => {
  await openFresh(page, url, '?w=256&d=6&preset=van-der-pol');
  await page.waitForFunction(() => window.playground.strokes === 8, null, { timeout: 60000 });
  for (const key of ['showEquilibria', 'showBasins']) await page.locator(`#layer-${key}`).check();
  await ping(); // resets the longest tick

  // Step: one iteration of seconds, in pieces.
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  const stepping = await pingWhile((p) => p.pending.includes('step'), 40, 150);
  show('Step', stepping);
  // (An early iteration may be short: whether a ping came while it ran is logged, not asserted.)
  await page.waitForFunction(() => window.playground.progress?.iteration === 1, null, { timeout: 120000 });

  // The portrait of the new weights (queued after the field error, the loss and the visuals): seconds of work in pieces.
  const portrait = await pingWhile((p) => p.pending.length > 0, 80, 150);
  show('portrait', portrait);
  assert.ok(portrait.some((p) => p.pending.includes('analysis')), 'a ping came while the portrait was under way');
  // A control while it runs: Train is confirmed by the worker (then Pause), and the portrait still comes.
  // Measured in the page (click to the worker's confirmation arriving), polled by timers, not frames.
  const trainMs = await page.evaluate(() => new Promise((ok) => {
    const t0 = performance.now();
    document.querySelector('#train').click();
    const check = () => (window.playground.workerRunning ? ok(performance.now() - t0) : setTimeout(check, 2));
    check();
  }));
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await page.waitForFunction(() => !window.playground.workerRunning, null, { timeout: 10000 });
  const pause = await pg('lastPause');
  console.log(`Train confirmed after ${Math.round(trainMs)} ms, Pause after ${Math.round(pause.millis)} ms (page to worker and back)`);
  assert.ok(trainMs < 5000 && pause.millis < BOUND, `Train ${trainMs} ms, Pause ${pause.millis} ms`);
  const after = await pingWhile((p) => p.pending.length > 0, 120, 150);
  show('portrait after Pause', after);
  await page.waitForFunction(() => window.playground.portrait !== null, null, { timeout: 120000 });
  const p = await pg('portrait');
  console.log(`portrait of iteration ${p.iteration}: ${p.summary} (complete: ${p.complete})`);

  // The gradient check and the memory demo: pieces between which Pause and every message are answered.
  await page.locator('#inspect summary').click();
  await page.getByRole('button', { name: 'Check the gradient' }).click();
  const gradient = await pingWhile((p) => p.pending.includes('gradient'), 8, 200);
  show('gradient check', gradient);
  assert.ok(gradient.some((p) => p.pending.includes('gradient')), 'a ping came while the gradient check was under way');
  await page.getByRole('button', { name: 'Memory vs solver steps' }).click();
  const memory = await pingWhile((p) => p.pending.includes('memory'), 8, 200);
  show('memory demo', memory);
  assert.ok(memory.some((p) => p.pending.includes('memory')), 'a ping came while the memory demo was under way');
  // Train and Pause while both checks run (they continue between training chunks).
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.waitForFunction(() => window.playground.workerRunning, null, { timeout: 10000 })
    .catch(async (e) => { console.error(await page.locator('#train').textContent(), await pg('running'), await page.locator('#notice').textContent(), JSON.stringify(await pg('progress'))); throw e; });
  await page.waitForTimeout(300);
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await page.waitForFunction(() => !window.playground.workerRunning, null, { timeout: 10000 });
  const pause2 = await pg('lastPause');
  const checks = await ping();
  console.log(`Pause during the checks answered after ${Math.round(pause2.millis)} ms; still queued: ${checks.pending.join('+')}`);
  assert.ok(pause2.millis < BOUND, `Pause ${pause2.millis} ms`);
  // A settings change meanwhile (the learning rate: a new trainer that keeps the weights), then a ping behind it.
  const lr = page.locator('[data-setting=lr] input');
  await lr.fill('0.005');
  await lr.press('Enter');
  await page.waitForFunction(() => window.playground.settings.lr === 0.005, null, { timeout: 10000 });
  const changed = await pingWhile((p) => p.pending.includes('gradient'), 4, 200);
  show('after a settings change', changed);
  for (const q of changed) assert.ok(q.millis < BOUND, `a ping answered after ${q.millis} ms`);
  for (const q of [...stepping, ...portrait, ...after, ...gradient, ...memory]) assert.ok(q.millis < BOUND, `a ping answered after ${q.millis} ms`);
});
