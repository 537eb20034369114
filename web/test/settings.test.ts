import { describe, expect, it } from 'vitest';

import { DEFAULTS, PORTRAIT_LAYERS, SETTINGS, analysisWants, rebuildNeeded, settingsFromObject, settingsFromQuery, settingsToQuery, toDensityConfig, toTrainerConfig } from '../src/settings';

describe('settings table', () => {
  it('has one definition per setting, with unique URL names and defaults inside their ranges', () => {
    expect(SETTINGS.map((d) => d.key).sort()).toEqual(Object.keys(DEFAULTS).sort());
    expect(new Set(SETTINGS.map((d) => d.param)).size).toBe(SETTINGS.length);
    for (const d of SETTINGS) {
      const v = DEFAULTS[d.key];
      if (d.kind === 'choice') expect(d.choices).toContain(v);
      if (typeof v === 'number') {
        expect(v).toBeGreaterThanOrEqual(d.min!);
        expect(v).toBeLessThanOrEqual(d.max!);
      }
    }
  });

  it('derives the phase-portrait layers from the table: each of them alone asks for the analysis, no other setting does', () => {
    expect(PORTRAIT_LAYERS).toEqual(['showEquilibria', 'showNullclines', 'showBasins', 'showCycles', 'showSeparatrices', 'showTruePortrait']);
    for (const d of SETTINGS.filter((x) => x.kind === 'bool')) {
      const s = { ...DEFAULTS, ...Object.fromEntries(PORTRAIT_LAYERS.map((k) => [k, false])), [d.key]: true };
      expect(analysisWants(s, true).portrait, d.key).toBe(PORTRAIT_LAYERS.includes(d.key));
      // The true portrait needs a preset's true system.
      expect(analysisWants(s, false).portrait, d.key).toBe(PORTRAIT_LAYERS.includes(d.key) && !d.needsTruth);
    }
  });

  it('writes only non-defaults to the URL and reads them back exactly', () => {
    expect(settingsToQuery({ ...DEFAULTS })).toBe('');
    const s = { ...DEFAULTS, width: 48, activation: 'silu', timeDependent: true, rtol: 1e-6, seed: 1234, timeMode: 'constant', tEnd: 2, trace: 'hutchinson' };
    const q = settingsToQuery(s, { preset: 'toggle' });
    expect(q).toContain('seed=1234');
    expect(q).toContain('preset=toggle');
    const back = settingsFromQuery(q);
    expect(back.errors).toEqual([]);
    expect(back.settings).toEqual(s);
  });

  it('ignores bad URL values with a reason and keeps the default', () => {
    const r = settingsFromQuery('w=-5&act=relu&td=maybe&lr=abc&d=2.5&unknown=1&seed=7');
    expect(r.settings.width).toBe(DEFAULTS.width);
    expect(r.settings.activation).toBe(DEFAULTS.activation);
    expect(r.settings.seed).toBe(7);
    expect(r.errors).toHaveLength(5);
    expect(r.errors.join(' ')).toMatch(/width: -5 is outside/);
    expect(r.errors.join(' ')).toMatch(/'relu' is not one of/);
    expect(r.errors.join(' ')).toMatch(/must be a whole number/);
  });

  it('validates settings objects from sessions', () => {
    expect(settingsFromObject({ width: 8, colour: 'red' }).errors).toEqual(["unknown setting 'colour'"]);
    expect(settingsFromObject(null).errors[0]).toMatch(/must be an object/);
    expect(settingsFromObject({ lr: NaN }).errors[0]).toMatch(/learning rate/);
  });

  it('an old session (one rtol/atol for both tasks) keeps custom tolerances for its density flow; default ones get the density defaults', () => {
    const custom = settingsFromObject({ rtol: 1e-4, atol: 1e-7 }).settings;
    expect([custom.densityRtol, custom.densityAtol]).toEqual([1e-4, 1e-7]);
    expect(toDensityConfig(custom).solver).toMatchObject({ rtol: 1e-4, atol: 1e-7 });
    const plain = settingsFromObject({ rtol: DEFAULTS.rtol, atol: DEFAULTS.atol }).settings;
    expect([plain.densityRtol, plain.densityAtol]).toEqual([DEFAULTS.densityRtol, DEFAULTS.densityAtol]);
    // A session that has the density settings keeps them as saved.
    const now = settingsFromObject({ rtol: 1e-4, atol: 1e-7, densityRtol: 1e-3, densityAtol: 1e-3 }).settings;
    expect([now.densityRtol, now.densityAtol, now.rtol]).toEqual([1e-3, 1e-3, 1e-4]);
  });

  it('maps to the trainer config and knows which changes rebuild the model', () => {
    const c = toTrainerConfig({ ...DEFAULTS, width: 20, depth: 3, augment: 1, kinetic: 0.1 });
    expect(c.hidden).toEqual([20, 20, 20]);
    expect(c.augment).toBe(1);
    expect(c.regularization).toEqual({ kinetic: 0.1, jacobian: 0 });
    expect(c.solver?.method).toBe('dopri5');
    expect(rebuildNeeded(DEFAULTS, { ...DEFAULTS, width: 8 })).toBe(true);
    expect(rebuildNeeded(DEFAULTS, { ...DEFAULTS, lr: 0.1 })).toBe(false);
  });

  it('leaves the defaults the page does not set to the core (one source of truth): density batch, initOutput', () => {
    const d = toDensityConfig(DEFAULTS);
    expect(d.batch).toBeUndefined(); // the core's density default (128), not a copy of it
    expect(d.initOutput).toBeUndefined();
    expect(d.timeDependent).toBe(true);
    expect(toTrainerConfig(DEFAULTS).initOutput).toBeUndefined();
  });
});
