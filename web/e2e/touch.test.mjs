// A touch phone: no keyboard hints, 24 px targets, and in landscape (844×390) Train and the whole plane on one screen.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { axeViolations, pageReady } from './browser.mjs';
import { useSession } from './session.mjs';

let session, url, page;
useSession((s) => ({ url, page } = session = s), {
  options: { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 },
  async setup() {
    await page.goto(url);
    await pageReady(page);
  },
});

test('portrait 390×844: no key hints, radio buttons at least 24 px, 0 axe violations (target size included)', async () => {
  const hints = await page.locator('.key-hint').evaluateAll((els) => els.filter((e) => e.getBoundingClientRect().width > 0).length);
  assert.equal(hints, 0);
  assert.doesNotMatch(await page.locator('header').innerText(), /Space/);
  for (const r of await page.locator('input[type=radio]').all()) {
    const box = await r.boundingBox();
    if (!box) continue; // hidden (another task's)
    assert.ok(box.width >= 24 && box.height >= 24, `radio ${box.width}×${box.height}`);
  }
  assert.deepEqual(await axeViolations(page, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa', 'best-practice'] }), []);
});

test('landscape 844×390: the Train button and the whole canvas fit one screen', async () => {
  await page.setViewportSize({ width: 844, height: 390 });
  await page.waitForTimeout(300);
  const train = await page.getByRole('button', { name: 'Train', exact: true }).boundingBox();
  const plane = await page.getByTestId('phase-plane').boundingBox();
  assert.ok(train.y >= 0 && train.y + train.height <= 390, `Train at ${train.y}`);
  assert.ok(plane.y >= 0 && plane.y + plane.height <= 390 && plane.height >= 150, `plane ${plane.y}..${plane.y + plane.height}`);
  await page.touchscreen.tap(plane.x + 10, plane.y + 10);
  assert.equal(await page.evaluate(() => window.playground.strokes), 0, 'a tap is not a stroke');
  // After the turn, the field the particles follow is sampled on the new view.
  await page.getByLabel('Preset').selectOption('spiral');
  await page.waitForFunction(() => window.playground.strokes === 8, null, { timeout: 20000 });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForFunction(() => window.playground.fieldCoversView, null, { timeout: 20000 });
  // The readouts are far below the plane here: the iteration and the loss show on the plane itself.
  await page.getByRole('button', { name: 'Step', exact: true }).tap();
  await page.waitForFunction(() => /^iteration 1 · loss, all data \d/.test(document.querySelector('#plane-status').textContent), null, { timeout: 20000 });
  const status = await page.locator('#plane-status').boundingBox(), shown = await page.getByTestId('phase-plane').boundingBox();
  assert.ok(status && status.y >= shown.y && status.y + status.height <= shown.y + shown.height, 'the status is on the plane');
});
