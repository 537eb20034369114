// Launches Debian's Chromium through playwright-core (no browser download), headless, with WebGL2 via SwiftShader.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { serve } from '../serve.mjs';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** A fresh browser profile; `options` are playwright context options (viewport, hasTouch, isMobile, …). */
export async function launch(options = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'nde-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
    ...options,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
  });
  return {
    context,
    /** The context's first page. */
    async page() {
      return context.pages()[0] ?? (await context.newPage());
    },
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs axe-core in the page (evaluated through the DevTools protocol, so a strict CSP does not block it); the violations. */
export async function axeViolations(page, options = {}) {
  const source = readFileSync(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
  await page.evaluate(source);
  return page.evaluate((o) => window.axe.run(document, o).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }))), options);
}

/** Waits until the page is ready: the worker has started and sent its presets. */
export function pageReady(page) {
  return page.waitForFunction(() => document.querySelector('#preset')?.options.length > 1, null, { timeout: 30000 });
}

/** Clears the autosave from a same-origin page that runs no script (no timer can save again), then opens the page at
 * `url + query` and waits until it is ready. */
export async function openFresh(page, url, query = '') {
  await page.goto(`${url}no-such-page`);
  await page.evaluate(async () => {
    localStorage.clear();
    for (const db of (await indexedDB.databases?.()) ?? []) if (db.name) indexedDB.deleteDatabase(db.name);
  });
  await page.goto(url + query);
  await pageReady(page);
}

/** dist/ served on 127.0.0.1 (with `headers`) and a fresh Chromium (playwright context `options`) with its page, whose
 * uncaught errors are logged and kept: `assertNoPageErrors()` fails on any since its last call (every e2e file calls it
 * in `afterEach`), `takePageErrors()` hands them over (for a test that provokes one on purpose), and `close()` ends both,
 * then fails on any left. Every e2e file opens one in `before` and closes it in `after`.
 * They include the errors the page survives — a layer that threw, the worker's errors outside its own try/catch (an
 * uncaught exception, an unhandled rejection, a message it could not read, its script failing to load): the page
 * reports each as uncaught (`reportError`) besides its notice and `window.playground.errors`, so they arrive here even
 * when the page navigated since (as the debug state would not); errors.test.mjs checks that they do. */
export async function openSession({ headers = {}, options = {} } = {}) {
  const { server, url } = await serve(fileURLToPath(new URL('../../dist', import.meta.url)), 0, headers);
  const browser = await launch(options);
  const page = await browser.page();
  const errors = [];
  page.on('pageerror', (e) => {
    errors.push(e);
    console.error('page error:', e.stack ?? e.message);
  });
  const takePageErrors = () => errors.splice(0);
  const assertNoPageErrors = () => {
    const got = takePageErrors();
    assert.equal(got.length, 0, `uncaught errors in the page:\n${got.map((e) => e.stack ?? e.message).join('\n')}`);
  };
  return {
    server, url, browser, page, takePageErrors, assertNoPageErrors,
    async close() {
      await browser.close();
      server.close();
      assertNoPageErrors();
    },
  };
}

/** Draws the benches' three curved strokes of 30 pointer moves each on the phase plane, the moves ~10–18 ms apart with
 * jittered times, as from a hand (bench-page.mjs and profile-worker.mjs train on them). */
export async function drawBenchStrokes(page) {
  const box = await page.getByTestId('phase-plane').boundingBox();
  const at = ([fx, fy]) => [box.x + box.width * fx, box.y + box.height * fy];
  for (const [cx, cy, r, a0] of [[0.35, 0.4, 0.2, 0], [0.6, 0.6, 0.15, 2], [0.5, 0.3, 0.25, 4]]) {
    const point = (i) => at([cx + r * Math.cos(a0 + (i / 30) * 3), cy + r * Math.sin(a0 + (i / 30) * 3)]);
    await page.mouse.move(...point(0));
    await page.mouse.down();
    for (let i = 1; i <= 30; i++) {
      await page.mouse.move(...point(i));
      await page.waitForTimeout(10 + (i % 3) * 4);
    }
    await page.mouse.up();
  }
}
