// Canvas2D drawing of the phase portrait (render/layers.ts decides when): basins shaded by attractor, nullclines,
// separatrices, limit cycles with their period, equilibria as type glyphs, the true portrait as outlines, and the
// confidence fog where an ensemble disagrees. Each draw returns what it drew (counts), which the layers expose.
import type { Equilibrium, PhasePortrait } from '../../../wasm/neural-ode';
import type { ConfidenceVisual, PortraitVisual } from '../protocol';
import { polyline } from './overlay';
import { toScreen, type Viewport } from './view';

/** One colour per attractor (basin shading and stable glyphs), cycling. */
export const ATTRACTOR_COLOURS: readonly [number, number, number][] = [[76, 201, 240], [247, 37, 133], [181, 228, 140], [255, 183, 3], [157, 78, 221], [251, 133, 0]];
const rgb = (c: readonly number[], a = 1) => `rgba(${c[0]},${c[1]},${c[2]},${a})`;
const BASIN_ALPHA = 0.3;
const NULLCLINE_X = '#4dd0e1';
const NULLCLINE_Y = '#f48fb1';
const CYCLE = '#ffb703';

/** The attractor index of equilibrium i (its basin colour), or −1 when it is no attractor. */
export function attractorOf(p: PhasePortrait, kind: 'equilibrium' | 'cycle', i: number): number {
  return p.attractors.findIndex((a) => a.kind === kind && a.index === i);
}

/** The rectangle of a grid's cell centres on screen, grown by half a cell: where its image goes. */
function gridRect(vp: Viewport, spec: { xmin: number; xmax: number; ymin: number; ymax: number; nx: number; ny: number }) {
  const hx = (spec.xmax - spec.xmin) / (2 * (spec.nx - 1)), hy = (spec.ymax - spec.ymin) / (2 * (spec.ny - 1));
  const [x0, y0] = toScreen(vp, spec.xmin - hx, spec.ymax + hy);
  const [x1, y1] = toScreen(vp, spec.xmax + hx, spec.ymin - hy);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** An image of nx × ny cells (row 0 = ymin at the bottom), cached per data array and `variant`. */
const images = new WeakMap<object, { variant: string; canvas: HTMLCanvasElement }>();
function cellImage(key: object, variant: string, nx: number, ny: number, colour: (k: number) => [number, number, number, number] | null): HTMLCanvasElement {
  const hit = images.get(key);
  if (hit?.variant === variant) return hit.canvas;
  const c = document.createElement('canvas');
  c.width = nx;
  c.height = ny;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(nx, ny);
  for (let r = 0; r < ny; r++)
    for (let col = 0; col < nx; col++) {
      const v = colour(r * nx + col);
      if (!v) continue;
      const o = 4 * ((ny - 1 - r) * nx + col);
      img.data.set(v, o);
    }
  ctx.putImageData(img, 0, 0);
  images.set(key, { variant, canvas: c });
  return c;
}

/** The colour of basin cell k (null: clear, for undecided and escaped cells), or null when the portrait has no basins:
 *  an analysis whose budget ran out before the basin stage leaves them empty (`complete` false), not nx·ny labels. */
export function basinColours(v: PortraitVisual): ((k: number) => [number, number, number, number] | null) | null {
  const { basins } = v.learned;
  if (basins.length !== v.spec.nx * v.spec.ny) return null;
  return (k) => {
    const l = basins[k];
    if (l < 0) return null;
    const c = ATTRACTOR_COLOURS[l % ATTRACTOR_COLOURS.length];
    return [c[0], c[1], c[2], Math.round(255 * BASIN_ALPHA)];
  };
}

/** Basins: each cell shaded by the attractor its start reaches (undecided and escaped cells stay clear; nothing when the
 *  analysis stopped before the basins). Returns the shaded cells. */
export function drawBasins(ctx: CanvasRenderingContext2D, vp: Viewport, v: PortraitVisual): number {
  const colour = basinColours(v);
  if (!colour) return 0;
  const { basins } = v.learned;
  const img = cellImage(basins, '', v.spec.nx, v.spec.ny, colour);
  let shaded = 0;
  for (const l of basins) if (l >= 0) shaded++;
  const r = gridRect(vp, v.spec);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(img, r.x, r.y, r.w, r.h);
  return shaded;
}

function segments(ctx: CanvasRenderingContext2D, vp: Viewport, s: Float64Array) {
  ctx.beginPath();
  for (let i = 0; i + 3 < s.length; i += 4) {
    const [x0, y0] = toScreen(vp, s[i], s[i + 1]);
    const [x1, y1] = toScreen(vp, s[i + 2], s[i + 3]);
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
  }
  ctx.stroke();
}

/** Nullclines: ẋ = 0 and ẏ = 0. Returns the segments drawn. */
export function drawNullclines(ctx: CanvasRenderingContext2D, vp: Viewport, p: PhasePortrait): number {
  ctx.lineWidth = 1.6;
  ctx.strokeStyle = NULLCLINE_X;
  segments(ctx, vp, p.nullclines.x);
  ctx.strokeStyle = NULLCLINE_Y;
  segments(ctx, vp, p.nullclines.y);
  return (p.nullclines.x.length + p.nullclines.y.length) / 4;
}

/** Separatrices: stable manifolds of saddles solid (the basin borders), unstable ones dashed. Returns the curves drawn. */
export function drawSeparatrices(ctx: CanvasRenderingContext2D, vp: Viewport, p: PhasePortrait): number {
  ctx.lineWidth = 2;
  for (const s of p.separatrices) {
    ctx.setLineDash(s.stable ? [] : [5, 4]);
    ctx.strokeStyle = s.stable ? 'rgba(255,255,255,0.9)' : 'rgba(255,255,255,0.5)';
    polyline(ctx, vp, s.points);
  }
  ctx.setLineDash([]);
  return p.separatrices.length;
}

function closedCycle(ctx: CanvasRenderingContext2D, vp: Viewport, pts: Float64Array) {
  polyline(ctx, vp, pts.length >= 4 ? [...pts, pts[0], pts[1]] : pts);
}

/** Limit cycles: thick (stable) or dashed (unstable), labelled with the period. Returns the cycles drawn. */
export function drawCycles(ctx: CanvasRenderingContext2D, vp: Viewport, p: PhasePortrait): number {
  ctx.font = `${Math.round(12 * (window.devicePixelRatio || 1))}px system-ui, sans-serif`;
  p.cycles.forEach((c) => {
    ctx.lineWidth = 3.5;
    ctx.setLineDash(c.stable ? [] : [7, 5]);
    ctx.strokeStyle = CYCLE;
    closedCycle(ctx, vp, c.points);
    // The label above the cycle's highest point.
    let top = 0;
    for (let i = 1; 2 * i + 1 < c.points.length; i++) if (c.points[2 * i + 1] > c.points[2 * top + 1]) top = i;
    const [x, y] = toScreen(vp, c.points[2 * top], c.points[2 * top + 1]);
    ctx.fillStyle = CYCLE;
    ctx.textAlign = 'center';
    ctx.fillText(`period ${c.period.toPrecision(3)}${c.stable ? '' : ' (unstable)'}`, x, y - 8);
  });
  ctx.setLineDash([]);
  return p.cycles.length;
}

const R = 6;
/** One equilibrium's glyph: node ●/○, focus ◆/◇ (filled = stable), saddle ×, centre-like ⊙, degenerate △. */
function glyph(ctx: CanvasRenderingContext2D, x: number, y: number, e: Equilibrium, fill: string, scale: number) {
  const r = R * scale;
  ctx.lineWidth = 2 * scale;
  ctx.strokeStyle = '#fff';
  ctx.fillStyle = fill;
  ctx.beginPath();
  switch (e.type) {
    case 'saddle':
      // A white × over a dark halo, visible on any basin colour.
      for (const [colour, width] of [['#000', 5], ['#fff', 2.5]] as const) {
        ctx.beginPath();
        ctx.strokeStyle = colour;
        ctx.lineWidth = width * scale;
        for (const s of [1, -1]) {
          ctx.moveTo(x - r, y - s * r);
          ctx.lineTo(x + r, y + s * r);
        }
        ctx.stroke();
      }
      return;
    case 'stable focus':
    case 'unstable focus':
      ctx.moveTo(x, y - r * 1.25);
      ctx.lineTo(x + r * 1.25, y);
      ctx.lineTo(x, y + r * 1.25);
      ctx.lineTo(x - r * 1.25, y);
      ctx.closePath();
      break;
    case 'degenerate':
      ctx.moveTo(x, y - r);
      ctx.lineTo(x + r, y + r);
      ctx.lineTo(x - r, y + r);
      ctx.closePath();
      break;
    default:
      ctx.arc(x, y, r, 0, 2 * Math.PI);
  }
  if (e.stable) ctx.fill();
  ctx.stroke();
  if (e.type === 'centre-like') {
    ctx.beginPath();
    ctx.arc(x, y, 1.5 * scale, 0, 2 * Math.PI);
    ctx.fillStyle = '#fff';
    ctx.fill();
  }
}

/** Equilibria as type glyphs; stable ones filled with their basin's colour. Returns the glyphs drawn. */
export function drawEquilibria(ctx: CanvasRenderingContext2D, vp: Viewport, p: PhasePortrait): number {
  const dpr = window.devicePixelRatio || 1;
  p.equilibria.forEach((e, i) => {
    const [x, y] = toScreen(vp, e.x, e.y);
    const a = attractorOf(p, 'equilibrium', i);
    glyph(ctx, x, y, e, a >= 0 ? rgb(ATTRACTOR_COLOURS[a % ATTRACTOR_COLOURS.length]) : '#fff', dpr);
  });
  return p.equilibria.length;
}

/** The true portrait as white outlines: its equilibria (dashed squares) and cycles (thin dashed). Returns the marks drawn. */
export function drawTruePortrait(ctx: CanvasRenderingContext2D, vp: Viewport, p: PhasePortrait): number {
  const dpr = window.devicePixelRatio || 1;
  ctx.strokeStyle = 'rgba(255,255,255,0.85)';
  ctx.lineWidth = 1.5;
  ctx.setLineDash([3, 3]);
  for (const c of p.cycles) closedCycle(ctx, vp, c.points);
  const r = 10 * dpr;
  for (const e of p.equilibria) {
    const [x, y] = toScreen(vp, e.x, e.y);
    ctx.strokeRect(x - r, y - r, 2 * r, 2 * r);
  }
  ctx.setLineDash([]);
  return p.equilibria.length + p.cycles.length;
}

/** The fog is full where the members' velocity spread reaches FULL_FOG of the field's typical speed, absent below
 *  FOG_FROM of that; a "?" marks the largest spread when it reaches QUESTION of that. */
const FULL_FOG = 0.5;
const FOG_FROM = 0.1;
const QUESTION = 0.3;

/** Confidence: a fog as thick as the ensemble's disagreement relative to the learned field's typical speed (`speed`:
 *  its 95th percentile; null: relative to the largest disagreement), and a "?" where it is largest. Returns the fogged cells. */
export function drawConfidence(ctx: CanvasRenderingContext2D, vp: Viewport, c: ConfidenceVisual, speed: number | null): number {
  const d = c.disagreement;
  const { scale, level, question, at } = confidenceFog(d, speed);
  if (!(scale > 0)) return 0;
  const img = cellImage(d, scale.toPrecision(2), c.spec.nx, c.spec.ny, (k) => {
    const a = level(k);
    return a === 0 ? null : [235, 235, 245, Math.round(255 * 0.55 * a)];
  });
  let fogged = 0;
  for (let k = 0; k < d.length; k++) if (level(k) > 0) fogged++;
  const r = gridRect(vp, c.spec);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(img, r.x, r.y, r.w, r.h);
  if (question) {
    const { xmin, xmax, ymin, ymax, nx, ny } = c.spec;
    const [x, y] = toScreen(vp, xmin + ((xmax - xmin) * (at % nx)) / (nx - 1), ymin + ((ymax - ymin) * Math.floor(at / nx)) / (ny - 1));
    ctx.font = `bold ${Math.round(20 * (window.devicePixelRatio || 1))}px system-ui, sans-serif`;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = '#222';
    ctx.fillText('?', x, y);
    ctx.textBaseline = 'alphabetic';
  }
  return fogged;
}

/** The fog of a disagreement grid: its scale (the spread of full fog), each cell's level in [0, 1] (0: no fog, below
 *  FOG_FROM), and whether the largest spread (at cell `at`) gets a "?". */
export function confidenceFog(d: ArrayLike<number>, speed: number | null) {
  const { max, at } = disagreementPeak(d);
  const scale = speed && speed > 0 ? FULL_FOG * speed : max;
  const level = (k: number) => {
    const a = Math.min(1, d[k] / scale);
    return a >= FOG_FROM ? a : 0;
  };
  return { scale, level, question: scale > 0 && max / scale >= QUESTION, at };
}

/** The largest disagreement and its cell. */
export function disagreementPeak(d: ArrayLike<number>): { max: number; at: number } {
  let max = 0, at = 0;
  for (let k = 0; k < d.length; k++) if (d[k] > max) [max, at] = [d[k], k];
  return { max, at };
}

const num = (x: number) => String(+x.toPrecision(3));
/** "stable node at (1.23, 4.56); eigenvalues −1.2, −0.3" (complex pairs as a ± bi). */
export function describeEquilibrium(e: Equilibrium): string {
  const ev = e.eigenvalues.map((l) => (Math.abs(l.im) < 1e-12 ? num(l.re) : `${num(l.re)} ${l.im < 0 ? '−' : '+'} ${num(Math.abs(l.im))}i`));
  return `${e.type} at (${num(e.x)}, ${num(e.y)}); eigenvalues ${ev.join(', ')}`;
}

/** The equilibrium under the pointer (canvas pixels), within `radius` pixels, or null. */
export function equilibriumAt(vp: Viewport, p: PhasePortrait, px: number, py: number, radius: number): Equilibrium | null {
  let best: Equilibrium | null = null, bestD = radius;
  for (const e of p.equilibria) {
    const [x, y] = toScreen(vp, e.x, e.y);
    const d = Math.hypot(x - px, y - py);
    if (d <= bestD) [best, bestD] = [e, d];
  }
  return best;
}
