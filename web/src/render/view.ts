// The world rectangle shown on the phase plane and its mapping to canvas pixels (y up).
import type { View } from '../io/session';

export interface Viewport {
  view: View;
  width: number;
  height: number;
}

export function toScreen(vp: Viewport, x: number, y: number): [number, number] {
  const { view: v, width, height } = vp;
  return [((x - v.xmin) / (v.xmax - v.xmin)) * width, (1 - (y - v.ymin) / (v.ymax - v.ymin)) * height];
}

export function toWorld(vp: Viewport, px: number, py: number): [number, number] {
  const { view: v, width, height } = vp;
  return [v.xmin + (px / width) * (v.xmax - v.xmin), v.ymin + (1 - py / height) * (v.ymax - v.ymin)];
}

/** "Nice" tick positions (1, 2, 5 × 10^k) covering [lo, hi]. */
export function ticks(lo: number, hi: number, target = 7): number[] {
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(Math.abs(v) < 1e-12 ? 0 : +v.toPrecision(12));
  return out;
}

/** A view of the given bounds grown to the canvas aspect ratio (so circles stay round). */
export function fitView(b: View, width: number, height: number, margin = 0.05): View {
  const cx = (b.xmin + b.xmax) / 2, cy = (b.ymin + b.ymax) / 2;
  let w = (b.xmax - b.xmin) * (1 + 2 * margin), h = (b.ymax - b.ymin) * (1 + 2 * margin);
  const aspect = width / Math.max(1, height);
  if (w / h > aspect) h = w / aspect;
  else w = h * aspect;
  return { xmin: cx - w / 2, xmax: cx + w / 2, ymin: cy - h / 2, ymax: cy + h / 2 };
}
