// Density mode on the page: spray-painted samples, the learned density as a heatmap, and base samples
// animated from the Gaussian (t = 0) to the target (t = tEnd) and back. No math here: the worker computes.
import type { View } from './io/session';
import type { DensityView } from './protocol';
import { viridis } from './render/colormap';
import { toScreen, type Viewport } from './render/view';

export interface DensityState {
  samples: number[];
  logp: Float32Array | null;
  spec: DensityView | null;
  frames: Float64Array[];
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
export function densityView(view: View): DensityView {
  return { ...view, nx: 56, ny: 42, particles: 800, frames: 21 };
}

/** Fraction of the heatmap's probability mass inside the cells that hold samples (dilated by one cell). */
export function massInPaintedCells(state: DensityState): number {
  const { logp, spec, samples } = state;
  if (!logp || !spec || samples.length === 0) return 0;
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

/** Heatmap (viridis of the density), painted samples, and the flow's particles at animation phase u ∈ [0, 1]. */
export function drawDensity(ctx: CanvasRenderingContext2D, vp: Viewport, state: DensityState, u: number, showSamples: boolean): void {
  const dpr = window.devicePixelRatio || 1;
  if (state.logp && state.spec && heatCanvas) {
    const { nx, ny } = state.spec;
    heatCanvas.width = nx;
    heatCanvas.height = ny;
    const hctx = heatCanvas.getContext('2d')!;
    const img = hctx.createImageData(nx, ny);
    let max = 0;
    for (const v of state.logp) if (Number.isFinite(v)) max = Math.max(max, Math.exp(v));
    for (let r = 0; r < ny; r++)
      for (let c = 0; c < nx; c++) {
        const p = Math.exp(state.logp[r * nx + c]) / (max || 1);
        const [R, G, B] = viridis(Math.sqrt(p)).match(/\d+/g)!.map(Number);
        const k = 4 * ((ny - 1 - r) * nx + c); // image rows run downwards
        img.data[k] = R;
        img.data[k + 1] = G;
        img.data[k + 2] = B;
        img.data[k + 3] = Math.round(220 * Math.min(1, 0.15 + Math.sqrt(p)));
      }
    hctx.putImageData(img, 0, 0);
    const [x0, y0] = toScreen(vp, state.spec.xmin, state.spec.ymax);
    const [x1, y1] = toScreen(vp, state.spec.xmax, state.spec.ymin);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(heatCanvas, x0, y0, x1 - x0, y1 - y0);
  }
  if (showSamples) {
    ctx.fillStyle = 'rgba(244,162,97,0.8)';
    for (let i = 0; i < state.samples.length; i += 2) {
      const [x, y] = toScreen(vp, state.samples[i], state.samples[i + 1]);
      ctx.fillRect(x - dpr, y - dpr, 2 * dpr, 2 * dpr);
    }
  }
  const F = state.frames.length;
  if (F > 1) {
    const pos = u * (F - 1), k = Math.min(F - 2, Math.floor(pos)), w = pos - k;
    const a = state.frames[k], b = state.frames[k + 1];
    ctx.fillStyle = 'rgba(255,255,255,0.9)';
    for (let i = 0; i + 1 < a.length; i += 2) {
      const [x, y] = toScreen(vp, (1 - w) * a[i] + w * b[i], (1 - w) * a[i + 1] + w * b[i + 1]);
      if (Number.isFinite(x) && Number.isFinite(y)) ctx.fillRect(x - 1.2 * dpr, y - 1.2 * dpr, 2.4 * dpr, 2.4 * dpr);
    }
  }
}
