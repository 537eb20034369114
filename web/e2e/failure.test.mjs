// When the worker or the WebAssembly module cannot start, the page says so in a message that stays, and Train is off.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CSP_HEADER } from '../serve.mjs';
import { openSession } from './browser.mjs';
import { useSession } from './session.mjs';

let session, url, page;
useSession((s) => ({ url, page } = session = s));

/** `reported`: the page error the page reports (a worker that fails outside its own try/catch), else none. */
async function expectPersistentFailure(pattern, reported = null) {
  await session.browser.context.route(pattern, (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('#notice')?.dataset.kind === 'fatal' && !document.querySelector('#notice').hidden, null, { timeout: 40000 });
  assert.match(await page.locator('#notice').textContent(), /training engine could not start.*Reload/s);
  assert.ok(await page.getByRole('button', { name: 'Train', exact: true }).isDisabled());
  await page.waitForTimeout(9000); // longer than any transient hint lives
  assert.ok(await page.locator('#notice').isVisible(), 'the message stays');
  const errors = session.takePageErrors().map((e) => e.message);
  if (reported) {
    assert.equal(errors.length, 1, errors.join('\n'));
    assert.match(errors[0], reported);
    assert.match((await page.evaluate(() => window.playground.errors))[0]?.message ?? '', reported);
  } else assert.deepEqual(errors, []);
  await session.browser.context.unroute(pattern);
}

test('a missing .wasm: a persistent message, Train disabled', async () => {
  await expectPersistentFailure('**/*.wasm');
});

test('a worker script that does not load: a persistent message, Train disabled', async () => {
  await expectPersistentFailure('**/assets/worker-*.js', /training worker: its script did not load/);
});

test('a host policy that blocks WebAssembly (no wasm-unsafe-eval): a persistent message that says what to allow', async () => {
  const strict = await openSession({ headers: { 'content-security-policy': CSP_HEADER.replace(" 'wasm-unsafe-eval'", '') } });
  try {
    await strict.page.goto(strict.url);
    await strict.page.waitForFunction(() => document.querySelector('#notice')?.dataset.kind === 'fatal' && !document.querySelector('#notice').hidden, null, { timeout: 40000 });
    assert.match(await strict.page.locator('#notice').textContent(), /training engine could not start.*'wasm-unsafe-eval'/s);
    assert.ok(await strict.page.getByRole('button', { name: 'Train', exact: true }).isDisabled());
  } finally {
    await strict.close();
  }
});
