// Packed model documents on the page: the JSON document's long arrays as float64 values behind a JSON header (the
// core's layout), bit for bit both ways, the config laid over, and damaged bytes refused with what is wrong.
import { describe, expect, it } from 'vitest';

import { isPacked, modelInfo, packDocument, readPacked, unpackDocument, withPackedConfig, writePacked } from '../src/io/packed';

const awkward = [0, -0, 1e-310, -1.7976931348623157e308, Math.PI, 0.1 + 0.2, 5e-324, 123456789.123456789];
const doc = {
  format: 'neural-ode-model', version: 5, config: { dim: 2, hidden: [3] }, parameters: awkward,
  average: { steps: 4, parameters: awkward.map((x) => x / 3) }, normalization: { offset: [0.5, 1], scale: [2, 3], time: 0.7 },
  iteration: 9, optimizer: { step: 9, m: awkward.map((x) => -x), v: awkward.map((x) => x * x) }, rng: 'ab'.repeat(32),
} as const;

describe('packed documents', () => {
  it('round trip bit for bit (signed zero, subnormals, extremes) and lay out as the core does', () => {
    const p = packDocument(doc as never);
    expect(isPacked(p)).toBe(true);
    expect(p.format).toBe('neural-ode-model');
    expect(new TextDecoder().decode(p.packed.subarray(0, 8))).toBe('NDEPACK1');
    const { header, values } = readPacked(p.packed);
    expect(values).toHaveLength(4 * awkward.length);
    expect(header.parameters).toEqual({ packed: [0, awkward.length] });
    expect((header.optimizer as { v: unknown }).v).toEqual({ packed: [3 * awkward.length, awkward.length] });
    expect((p.packed.length - 24) % 8).toBe(0);
    const back = unpackDocument(p);
    expect(back).toEqual(doc);
    expect(Object.is((back.parameters as number[])[1], -0)).toBe(true);
    expect(doc.parameters).toBe(awkward); // the input is not changed
    expect(Array.isArray(doc.optimizer.m)).toBe(true);
    expect(modelInfo(p)).toEqual({ iteration: 9, optimizerStep: 9 });
    expect(modelInfo(doc as never)).toEqual({ iteration: 9, optimizerStep: 9 });
  });

  it("version 6: multiple shooting's free states and moments pack and unpack with the rest", () => {
    const entry = { key: '00000000000000ff', points: 2, steps: 3, states: [0.1, -0.2, 0.3, 0.4], m: [0, 0, 1e-3, -2e-3], v: [0, 0, 1e-6, 4e-6] };
    const v6 = { ...doc, version: 6, shooting: [entry] };
    const p = packDocument(v6 as never);
    const { header, values } = readPacked(p.packed);
    expect(values).toHaveLength(4 * awkward.length + 12);
    expect((header.shooting as { states: unknown }[])[0].states).toEqual({ packed: [4 * awkward.length, 4] });
    expect(unpackDocument(p)).toEqual(v6);
    expect(Array.isArray(entry.states)).toBe(true); // the input is not changed
  });

  it('older documents pack too (what they have), and entries that are not numbers become NaN for the core to name', () => {
    const v1 = { format: 'neural-ode-model', version: 1, config: {}, parameters: [1, 'x', 3], normalization: { offset: [0, 0], scale: [1, 1] }, iteration: 2 };
    const p = packDocument(v1 as never);
    const { header, values } = readPacked(p.packed);
    expect(header.optimizer).toBeUndefined();
    expect(Array.from(values)).toEqual([1, NaN, 3]);
  });

  it('lays the current settings over the packed config, values unchanged', () => {
    const p = packDocument(doc as never);
    const q = readPacked(withPackedConfig(p, { optimizer: { lr: 0.05 } }));
    expect(q.header.config).toEqual({ dim: 2, hidden: [3], optimizer: { lr: 0.05 } });
    expect(Array.from(q.values)).toEqual(Array.from(readPacked(p.packed).values));
  });

  it('refuses damaged or truncated bytes with what is wrong', () => {
    const good = packDocument(doc as never).packed;
    expect(() => readPacked(good.subarray(0, good.length - 8))).toThrow(/truncated: it has \d+ bytes, its lengths need \d+/);
    expect(() => readPacked(good.subarray(0, 20))).toThrow(/truncated: 20 bytes/);
    const longer = new Uint8Array(good.length + 8);
    longer.set(good);
    expect(() => readPacked(longer)).toThrow(/damaged/);
    const tag = good.slice();
    tag[0] = 88;
    expect(() => readPacked(tag)).toThrow(/not a packed document/);
    const header = good.slice();
    header[24] = 91; // '[' for '{'
    expect(() => readPacked(header)).toThrow(/header is not valid JSON/);
    expect(() => readPacked(writePacked([1] as never, new Float64Array(0)))).toThrow(/not an object/);
  });
});
