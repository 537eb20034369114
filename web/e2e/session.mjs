// One browser session per e2e test file (node:test), so each file does not repeat the same before/afterEach/after.
import { after, afterEach, before } from 'node:test';

import { openSession } from './browser.mjs';

/** Opens a session (`openSession(options)`) before the file's tests and hands it to `bind` (which keeps what it
 * needs: session, url, page), then awaits `setup(session)` if given; every test is followed by the session's
 * `assertNoPageErrors()` and the session is closed after the last. */
export function useSession(bind, { setup, ...options } = {}) {
  let session;
  before(async () => {
    session = await openSession(options);
    bind(session);
    await setup?.(session);
  });
  afterEach(() => session?.assertNoPageErrors());
  after(() => session?.close());
}
