// Density mode's pictures and brush: spray-painted samples, the learned density as a heatmap, and base samples
// animated from the Gaussian (t = 0) to the target (t = tEnd) and back. No learning math here: the worker computes.
import type { View } from '../io/session';
import type { TaskTypes } from '../protocol';
import { viridis } from './colormap';
import { toScreen, type Viewport } from './view';

/** What density mode draws: the learned density on a grid and the flow's frames (assembled from the worker's parts). */
export interface DensityVisual {
  spec: TaskTypes['density']['view'];
  logp: Float32Array | null;
  frames: (Float64Array | undefined)[];
}

/** The visual after one part from the worker (a part for another grid starts a new visual). */
export function mergeDensityVisual(prev: DensityVisual | null, part: TaskTypes['density']['visual']): DensityVisual {
  const same = prev !== null && JSON.stringify(prev.spec) === JSON.stringify(part.spec);
  const next: DensityVisual = same ? { ...prev!, frames: prev!.frames.slice() } : { spec: part.spec, logp: null, frames: [] };
  if (part.logp) next.logp = part.logp;
  if (part.frames) {
    next.frames.length = part.frames.total;
    part.frames.list.forEach((f, i) => (next.frames[part.frames!.from + i] = f));
  }
  return next;
}

/** Spray: `count` points uniformly in a disc of `radius` around (x, y). */
export function spray(x: number, y: number, radius: number, count: number, rand: () => number = Math.random): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const r = radius * Math.sqrt(rand()), a = 2 * Math.PI * rand();
    out.push(x + r * Math.cos(a), y + r * Math.sin(a));
  }
  return out;
}

/** The grid and animation request for a view. */
export function densityView(view: View): TaskTypes['density']['view'] {
  return { ...view, nx: 56, ny: 42, particles: 800, frames: 21 };
}

/** Fraction of the heatmap's probability mass inside the cells that hold samples (dilated by one cell). */
export function massInPaintedCells(visual: DensityVisual | null, samples: ArrayLike<number>): number {
  if (!visual?.logp || samples.length === 0) return 0;
  const { logp, spec } = visual;
  const { nx, ny, xmin, xmax, ymin, ymax } = spec;
  const painted = new Uint8Array(nx * ny);
  for (let i = 0; i < samples.length; i += 2) {
    const c = Math.round(((samples[i] - xmin) / (xmax - xmin)) * (nx - 1));
    const r = Math.round(((samples[i + 1] - ymin) / (ymax - ymin)) * (ny - 1));
    for (let dr = -1; dr <= 1; dr++)
      for (let dc = -1; dc <= 1; dc++) {
        const rr = r + dr, cc = c + dc;
        if (rr >= 0 && rr < ny && cc >= 0 && cc < nx) painted[rr * nx + cc] = 1;
      }
  }
  let inside = 0, total = 0;
  for (let k = 0; k < logp.length; k++) {
    const p = Math.exp(logp[k]);
    if (!Number.isFinite(p)) continue;
    total += p;
    if (painted[k]) inside += p;
  }
  return total > 0 ? inside / total : 0;
}

const heatCanvas = typeof document !== 'undefined' ? document.createElement('canvas') : null;

/** The learned density as a viridis heatmap. */
export function drawHeatmap(ctx: CanvasRenderingContext2D, vp: Viewport, visual: DensityVisual): void {
  const { logp, spec } = visual;
  if (!heatCanvas || !logp) return;
  const { nx, ny } = spec;
  heatCanvas.width = nx;
  heatCanvas.height = ny;
  const hctx = heatCanvas.getContext('2d')!;
  const img = hctx.createImageData(nx, ny);
  let max = 0;
  for (const v of logp) if (Number.isFinite(v)) max = Math.max(max, Math.exp(v));
  for (let r = 0; r < ny; r++)
    for (let c = 0; c < nx; c++) {
      const p = Math.exp(logp[r * nx + c]) / (max || 1);
      const [R, G, B] = viridis(Math.sqrt(p)).match(/\d+/g)!.map(Number);
      const k = 4 * ((ny - 1 - r) * nx + c); // image rows run downwards
      img.data[k] = R;
      img.data[k + 1] = G;
      img.data[k + 2] = B;
      img.data[k + 3] = Math.round(220 * Math.min(1, 0.15 + Math.sqrt(p)));
    }
  hctx.putImageData(img, 0, 0);
  const [x0, y0] = toScreen(vp, spec.xmin, spec.ymax);
  const [x1, y1] = toScreen(vp, spec.xmax, spec.ymin);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(heatCanvas, x0, y0, x1 - x0, y1 - y0);
}

/** The painted samples. */
export function drawSamples(ctx: CanvasRenderingContext2D, vp: Viewport, samples: ArrayLike<number>): void {
  const dpr = window.devicePixelRatio || 1;
  ctx.fillStyle = 'rgba(244,162,97,0.8)';
  for (let i = 0; i + 1 < samples.length; i += 2) {
    const [x, y] = toScreen(vp, samples[i], samples[i + 1]);
    ctx.fillRect(x - dpr, y - dpr, 2 * dpr, 2 * dpr);
  }
}

/** Base samples carried by the flow, at animation phase u ∈ [0, 1] (interpolated between the frames). */
export function drawFlow(ctx: CanvasRenderingContext2D, vp: Viewport, frames: (Float64Array | undefined)[], u: number): void {
  const dpr = window.devicePixelRatio || 1;
  const F = frames.length;
  if (F < 2) return;
  const pos = Math.min(1, Math.max(0, u)) * (F - 1), k = Math.min(F - 2, Math.floor(pos)), w = pos - k;
  const a = frames[k], b = frames[k + 1];
  if (!a || !b) return; // still arriving
  ctx.fillStyle = 'rgba(255,255,255,0.9)';
  for (let i = 0; i + 1 < a.length; i += 2) {
    const [x, y] = toScreen(vp, (1 - w) * a[i] + w * b[i], (1 - w) * a[i + 1] + w * b[i + 1]);
    if (Number.isFinite(x) && Number.isFinite(y)) ctx.fillRect(x - 1.2 * dpr, y - 1.2 * dpr, 2.4 * dpr, 2.4 * dpr);
  }
}
