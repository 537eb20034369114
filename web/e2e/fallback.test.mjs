// Without WebGL2 the page falls back to Canvas2D particles, which still animate the learned flow.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { useSession } from './session.mjs';

let session, url, page;
useSession((s) => ({ url, page } = session = s), {
  setup: () => page.addInitScript(() => {
    const original = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
      return kind === 'webgl2' ? null : original.call(this, kind, ...rest);
    };
  }),
});

test('no WebGL2: Canvas2D particles animate a preset', async () => {
  await page.goto(`${url}?preset=van-der-pol`);
  await page.waitForFunction(() => window.playground?.preset === 'van-der-pol', null, { timeout: 30000 });
  assert.equal(await page.evaluate(() => window.playground.renderer), 'canvas2d');
  await page.waitForTimeout(800);
  const a = await page.getByTestId('phase-plane').screenshot();
  await page.waitForTimeout(300);
  const b = await page.getByTestId('phase-plane').screenshot();
  let diff = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) diff++;
  assert.ok(diff > 1000, 'frames differ');
});
