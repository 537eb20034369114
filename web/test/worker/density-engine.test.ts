// The density engine against the real wasm module (built into wasm/build/): the whole-data NLL in parts sized by the
// network, and for a big flow a clearly labelled estimate on a fixed subsample of the samples.
import { beforeAll, describe, expect, it } from 'vitest';

import { createNeuralOde } from '../../../wasm/api.js';
import type { NeuralOde } from '../../../wasm/neural-ode';
import { DEFAULTS, DENSITY_MAX_PARAMETERS, densityHidden, densityParameters, toDensityConfig, toTrainerConfig } from '../../src/settings';
import { MIN_SUBSAMPLE, NLL_WORK_WHOLE, densityEngine, frameParticles, nllPlan, rowsPerPart } from '../../src/worker/density-engine';
import type { LossPart } from '../../src/worker/engine';

let ode: NeuralOde;
beforeAll(async () => {
  ode = await createNeuralOde();
});

function engineWith(width: number, depth: number, n: number) {
  const e = densityEngine(ode);
  // The engine takes any size (a saved flow); the page's settings cap it (densityHidden, tested below).
  e.configure({ ...toDensityConfig(DEFAULTS), hidden: Array(depth).fill(width) }, null, false);
  e.setData({ points: ode.sampleDensity('two-moons', n, 0) });
  return e;
}

/** Runs every part (a generous budget: the sum is what is tested, not speed); [Σ sum, Σ weight, units covered, units]. */
function runAll(parts: LossPart[]) {
  let sum = 0, weight = 0, covered = 0, total = 0;
  for (const p of parts) {
    total += p.units;
    const r = p.run();
    expect(r === null).toBe(Boolean(p.subsampled)); // only the left-out remainder answers null
    if (r && r !== 'more') [sum, weight, covered] = [sum + r[0], weight + r[1], covered + p.units];
  }
  return { sum, weight, covered, total };
}

describe('whole-data NLL of the density task', () => {
  it('plans all samples for a small flow, a fixed subsample (every k-th, at least MIN_SUBSAMPLE) for a big one', () => {
    expect(nllPlan(2000, 1250)).toEqual({ stride: 1, perPart: 128 }); // the default flow
    expect(nllPlan(2000, 330498)).toEqual({ stride: 52, perPart: 1 }); // 256 × 6: 39 samples, one a part
    expect(nllPlan(2000, 8706)).toEqual({ stride: 2, perPart: 22 });
    expect(nllPlan(10, 1e7)).toEqual({ stride: 1, perPart: 1 }); // fewer samples than the least subsample: all of them
    for (const [n, p] of [[2000, 330498], [5000, 1e6], [300, 2e5]]) {
      const { stride } = nllPlan(n, p);
      const members = Math.ceil(n / stride);
      expect(members).toBeGreaterThanOrEqual(Math.min(n, MIN_SUBSAMPLE));
      expect(stride === 1 || p * n > NLL_WORK_WHOLE).toBe(true);
    }
  });

  it('the default flow: parts cover all samples, and their NLL is −mean log p over all of them', () => {
    const e = engineWith(DEFAULTS.width, DEFAULTS.depth, 600);
    const parts = e.dataLossParts(20000);
    expect(parts.some((p) => p.subsampled)).toBe(false);
    const r = runAll(parts);
    expect([r.covered, r.total, r.weight]).toEqual([600, 600, 600]);
    expect(Number.isFinite(r.sum / r.weight)).toBe(true);
    e.trainer()!.delete();
  });

  it('256 × 6 on 2,000 samples: the NLL on every 52nd sample (39 of 2000), the same as log p of those samples', () => {
    const e = engineWith(256, 6, 2000);
    const parts = e.dataLossParts(20000);
    const r = runAll(parts);
    expect([r.covered, r.total, r.weight]).toEqual([39, 2000, 39]);
    const all = ode.sampleDensity('two-moons', 2000, 0);
    let direct = 0;
    for (let i = 0; i < 2000; i += 52) direct -= (e.trainer() as unknown as { logDensity(p: Float64Array, o: object): Float64Array }).logDensity(all.subarray(2 * i, 2 * i + 2), { maxMillis: 20000 })[0];
    expect(r.sum).toBe(direct); // one sample a part: the very same calls
    e.trainer()!.delete();
  }, 120000);
});

describe('the density size limit (settings.ts, one place)', () => {
  it('counts the flow network parameters as the module does', () => {
    for (const [w, d] of [[1, 1], [32, 2], [62, 6], [63, 6], [128, 2], [256, 6]]) {
      const t = new ode.DensityTrainer({ ...toDensityConfig(DEFAULTS), hidden: Array(d).fill(w) });
      try {
        expect(densityParameters(w, d)).toBe(t.parameters().length);
      } finally {
        t.delete();
      }
    }
  });

  it('keeps sizes within the limit, caps bigger ones to the widest that fits at their depth, and says so', () => {
    expect(densityHidden(DEFAULTS)).toEqual({ hidden: [32, 32], reason: null });
    expect(densityHidden({ width: 128, depth: 2 })).toEqual({ hidden: [128, 128], reason: null }); // 17,282 parameters
    const big = densityHidden({ width: 256, depth: 6 });
    expect(big.hidden).toEqual(Array(6).fill(62)); // 19,904 parameters; 63 × 6 would be 20,540
    expect(big.reason).toMatch(/width 62 × depth 6 \(19,904 parameters\), not 256 × 6 \(330,498\)/);
    expect(big.reason).toMatch(/limited to 20,000 parameters/);
    expect(big.reason).toMatch(/trajectory task keeps 256 × 6/);
    for (let d = 1; d <= 6; d++)
      for (let w = 1; w <= 256; w++) {
        const { hidden, reason } = densityHidden({ width: w, depth: d });
        const used = hidden[0];
        expect(hidden.length).toBe(d);
        expect(densityParameters(used, d)).toBeLessThanOrEqual(DENSITY_MAX_PARAMETERS);
        if (used < w) expect(densityParameters(used + 1, d)).toBeGreaterThan(DENSITY_MAX_PARAMETERS);
        expect(reason === null).toBe(used === w);
      }
    // The config the page sends: capped for the density flow only.
    const s = { ...DEFAULTS, width: 256, depth: 6 };
    expect(toDensityConfig(s).hidden).toEqual(Array(6).fill(62));
    expect(toTrainerConfig(s).hidden).toEqual(Array(6).fill(256));
  });

  it('a saved flow over the limit (256 × 6) does not load: the engine says so and starts the capped flow', () => {
    const big = engineWith(256, 6, 10);
    const saved = big.snapshot()!;
    big.trainer()!.delete();
    const e = densityEngine(ode);
    const warning = e.configure(toDensityConfig({ ...DEFAULTS, width: 256, depth: 6 }), saved, false);
    expect(warning).toMatch(/saved density flow does not fit these settings/);
    expect(e.trainer()!.parameters().length).toBe(19904);
    e.trainer()!.delete();
  });

  it('sizes heatmap bands and flow frames by network parameters: the default flow as before, smaller pieces at the limit', () => {
    expect(rowsPerPart(56, densityParameters(32, 2))).toBe(6);
    expect(rowsPerPart(56, densityParameters(64, 3))).toBe(4);
    expect(rowsPerPart(56, densityParameters(62, 6))).toBe(2);
    expect(rowsPerPart(56, 330498)).toBe(2);
    // Flow frames (one call each): 800 particles up to 8,000 parameters, fewer above, at least 200.
    expect(frameParticles(800, densityParameters(32, 2))).toBe(800);
    expect(frameParticles(800, densityParameters(62, 6))).toBe(321);
    expect(frameParticles(800, 330498)).toBe(200);
  });
});
