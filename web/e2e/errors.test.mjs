// Errors the page survives: a layer that throws is switched off and the others keep drawing; training that throws and
// an error in the worker outside its own try/catch pause training. Each says so in the notice (a newer notice lists the
// older ones not dismissed yet), is kept in `playground.errors` and is reported as an uncaught page error (so the
// harness fails on it unless a test takes it, as these do).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { axeViolations, openFresh } from './browser.mjs';
import { useSession } from './session.mjs';

let session, url, page;
useSession((s) => ({ url, page } = session = s));

const playground = (key) => page.evaluate((k) => window.playground[k], key);
const noticeShown = () => page.waitForFunction(() => !document.querySelector('#notice').hidden, null, { timeout: 10000 });
const frameCount = () => playground('frames');
/** Waits until the render loop has run `n` more frames. */
async function framesLater(n) {
  const from = await frameCount();
  await page.waitForFunction((k) => window.playground.frames >= k, from + n, { timeout: 20000 });
}
/** The page errors reported since the last call, as messages, once at least `n` have arrived. */
async function pageErrors(n) {
  const got = [];
  for (let i = 0; i < 100 && got.length < n; i++) {
    got.push(...session.takePageErrors());
    if (got.length < n) await page.waitForTimeout(100);
  }
  return got.map((e) => e.message);
}

test('a layer whose draw throws: reported once, switched off, the other layers and the loop go on', async () => {
  await openFresh(page, url);
  await framesLater(3);
  const before = await playground('draws');
  assert.ok(before.particles > 0 && before.axes > 0, JSON.stringify(before));
  await page.evaluate(() => window.playground.breakLayer('axes'));
  await noticeShown();
  assert.match(await page.locator('#notice').textContent(), /"axes" layer failed \(test: layer axes draw broken\).*no longer drawn/);
  await framesLater(30);
  // The own-canvas particles draw every frame; the strokes redraw when the scene changes.
  const mid = await playground('draws');
  await page.evaluate(() => window.playground.breakLayer('paths', 'update'));
  await framesLater(10);
  const later = await playground('draws');
  assert.ok(later.particles >= mid.particles + 10, `particles still draw: ${mid.particles} → ${later.particles}`);
  assert.ok(later.strokes > mid.strokes, `strokes still draw: ${mid.strokes} → ${later.strokes}`);
  assert.equal(later.axes, mid.axes, "axes is not drawn any more");
  assert.deepEqual(await playground('failedLayers'), ['axes', 'paths']);
  // The newer notice does not hide the older one: it is listed under "+1 more notice".
  assert.match(await page.locator('#notice > p').textContent(), /"paths" layer failed/);
  const more = page.locator('#notice summary');
  assert.equal(await more.textContent(), '+1 more notice');
  assert.ok(await page.locator('#notice li').isHidden(), 'the list opens on demand');
  await more.click();
  assert.match(await page.locator('#notice li').textContent(), /"axes" layer failed \(test: layer axes draw broken\)/);
  assert.deepEqual(await axeViolations(page), []);
  // Dismiss: the notice shown goes and the older one shows; Dismiss all is there while more than one is.
  assert.ok(await page.getByRole('button', { name: 'Dismiss all' }).isVisible());
  await page.getByRole('button', { name: 'Dismiss', exact: true }).click();
  assert.match(await page.locator('#notice > p').textContent(), /"axes" layer failed/);
  assert.equal(await page.getByRole('button', { name: 'Dismiss all' }).count(), 0);
  await page.getByRole('button', { name: 'Dismiss', exact: true }).click();
  assert.ok(await page.locator('#notice').isHidden());
  // Focus does not drop to the body with the notice it was in: it goes to Train.
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'train');
  assert.deepEqual((await playground('errors')).map((e) => e.source), ['layer axes', 'layer paths']);
  // Reported as page errors, once each although the loop ran on.
  assert.deepEqual(await pageErrors(2), ['test: layer axes draw broken', 'test: layer paths update broken']);
  await framesLater(10);
  assert.deepEqual(session.takePageErrors(), []);
});

test('"Draw it again" switches a failed layer back on (and it is reported again if it still throws)', async () => {
  await openFresh(page, url);
  await page.evaluate(() => window.playground.breakLayer('particles'));
  await noticeShown();
  assert.deepEqual(await pageErrors(1), ['test: layer particles draw broken']);
  await page.getByRole('button', { name: 'Draw it again' }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'train', 'focus went to Train with the notice');
  await framesLater(3);
  assert.deepEqual(await pageErrors(1), ['test: layer particles draw broken']);
  assert.deepEqual(await playground('failedLayers'), ['particles']);
});

for (const [kind, message] of [
  ['throw', /training worker: Uncaught Error: test fault: an uncaught exception/],
  ['reject', /training worker: unhandled rejection: test fault: an unhandled rejection/],
  ['messageerror', /training worker: a message from it could not be read/],
]) {
  test(`an error in the worker outside its try/catch (${kind}): a notice, training paused, recorded and reported`, async () => {
    await openFresh(page, url, '?preset=spiral');
    await page.waitForFunction(() => window.playground.strokes > 0, null, { timeout: 20000 });
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await page.waitForFunction(() => window.playground.workerRunning, null, { timeout: 20000 });
    await page.evaluate((k) => window.playground.workerFault(k), kind);
    await noticeShown();
    assert.match(await page.locator('#notice').textContent(), /training engine hit an unexpected error.*Training is paused/s);
    assert.equal(await playground('running'), false);
    const errors = await playground('errors');
    assert.equal(errors.length, 1, JSON.stringify(errors));
    assert.equal(errors[0].source, 'worker');
    assert.match(errors[0].message, message);
    const reported = await pageErrors(1);
    assert.equal(reported.length, 1, reported.join('\n'));
    assert.match(reported[0], message);
    // The worker still answers and trains again.
    await page.waitForFunction(() => !window.playground.workerRunning, null, { timeout: 20000 });
    const from = (await playground('progress')).iteration;
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    await page.waitForFunction((k) => window.playground.progress.iteration > k + 5, from, { timeout: 30000 });
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
  });
}

test('training that throws (in a chunk, then in Step): paused with a notice naming the error, reported, the model kept, Train goes on', async () => {
  await openFresh(page, url, '?preset=spiral');
  await page.waitForFunction(() => window.playground.strokes > 0, null, { timeout: 20000 });
  const strokes = await playground('strokes');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  // A whole-data loss while training: a healthy checkpoint to offer.
  await page.waitForFunction(() => window.playground.workerRunning && window.playground.progress?.dataLossIteration > 0, null, { timeout: 30000 });
  const before = (await playground('progress')).iteration;
  await page.evaluate(() => window.playground.workerFault('train'));
  await noticeShown();
  assert.match(await page.locator('#notice > p').textContent(), /^Training paused: it failed with an error \(test fault: training threw\)\. The model and your data are kept/);
  assert.equal(await page.locator('#train').textContent(), 'Train');
  assert.equal(await playground('running'), false);
  await page.waitForFunction(() => !window.playground.workerRunning, null, { timeout: 20000 });
  assert.ok(await page.getByRole('button', { name: /Restore the weights of iteration \d+/ }).isVisible());
  assert.deepEqual(await playground('errors'), [{ source: 'training', message: 'training: test fault: training threw' }]);
  assert.deepEqual(await pageErrors(1), ['training: test fault: training threw']);
  // Not the generic notice of an error that escaped the worker's handlers; the model and the data are as they were.
  assert.doesNotMatch(await page.locator('#notice').textContent(), /unexpected error/);
  assert.ok((await playground('progress')).iteration >= before);
  assert.equal(await playground('strokes'), strokes);
  // Step runs the same way.
  await page.evaluate(() => window.playground.workerFault('train'));
  await page.getByRole('button', { name: 'Step', exact: true }).click();
  await page.waitForFunction(() => /\(2 times\)/.test(document.querySelector('#notice > p').textContent), null, { timeout: 20000 });
  assert.deepEqual(await pageErrors(1), ['training: test fault: training threw']);
  assert.equal((await playground('errors')).length, 2);
  // A data change (Clear): the notice, which is about the model's training on that data, goes altogether (its Restore
  // could only fail: the worker's checkpoint goes with the data); Undo brings the strokes back.
  assert.ok(await page.getByRole('button', { name: /Restore the weights of iteration \d+/ }).isVisible());
  await page.getByRole('button', { name: 'Clear', exact: true }).click();
  await page.waitForFunction(() => !/Training paused/.test(document.querySelector('#notice').textContent), null, { timeout: 10000 });
  assert.equal(await page.getByRole('button', { name: /Restore the weights/ }).count(), 0);
  // The readouts say why the whole-data loss is blank while the model's figures stay.
  await page.waitForFunction(() => /^no data: the trained model is kept/.test(document.querySelector('#loss-at').textContent), null, { timeout: 10000 });
  await page.getByRole('button', { name: 'Undo', exact: true }).click();
  await page.waitForFunction((n) => window.playground.strokes === n, strokes, { timeout: 10000 });
  // The worker goes on: Train trains again.
  const from = (await playground('progress')).iteration;
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await page.waitForFunction((k) => window.playground.progress.iteration > k + 5, from, { timeout: 30000 });
  await page.getByRole('button', { name: 'Pause', exact: true }).click();
  await page.waitForFunction(() => !window.playground.workerRunning, null, { timeout: 20000 });
  assert.deepEqual(session.takePageErrors(), []);
});
