// What did it learn? The phase-portrait layers, the verdict against a preset's true system, the confidence fog and
// the gradient truth panel, in the built page (dist/) in Chromium.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { createNeuralOde } from '../../wasm/api.js';
import { axeViolations, openFresh } from './browser.mjs';
import { useSession } from './session.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = `${ROOT}test-output`;
mkdirSync(OUT, { recursive: true });
let session, url, page;
useSession((s) => ({ url, page } = session = s));

const pg = (key) => page.evaluate((k) => window.playground[k], key);

/** Opens the page with `query` and no autosave. */
const fresh = (query = '') => openFresh(page, url, query);

/** Runs exactly `n` iterations with the Step button (a fixed count, unlike Train's machine-speed dependent one). */
async function step(n) {
  for (let i = 1; i <= n; i++) {
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await page.waitForFunction((k) => window.playground.progress?.iteration === k && window.playground.model?.iteration === k, i, { timeout: 20000 });
  }
}

/** Keeps the overlay canvas's pixels (the layers drawn on it; the particles have their own canvas) in the page. */
const keepOverlay = () => page.evaluate(() => {
  const c = document.getElementById('overlay');
  window.__kept = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
});

/** The fraction of the overlay's pixels that differ from the kept ones (counted in the page: no megabytes over the wire). */
const overlayChange = () => page.evaluate(() => {
  const c = document.getElementById('overlay');
  const a = window.__kept, b = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < b.length; i += 4) if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2] || a[i + 3] !== b[i + 3]) n++;
  return n / (b.length / 4);
});

/**
 * Exports the page's session (its strokes, settings and model), trains it on for `steps` iterations in the module
 * under Node (a fixed count: the page's own training stops after a time-dependent number of iterations, and the
 * page would need minutes of software-rendered frames for this), imports it back and waits for the model.
 */
async function trainOnInModule(steps, name) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export').click()]);
  const session = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.ok(session.model && session.strokes.length > 0);
  const ode = await createNeuralOde();
  const tr = ode.Trainer.fromJSON(session.model);
  for (const s of session.strokes) {
    assert.equal(s.source, 'model', 'preset strokes carry model time');
    tr.addTrajectory(Float64Array.from(s.points, (q) => q.t), Float64Array.from(s.points.flatMap((q) => [q.x, q.y])));
  }
  tr.step(steps);
  const iteration = tr.iteration();
  session.model = tr.toJSON();
  tr.delete();
  await page.locator('#import').setInputFiles({ name, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(session)) });
  await page.waitForFunction((k) => (window.playground.model?.iteration ?? 0) >= k, iteration, { timeout: 20000 });
  return iteration;
}

test('the true-field and true-portrait checkboxes show only with a preset', async () => {
  await fresh();
  for (const key of ['showTruth', 'showTruePortrait']) assert.equal(await page.locator(`#layer-${key}`).isVisible(), false, key);
  assert.equal(await page.locator('#layer-showEquilibria').isVisible(), true);
  await page.locator('#preset').selectOption('toggle');
  await page.waitForFunction(() => window.playground.preset === 'toggle');
  for (const key of ['showTruth', 'showTruePortrait']) assert.equal(await page.locator(`#layer-${key}`).isVisible(), true, key);
});

test('toggle preset → train → portrait: equilibria and basins drawn, the verdict against the true system shown', async () => {
  await fresh('?preset=toggle');
  await page.waitForFunction(() => window.playground.preset === 'toggle' && window.playground.strokes > 0);
  // The page trains two steps; the model is trained on to a fixed count in the module (after Train, a machine-speed
  // dependent number of iterations, the basins covered anything from a third to all of the plane).
  await step(2);
  const trained = await trainOnInModule(300, 'toggle.json');
  await keepOverlay();
  for (const key of ['showEquilibria', 'showBasins', 'showTruePortrait']) await page.locator(`#layer-${key}`).check();
  await page.waitForFunction((k) => {
    const p = window.playground.portrait;
    return p && p.iteration >= k && p.drawn.equilibria > 0 && p.drawn.basinCells > 0 && p.verdict;
  }, trained, { timeout: 30000 });
  for (const key of ['showNullclines', 'showSeparatrices']) await page.locator(`#layer-${key}`).check();
  await page.waitForFunction(() => window.playground.portrait.drawn.nullclineSegments > 0);
  writeFileSync(`${OUT}/analysis-portrait.png`, await page.locator('.stage').screenshot());
  for (const key of ['showNullclines', 'showSeparatrices']) await page.locator(`#layer-${key}`).uncheck();
  const p = await pg('portrait');
  assert.equal(p.truth, '2 stable nodes + 1 saddle');
  assert.equal(p.iteration, trained);
  assert.equal(p.drawn.equilibria, p.equilibria.length);
  assert.ok(p.drawn.basinCells > 0.5 * 64 * 64, `basins shade ${p.drawn.basinCells} of 4096 cells`);
  assert.ok(p.drawn.trueMarks >= 3, 'the true equilibria are outlined');
  // The layers change the picture (the overlay holds no animation: the particles have their own canvas).
  await page.waitForTimeout(100);
  const changed = await overlayChange();
  assert.ok(changed > 0.2, `the basins shade the plane (${changed} of the pixels changed)`);
  // The verdict and the equilibria with their eigenvalues are on the page.
  const verdict = await page.getByTestId('verdict').textContent();
  assert.match(verdict, /true system/);
  assert.ok(verdict.includes(p.verdict));
  const items = await page.locator('#equilibria-list li').allTextContents();
  assert.equal(items.length, p.equilibria.length);
  for (const t of items) assert.match(t, /(node|focus|saddle|centre-like|degenerate) at \(.*\); eigenvalues /);
  // Hovering a glyph shows its eigenvalues as the plane's tooltip (the first equilibrium inside the view: a briefly
  // trained field may have one outside it, listed but not under the pointer).
  const spot = await page.evaluate(() => {
    const c = document.getElementById('overlay'), r = c.getBoundingClientRect(), v = window.playground.view;
    const k = window.playground.portrait.equilibria.findIndex((e) => e.x > v.xmin && e.x < v.xmax && e.y > v.ymin && e.y < v.ymax);
    if (k < 0) return null;
    const e = window.playground.portrait.equilibria[k];
    return [k, r.left + ((e.x - v.xmin) / (v.xmax - v.xmin)) * r.width, r.top + (1 - (e.y - v.ymin) / (v.ymax - v.ymin)) * r.height];
  });
  assert.ok(spot, 'an equilibrium inside the view');
  await page.mouse.move(spot[1], spot[2]);
  assert.equal(await page.getByTestId('phase-plane').getAttribute('title'), items[spot[0]]);
  assert.deepEqual(await axeViolations(page), []);
  // Turning the layers off clears what they drew.
  for (const key of ['showEquilibria', 'showBasins', 'showTruePortrait']) await page.locator(`#layer-${key}`).uncheck();
  await page.waitForFunction(() => window.playground.portrait.drawn.basinCells === 0 && window.playground.portrait.drawn.equilibria === 0);
  assert.equal(await page.locator('#analysis-text').isVisible(), false);
});

test('gradient truth: every method agrees with finite differences to the printed tolerance; adjoint memory flat, direct growing', async () => {
  // A reproducible model: the preset's fresh weights after a few steps (the seed fixes both).
  await fresh('?preset=toggle');
  await page.waitForFunction(() => window.playground.preset === 'toggle' && window.playground.strokes > 0);
  await step(5);
  await page.locator('#inspect summary').click();
  await page.getByRole('button', { name: 'Check the gradient' }).click();
  await page.getByTestId('gradient-table').waitFor({ timeout: 60000 });
  const rows = await page.locator('[data-testid=gradient-table] tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  assert.deepEqual(rows.map((r) => r[0]), ['adjoint', 'checkpointed', 'direct']);
  const summary = await page.getByTestId('gradient-summary').textContent();
  const tol = Number(/tolerance (\d(?:\.\d+)?e[+-]?\d+)/i.exec(summary)?.[1]);
  assert.ok(tol > 0 && tol < 0.1, summary);
  for (const r of rows) {
    assert.equal(r[3], 'yes', `${r[0]} agrees`);
    assert.ok(Number(r[1]) <= tol, `${r[0]}: ${r[1]} ≤ ${tol}`);
  }
  assert.match(summary, /All methods agree/);

  await page.getByRole('button', { name: 'Memory vs solver steps' }).click();
  await page.waitForFunction(() => document.getElementById('memory-result')?.dataset.series, null, { timeout: 60000 });
  const m = JSON.parse(await page.locator('#memory-result').getAttribute('data-series'));
  const of = (name) => m.storedStates[m.methods.indexOf(name)];
  const adjoint = of('adjoint'), direct = of('direct');
  assert.ok(adjoint.every((v) => v !== null && v === adjoint[0]), `adjoint flat: ${adjoint}`);
  assert.ok(direct.every((v, i) => v !== null && (i === 0 || v > direct[i - 1])), `direct grows: ${direct}`);
  assert.ok(direct.at(-1) > 10 * adjoint.at(-1));
  assert.deepEqual(await axeViolations(page), []);
});

test('confidence: an ensemble trained on the same data fogs where it disagrees, with the hint to draw there', async () => {
  await fresh('?preset=toggle');
  await page.waitForFunction(() => window.playground.preset === 'toggle' && window.playground.strokes > 0);
  await page.locator('#layer-showConfidence').check();
  await page.waitForFunction(() => (window.playground.confidence?.drawnCells ?? 0) > 0, null, { timeout: 60000 });
  const c = await pg('confidence');
  writeFileSync(`${OUT}/analysis-confidence.png`, await page.getByTestId('phase-plane').screenshot());
  assert.equal(c.members, 5);
  assert.ok(c.iteration > 0 && c.iteration <= c.iterations, JSON.stringify(c));
  assert.match(await page.locator('#confidence-note').textContent(), /guessing there: draw a trajectory there/);
  // Its training is bounded: it goes on while the page is idle and stops at its iteration limit.
  await page.waitForFunction(() => window.playground.confidence.iteration > 50, null, { timeout: 120000 });
  await page.locator('#layer-showConfidence').uncheck();
  assert.equal(await page.locator('#confidence-note').isVisible(), false);
});

test('Van der Pol: a model trained on the preset (exported, trained on in the module, imported) shows its limit cycle and period', async () => {
  await fresh('?preset=van-der-pol');
  await page.waitForFunction(() => window.playground.preset === 'van-der-pol' && window.playground.strokes > 0);
  // Two steps exactly (Train runs a machine-speed dependent number of iterations before Pause lands: 279 + 600 left
  // the learned origin an unstable node, |Im λ| <= |Re λ| / 3, where 2 + 600 learns the focus and the period).
  await step(2);
  const trained = await trainOnInModule(600, 'vdp.json');
  await page.locator('#layer-showCycles').check();
  await page.locator('#layer-showTruePortrait').check();
  await page.waitForFunction((k) => {
    const p = window.playground.portrait;
    return p && p.iteration >= k && p.drawn.cycles > 0 && p.verdict;
  }, trained, { timeout: 60000 });
  const p = await pg('portrait');
  writeFileSync(`${OUT}/analysis-limit-cycle.png`, await page.locator('.stage').screenshot());
  assert.match(p.summary, /1 stable limit cycle/);
  assert.match(p.truth, /1 stable limit cycle/);
  const period = Number(/periods within ([\d.]+) %/.exec(p.verdict)?.[1]);
  assert.ok(period <= 10, `the learned period is within 10 % of the true one: ${p.verdict}`);
  assert.match(await page.getByTestId('verdict').textContent(), /periods within/);
});
