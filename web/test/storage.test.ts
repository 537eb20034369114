import { describe, expect, it } from 'vitest';

import { makeSession } from '../src/io/session';
import { fromRecord, loadSession, saveSession, toRecord, type Backend } from '../src/io/storage';
import { DEFAULTS } from '../src/settings';

const big = 100000; // parameters (with the optimiser moments, 2.4 MB as Float64, ~6 MB as JSON text)
const params = Array.from({ length: big }, (_, i) => Math.sin(i));
const model = { format: 'neural-ode-model', version: 2, config: {}, parameters: params, normalization: { offset: [0, 0], scale: [1, 1] }, iteration: 12,
  optimizer: { step: 12, m: params.map((p) => p / 10), v: params.map((p) => p * p) }, rng: '0'.repeat(64) } as never;
const session = makeSession({ ...DEFAULTS, width: 256, depth: 6 }, [{ id: 1, source: 'pen', points: [{ x: 0, y: 0, t: 0 }, { x: 1, y: 1, t: 20 }] }],
  { xmin: -3, xmax: 3, ymin: -3, ymax: 3 }, null, model, [0.5, 0.25, 1, 2]);

/** Bytes of a record as a browser stores it, roughly: 8 per Float64 element, the JSON length of everything else. */
function bytes(v: unknown): number {
  if (v instanceof Float64Array) return 8 * v.length;
  if (Array.isArray(v)) return v.reduce((a: number, x) => a + bytes(x) + 1, 2);
  if (v && typeof v === 'object') return Object.entries(v).reduce((a, [k, x]) => a + k.length + 3 + bytes(x), 2);
  return JSON.stringify(v ?? null).length;
}

/** A store with a byte quota. */
function quotaBackend(quota: number): Backend & { stored: unknown } {
  const b = {
    name: 'test', stored: null as unknown,
    async get() { return b.stored; },
    async put(record: unknown) {
      if (bytes(record) > quota) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      b.stored = record;
    },
  };
  return b;
}

describe('autosave', () => {
  it('stores models compactly (Float64Array) and reads back the same session', async () => {
    const rec = toRecord(session);
    expect(rec.session.model!.parameters).toBeInstanceOf(Float64Array);
    expect(rec.session.model!.optimizer!.m).toBeInstanceOf(Float64Array);
    expect(rec.session.density!.samples).toBeInstanceOf(Float64Array);
    expect(fromRecord(rec).session).toEqual(session);
    const b = quotaBackend(4e6); // fits in binary (2.4 MB), not as JSON text
    expect(JSON.stringify(session).length).toBeGreaterThan(4e6);
    expect(await saveSession(session, b)).toBeNull();
    expect((await loadSession(b)).session).toEqual(session);
  });

  it('when the model does not fit, saves the strokes and says what was not saved', async () => {
    const b = quotaBackend(1e6);
    const msg = await saveSession(session, b);
    expect(msg).toMatch(/trained model \(2\.4 MB\) could not be autosaved.*strokes, samples and settings were/);
    const back = (await loadSession(b)).session!;
    expect(back.strokes).toEqual(session.strokes);
    expect(back.density!.samples).toEqual(session.density!.samples);
    expect(back.model).toBeNull();
  });

  it('reports a damaged record instead of loading it', async () => {
    const b = quotaBackend(1e9);
    b.stored = { session: { format: 'neural-ode-session', version: 1, settings: { width: -1 } } };
    expect((await loadSession(b)).error).toMatch(/could not be restored/);
  });
});
