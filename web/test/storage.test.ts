import { describe, expect, it } from 'vitest';

import { packDocument } from '../src/io/packed';
import { makeSession, toJsonSession } from '../src/io/session';
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
  if (v instanceof Float64Array || v instanceof Uint8Array) return v.byteLength;
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

describe('autosave', { timeout: 60000 }, () => {
  it('stores models packed (one Uint8Array, no JSON text) and reads back the same session', async () => {
    const rec = toRecord(session);
    const m = rec.session.model as { format: string; packed: Uint8Array };
    expect(m.format).toBe('neural-ode-model');
    expect(m.packed).toBeInstanceOf(Uint8Array);
    expect(m.packed.length).toBeLessThan(3 * 8 * big + 4096);
    expect(rec.session.density!.samples).toBeInstanceOf(Float64Array);
    expect(toJsonSession(fromRecord(rec).session!)).toEqual(session);
    const b = quotaBackend(4e6); // fits in binary (2.4 MB), not as JSON text
    expect(JSON.stringify(session).length).toBeGreaterThan(4e6);
    expect(await saveSession(session, b)).toBeNull();
    expect(toJsonSession((await loadSession(b)).session!)).toEqual(session);
  });

  it("keeps the worker's packed snapshot as it is (no conversion), and it comes back the same", async () => {
    const packed = packDocument(model as never);
    const s = { ...session, model: packed };
    const rec = toRecord(s);
    expect((rec.session.model as { packed: Uint8Array }).packed).toBe(packed.packed);
    const b = quotaBackend(4e6);
    expect(await saveSession(s, b)).toBeNull();
    const back = (await loadSession(b)).session!;
    const m = back.model as typeof packed;
    expect(m.format).toBe(packed.format);
    // (toEqual on 2.4 MB of bytes takes ~50 s here)
    expect(m.packed.length === packed.packed.length && m.packed.every((x, i) => x === packed.packed[i])).toBe(true);
    expect(toJsonSession(back).model).toEqual(model);
  });

  it('records of the previous version (Float64Array parameters and moments) still load', async () => {
    const old = { session: { ...session, model: { ...(model as object), parameters: Float64Array.from(params),
      optimizer: { step: 12, m: Float64Array.from(params.map((p) => p / 10)), v: Float64Array.from(params.map((p) => p * p)) } },
    density: { samples: Float64Array.from(session.density!.samples), model: null, preset: null } } };
    const b = quotaBackend(1e9);
    b.stored = old;
    const r = await loadSession(b);
    expect(r.error).toBeUndefined();
    expect(r.session).toEqual(session);
  });

  it('a damaged packed model is left out and named; the strokes and settings are restored', async () => {
    const rec = toRecord(session);
    const m = rec.session.model as { packed: Uint8Array };
    (rec.session.model as { packed: Uint8Array }).packed = m.packed.subarray(0, m.packed.length - 8);
    const b = quotaBackend(1e9);
    b.stored = rec;
    const r = await loadSession(b);
    expect(r.session!.strokes).toEqual(session.strokes);
    expect(r.session!.model).toBeNull();
    expect(r.error).toMatch(/autosaved trained model \(the packed document is truncated.*\) could not be restored; the strokes, samples and settings were/);
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
