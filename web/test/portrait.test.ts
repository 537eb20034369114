// The phase portrait's pure helpers: glyph tooltips, hit testing, attractor and basin colours, the confidence peak.
import { describe, expect, it } from 'vitest';

import type { Equilibrium, PhasePortrait } from '../../wasm/neural-ode';
import type { PortraitVisual } from '../src/protocol';
import { ATTRACTOR_COLOURS, attractorOf, basinColours, confidenceFog, describeEquilibrium, disagreementPeak, equilibriumAt } from '../src/render/portrait';
import type { Viewport } from '../src/render/view';

const eq = (x: number, y: number, type: Equilibrium['type'], eigenvalues: { re: number; im: number }[]): Equilibrium =>
  ({ x, y, type, stable: type.startsWith('stable'), eigenvalues, jacobian: new Float64Array(4) });

describe('portrait helpers', () => {
  it('describes an equilibrium with its type, position and eigenvalues (complex pairs as a ± bi)', () => {
    expect(describeEquilibrium(eq(1.23456, -0.5, 'saddle', [{ re: 0.828, im: 0 }, { re: -2.4, im: 0 }])))
      .toBe('saddle at (1.23, -0.5); eigenvalues 0.828, -2.4');
    expect(describeEquilibrium(eq(0, 0, 'stable focus', [{ re: -0.1, im: 1 }, { re: -0.1, im: -1 }])))
      .toBe('stable focus at (0, 0); eigenvalues -0.1 + 1i, -0.1 − 1i');
  });

  it('finds the equilibrium under the pointer within a radius in canvas pixels', () => {
    const vp: Viewport = { view: { xmin: 0, xmax: 10, ymin: 0, ymax: 10 }, width: 100, height: 100 };
    const p = { equilibria: [eq(1, 1, 'stable node', []), eq(5, 5, 'saddle', [])] } as unknown as PhasePortrait;
    expect(equilibriumAt(vp, p, 51, 49, 5)?.type).toBe('saddle'); // (5, 5) is at pixel (50, 50), y down
    expect(equilibriumAt(vp, p, 10, 90, 5)?.type).toBe('stable node');
    expect(equilibriumAt(vp, p, 30, 30, 5)).toBeNull();
  });

  it('colours basin cells by attractor (cycling), leaves undecided and escaped cells clear, and has no basins to draw when the analysis stopped before them', () => {
    const visual = (basins: number[], complete: boolean) => ({
      spec: { xmin: 0, xmax: 1, ymin: 0, ymax: 1, nx: 2, ny: 2, t: 0 },
      learned: { basins: Int32Array.from(basins), complete },
    }) as unknown as PortraitVisual;
    const colour = basinColours(visual([0, -1, -2, ATTRACTOR_COLOURS.length + 1], true))!;
    expect([0, 1, 2, 3].map((k) => colour(k)?.slice(0, 3) ?? null)).toEqual([[...ATTRACTOR_COLOURS[0]], null, null, [...ATTRACTOR_COLOURS[1]]]);
    expect(colour(0)![3]).toBeGreaterThan(0);
    // A budget that ran out before the basin stage leaves them empty (the core's contract): nothing to shade, no
    // colour lookup of a missing label (it threw in the page's frame loop and stopped all drawing).
    expect(basinColours(visual([], false))).toBeNull();
  });

  it('maps equilibria and cycles to their attractor (basin colour) index; the largest disagreement and its cell', () => {
    const p = { attractors: [{ kind: 'equilibrium', index: 0 }, { kind: 'equilibrium', index: 2 }, { kind: 'cycle', index: 0 }] } as unknown as PhasePortrait;
    expect([0, 1, 2].map((i) => attractorOf(p, 'equilibrium', i))).toEqual([0, -1, 1]);
    expect(attractorOf(p, 'cycle', 0)).toBe(2);
    expect(disagreementPeak([0.1, 0.7, 0.3])).toEqual({ max: 0.7, at: 1 });
    expect(disagreementPeak([])).toEqual({ max: 0, at: 0 });
  });

  it('fogs relative to the field\'s typical speed: an ensemble that agrees everywhere shows no fog and no "?"', () => {
    const levels = (d: number[], speed: number | null) => { const f = confidenceFog(d, speed); return d.map((_, k) => f.level(k)); };
    // Spreads of at most 4 % of the typical speed 1: no fog anywhere, no "?".
    const agree = confidenceFog([0.01, 0.04, 0.02], 1);
    expect(levels([0.01, 0.04, 0.02], 1)).toEqual([0, 0, 0]);
    expect(agree.question).toBe(false);
    // Full fog at half the typical speed, proportional above a tenth of it, none below; "?" at the largest from 30 %.
    const f = confidenceFog([0.01, 0.1, 0.25, 2], 1);
    expect([0, 1, 2, 3].map((k) => f.level(k))).toEqual([0, 0.2, 0.5, 1]);
    expect([f.question, f.at]).toEqual([true, 3]);
    expect(confidenceFog([0.1, 0.14], 1).question).toBe(false);
    // Without a typical speed, relative to the largest spread.
    expect(levels([0.5, 1, 0.01], null)).toEqual([0.5, 1, 0]);
    expect(confidenceFog([0, 0], 1).level(0)).toBe(0);
  });
});
