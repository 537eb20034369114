// Training resumes across a reload (issue 11): the page autosaves the model with its optimiser state (Adam's
// moments and step count) to IndexedDB, so after a reload one Step continues where training stopped: the loss on
// all data equals that of the same Step without the reload, and does not jump (without the optimiser state it
// jumped 20–30×, 0.0041 → 0.086).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { openFresh, pageReady } from './browser.mjs';
import { useSession } from './session.mjs';

let session, url, page;
useSession((s) => ({ url, page } = session = s));

const pg = (key) => page.evaluate((k) => window.playground[k], key);
const ready = () => pageReady(page);
const iterationShown = () => page.evaluate(() => Number(document.querySelector('[data-testid=iteration]').textContent));

/** The whole-data loss once it is known at iteration n (the worker computes it after a Step or a Pause). */
async function lossAt(n) {
  await page.waitForFunction((k) => {
    const p = window.playground.progress;
    return p && p.iteration === k && p.dataLossIteration === k && Number.isFinite(p.dataLoss);
  }, n, { timeout: 60000, polling: 100 });
  return (await pg('progress')).dataLoss;
}

/** The autosaved trajectory model: its iteration and optimiser step count (null while none is stored). */
function autosaved() {
  return page.evaluate(() => new Promise((ok) => {
    const r = indexedDB.open('neural-ode-playground');
    r.onsuccess = () => {
      const g = r.result.transaction('sessions').objectStore('sessions').get('autosave');
      g.onsuccess = () => {
        // Packed (io/packed.ts): the document's header, its long arrays as ranges of float64 values.
        const b = g.result?.session?.model?.packed;
        if (!b) return ok(null);
        const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(8, true));
        const m = JSON.parse(new TextDecoder().decode(b.subarray(24, 24 + n)));
        ok({ iteration: m.iteration, optimizerStep: m.optimizer?.step ?? null, moments: m.optimizer?.m?.packed?.[1] ?? 0 });
      };
      g.onerror = () => ok(null);
    };
    r.onerror = () => ok(null);
  }));
}

/** Polls the autosave (debounced) until it holds the model of iteration n. */
async function autosavedAt(n) {
  let saved = null;
  for (let k = 0; k < 60 && saved?.iteration !== n; ++k) {
    saved = await autosaved();
    if (saved?.iteration !== n) await page.waitForTimeout(250);
  }
  assert.equal(saved?.iteration, n, `the autosave holds the model of iteration ${n}`);
  return saved;
}

/** Copies one record of the page's session store to another key, inside the page (a structured clone). */
function copyRecord(from, to) {
  return page.evaluate(([a, b]) => new Promise((ok, fail) => {
    const r = indexedDB.open('neural-ode-playground');
    r.onsuccess = () => {
      const store = r.result.transaction('sessions', 'readwrite').objectStore('sessions');
      const g = store.get(a);
      g.onsuccess = () => {
        const put = store.put(g.result, b);
        put.onsuccess = () => ok();
        put.onerror = () => fail(new Error('put failed'));
      };
    };
    r.onerror = () => fail(new Error('open failed'));
  }), [from, to]);
}

test('reload mid-training, Step: the loss on all data continues instead of jumping', async () => {
  // A clean profile for this origin, then the spiral preset.
  await openFresh(page, url);
  await page.getByLabel('Preset').selectOption('spiral');
  await page.waitForFunction(() => window.playground.strokes === 8, null, { timeout: 20000 });

  // Train until Adam's moments are mature (≥ 40 iterations), then pause.
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=iteration]').textContent) >= 40, null, { timeout: 120000, polling: 200 });
  await page.locator('#train').click(); // now reads Pause
  await page.waitForFunction(() => !window.playground.workerRunning, null, { timeout: 30000 });
  const n = (await pg('progress')).iteration;
  assert.ok(n >= 40, `trained ${n} iterations`);
  const before = await lossAt(n);

  // The autosave (debounced) holds iteration n with its optimiser state; keep a copy of it.
  const saved = await autosavedAt(n);
  assert.equal(saved.optimizerStep, n, 'with the optimiser step count');
  assert.ok(saved.moments > 0, 'and the optimiser moments');
  await copyRecord('autosave', 'e2e-resume-copy');

  // Uninterrupted: one Step from iteration n.
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  const continued = await lossAt(n + 1);
  await autosavedAt(n + 1); // the page is idle again: no save is pending

  // Interrupted: back to the autosave of iteration n, reload, one Step.
  await copyRecord('e2e-resume-copy', 'autosave');
  await page.reload();
  await ready();
  await page.waitForFunction((k) => Number(document.querySelector('[data-testid=iteration]').textContent) === k, n, { timeout: 30000 });
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  const resumed = await lossAt(n + 1);
  assert.equal(await iterationShown(), n + 1);
  // The same step as without the reload (θ, Adam's moments and step count, the minibatch stream all restored).
  // Restarted moments with a restored iteration count (the bug) jumped the loss 20–30×.
  assert.ok(Math.abs(resumed - continued) <= 1e-9 * continued, `after reload and Step the loss is ${resumed}; without the reload ${continued}`);
  assert.ok(resumed < 1.5 * before, `loss at iteration ${n} was ${before}; after reload and Step it is ${resumed}`);
});
