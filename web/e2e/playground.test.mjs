// End-to-end: the built page (dist/) served on 127.0.0.1, driven in Debian's Chromium by playwright-core.
// Screenshots go to test-output/ (git-ignored).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { openFresh, pageReady } from './browser.mjs';
import { useSession } from './session.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = `${ROOT}test-output`;
mkdirSync(OUT, { recursive: true });

let session, url, page;
useSession((s) => ({ url, page } = session = s), {
  async setup() {
    await page.goto(url);
    await pageReady(page);
  },
});

const readNumber = async (id) => Number(await page.getByTestId(id).textContent());
const playground = (key) => page.evaluate((k) => window.playground[k], key);

/** The whole-data loss once the worker has computed it at iteration n, and over what part of the data (null: all). */
async function dataLossAt(n) {
  await page.waitForFunction((k) => {
    const p = window.playground.progress;
    return p && p.iteration === k && p.dataLossIteration === k && Number.isFinite(p.dataLoss);
  }, n, { timeout: 30000, polling: 100 });
  const p = await playground('progress');
  return { loss: p.dataLoss, coverage: p.dataLossCoverage ?? null };
}

/** Drags the mouse along an arc around the origin (world units), slowly enough for real pen timestamps. */
async function drawArc(radius, from, to) {
  const plane = page.getByTestId('phase-plane');
  const box = await plane.boundingBox();
  // World → screen: the view is fitted around [-3, 3]², centred.
  const view = await page.evaluate(() => {
    const c = document.querySelector('[data-testid=phase-plane]');
    return { w: c.clientWidth, h: c.clientHeight };
  });
  const scale = Math.min(view.w, view.h) / 6;
  const at = (a) => [box.x + box.width / 2 + radius * Math.cos(a) * scale, box.y + box.height / 2 - radius * Math.sin(a) * scale];
  const steps = 30;
  await page.mouse.move(...at(from));
  await page.mouse.down();
  for (let i = 1; i <= steps; i++) {
    await page.mouse.move(...at(from + ((to - from) * i) / steps));
    await page.waitForTimeout(12);
  }
  await page.mouse.up();
}

/** Loads the page with `query` and no autosave. */
const freshStart = (query = '') => openFresh(page, url, query);

async function planeShot(name) {
  const buf = await page.getByTestId('phase-plane').screenshot();
  writeFileSync(`${OUT}/${name}.png`, buf);
  return buf;
}

function differingBytes(a, b) {
  let n = 0;
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) if (a[i] !== b[i]) n++;
  return n + Math.abs(a.length - b.length);
}

test('draw three strokes with the mouse; a dot is refused with a hint', async () => {
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await drawArc(1.0, 0, -4.5);
  await drawArc(1.8, 0.3, -4.2);
  await drawArc(2.6, 0.6, -3.9);
  assert.equal(await playground('strokes'), 3);
  const plane = await page.getByTestId('phase-plane').boundingBox();
  await page.mouse.click(plane.x + 20, plane.y + 20);
  await page.waitForTimeout(100);
  assert.equal(await playground('strokes'), 3);
  assert.match(await page.locator('#hint').textContent(), /Not added/);
  await planeShot('01-strokes');
});

test('Train: the full-data loss falls at least 10x within 120 s, and Pause stops it', async () => {
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=loss]').textContent) > 0, null, { timeout: 20000 });
  const initial = await readNumber('loss'); // full-data loss of the fresh model
  const start = Date.now();
  let final = initial;
  // Train in bursts; each pause shows the full-data loss (training itself streams minibatch losses).
  while (final > initial / 10 && Date.now() - start < 120000) {
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await page.getByRole('button', { name: 'Pause', exact: true }).waitFor({ timeout: 5000 });
    await page.waitForTimeout(4000);
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.getByRole('button', { name: 'Train', exact: true }).waitFor({ timeout: 5000 });
    await page.waitForTimeout(500);
    final = await readNumber('loss');
  }
  const it1 = await readNumber('iteration');
  await page.waitForTimeout(600);
  assert.ok(final <= initial / 10, `full-data loss ${initial} → ${final} after ${(Date.now() - start) / 1000} s`);
  assert.equal(await readNumber('iteration'), it1, 'paused: no more iterations');
  assert.ok(it1 > 0);
  await planeShot('02-trained');
});

test('the flow animates: phase-plane pixels change between frames', async () => {
  const renderer = await page.evaluate(() => document.documentElement.dataset.renderer);
  assert.ok(['webgl2', 'canvas2d'].includes(renderer));
  const a = await planeShot('03-frame-a');
  await page.waitForTimeout(300);
  const b = await planeShot('03-frame-b');
  assert.ok(differingBytes(a, b) > 1000, 'frames differ');
});

test('Step runs exactly one iteration', async () => {
  const it0 = await readNumber('iteration');
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=iteration]').textContent) === n + 1, it0, { timeout: 10000 });
});

test('click-to-predict draws a path through the clicked point', async () => {
  await page.getByRole('radio', { name: /Predict/ }).check();
  const count = () => page.evaluate(() => {
    const c = document.querySelector('[data-testid=phase-plane]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] === 0x7f && d[i + 1] === 0xdb && d[i + 2] === 0xff) n++;
    return n;
  });
  const before = await count();
  const box = await page.getByTestId('phase-plane').boundingBox();
  await page.mouse.click(box.x + box.width * 0.62, box.y + box.height * 0.5);
  await page.waitForFunction(async () => true);
  let after = before;
  for (let i = 0; i < 40 && after <= before + 50; i++) {
    await page.waitForTimeout(100);
    after = await count();
  }
  assert.ok(after > before + 50, `prediction pixels ${before} → ${after}`);
  await planeShot('04-predict');
  await page.getByRole('radio', { name: /Draw/ }).check();
});

test('reload restores the strokes and the trained model', async () => {
  const iteration = await readNumber('iteration');
  const loss = await readNumber('loss');
  await page.waitForTimeout(1500); // autosave is debounced
  await page.reload();
  await pageReady(page);
  assert.equal(await playground('strokes'), 3);
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=iteration]').textContent) === n, iteration, { timeout: 10000 });
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=loss]').textContent) > 0, null, { timeout: 10000 });
  const restored = await readNumber('loss');
  assert.ok(Math.abs(restored - loss) <= 1e-3 * loss, `loss ${loss} vs restored ${restored}`);
  await planeShot('05-reloaded');
});

test('a stroke drawn right before a reload is kept: the pending autosave is written as the page goes', async () => {
  const before = await playground('strokes');
  await drawArc(0.7, 0.2, 1.4);
  assert.equal(await playground('strokes'), before + 1);
  await page.reload();  // at once: well within the autosave's 400 ms debounce
  await pageReady(page);
  assert.equal(await playground('strokes'), before + 1);
});

test('a bad CSV shows its error and loses nothing', async () => {
  const before = await playground('strokes');
  await page.locator('#import-csv').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('t,x,y\n0,1,2\n0.5,oops,2\n') });
  await page.waitForFunction(() => /line 3/.test(document.querySelector('#hint').textContent), null, { timeout: 5000 });
  assert.match(await page.locator('#hint').textContent(), /nothing changed.*line 3: x "oops"/);
  assert.equal(await playground('strokes'), before);
  await page.locator('#import-csv').setInputFiles({ name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from('t,x,y,id\n0,0,0,a\n0.5,0.5,0.2,a\n1,1,0.3,a\n') });
  await page.waitForFunction((n) => window.playground.strokes === n + 1, before, { timeout: 5000 });
});

test('a shared URL restores the settings, seed included', async () => {
  const u = new URL(url);
  u.search = 'w=12&d=3&act=silu&seed=42&g=direct&lr=0.005';
  await page.goto(u.href);
  await pageReady(page);
  const s = await playground('settings');
  assert.deepEqual([s.width, s.depth, s.activation, s.seed, s.gradient, s.lr], [12, 3, 'silu', 42, 'direct', 0.005]);
  // A settings change is written back to the URL.
  await page.keyboard.press('Escape');
  assert.match(page.url(), /seed=42/);
});

test('a preset loads, trains, and reports the field error against the truth', async () => {
  await page.getByLabel('Preset').selectOption('toggle');
  await page.waitForFunction(() => window.playground.preset === 'toggle' && window.playground.strokes === 8, null, { timeout: 10000 });
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=loss]').textContent) > 0, null, { timeout: 10000 });
  const initial = await readNumber('loss');
  await page.waitForFunction(() => /%/.test(document.querySelector('[data-testid=field-error]').textContent), null, { timeout: 10000 });
  const errorAtStart = await page.getByTestId('field-error').textContent();
  await page.keyboard.press('Space');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=iteration]').textContent) >= 150, null, { timeout: 90000, polling: 250 });
  // While training the field error follows the model (computed with the whole-data loss), not only after Pause.
  await page.waitForFunction((e) => window.playground.workerRunning && /%/.test(document.querySelector('[data-testid=field-error]').textContent) &&
    document.querySelector('[data-testid=field-error]').textContent !== e, errorAtStart, { timeout: 30000, polling: 100 });
  await page.keyboard.press('Space');
  await page.getByRole('button', { name: 'Train', exact: true }).waitFor();
  await page.waitForTimeout(500);
  const final = await readNumber('loss');
  assert.ok(final < initial / 3, `loss ${initial} → ${final}`);
  assert.match(await page.getByTestId('field-error').textContent(), /%/);
  assert.match(page.url(), /preset=toggle/);
  await planeShot('06-preset');
});

test('density mode: paint two blobs, train, the NLL falls and the heatmap moves onto the painted cells', async () => {
  // Start from the default settings (the previous test left a shared link's settings behind).
  await freshStart();
  await pageReady(page);
  await page.getByRole('radio', { name: 'Density' }).check();
  await page.waitForFunction(() => window.playground.task === 'density');
  await page.waitForFunction(() => location.search.includes('task=density'), null, { timeout: 5000 });
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  const box = await page.getByTestId('phase-plane').boundingBox();
  for (const [fx, fy] of [[0.3, 0.35], [0.72, 0.68]]) {
    const cx = box.x + box.width * fx, cy = box.y + box.height * fy;
    await page.mouse.move(cx, cy);
    await page.mouse.down();
    for (let i = 0; i <= 40; i++) {
      const a = (i / 40) * 2 * Math.PI;
      await page.mouse.move(cx + 25 * Math.cos(a), cy + 25 * Math.sin(a));
      await page.waitForTimeout(8);
    }
    await page.mouse.up();
  }
  assert.ok((await playground('densitySamples')) > 200);
  await page.waitForFunction(() => window.playground.densityReady && document.querySelector('[data-testid=loss]').textContent !== '–', null, { timeout: 20000 });
  await page.waitForTimeout(1000);
  const nll0 = await readNumber('loss');
  const mass0 = await page.evaluate(() => window.playground.densityMass());
  await planeShot('07-density-painted');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  // Train until most of the mass sits on the painted cells (or 300 iterations), within a time bound.
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=iteration]').textContent) >= 300
    || (Number(document.querySelector('[data-testid=iteration]').textContent) >= 40 && window.playground.densityMass() > 0.6),
  null, { timeout: 150000, polling: 500 });
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await page.getByRole('button', { name: 'Train', exact: true }).waitFor();
  await page.waitForTimeout(3000);
  const nll1 = await readNumber('loss');
  const mass1 = await page.evaluate(() => window.playground.densityMass());
  assert.ok(nll1 < nll0 - 0.2, `NLL ${nll0} → ${nll1}`);
  assert.ok(mass1 > 0.5 && mass1 > mass0, `mass in painted cells ${mass0} → ${mass1}`);
  await planeShot('08-density-trained');
  // The samples and the trained flow come back after a reload.
  const iteration = await readNumber('iteration');
  const samples = await playground('densitySamples');
  const trained = await dataLossAt(iteration);
  await page.waitForTimeout(1500);
  await page.reload();
  await pageReady(page);
  await page.getByRole('radio', { name: 'Density' }).check();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=iteration]').textContent) === n, iteration, { timeout: 20000 });
  assert.equal(await playground('densitySamples'), samples);
  const restored = await dataLossAt(iteration);
  // Parts of the whole-data NLL that miss their time budget are left out (a loaded machine): two NLLs over different
  // parts of the data do not compare, so the equality is checked when both cover all the data.
  if (trained.coverage || restored.coverage) console.error('NLL over part of the data, not compared:', JSON.stringify({ trained, restored }));
  else assert.ok(Math.abs(restored.loss - trained.loss) < 1e-6 * Math.max(1, Math.abs(trained.loss)), `NLL ${trained.loss} vs restored ${restored.loss}`);
});
