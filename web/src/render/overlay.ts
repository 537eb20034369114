// Canvas2D drawing of the trajectory layers: axes and ticks, strokes and their observations, model rollouts,
// predicted paths, and arrows of a field. The layer registry (layers.ts) decides what is drawn when.
import type { PenPoint, Stroke } from '../draw/strokes';
import { viridis } from './colormap';
import type { FieldGrid } from './field';
import { ticks, toScreen, type Viewport } from './view';

const STROKE_COLOURS = ['#f4a261', '#e76f51', '#2a9d8f', '#e9c46a', '#8ab17d', '#f28482', '#84a59d', '#b5838d'];

export function strokeColour(index: number): string {
  return STROKE_COLOURS[index % STROKE_COLOURS.length];
}

export function polyline(ctx: CanvasRenderingContext2D, vp: Viewport, xy: ArrayLike<number>) {
  ctx.beginPath();
  let pen = false;
  for (let i = 0; i + 1 < xy.length; i += 2) {
    if (!Number.isFinite(xy[i]) || !Number.isFinite(xy[i + 1])) {
      pen = false;
      continue;
    }
    const [x, y] = toScreen(vp, xy[i], xy[i + 1]);
    if (pen) ctx.lineTo(x, y);
    else ctx.moveTo(x, y);
    pen = true;
  }
  ctx.stroke();
}

export function drawArrows(ctx: CanvasRenderingContext2D, vp: Viewport, f: FieldGrid, colour: string | null, alpha: number) {
  const { xmin, xmax, ymin, ymax, nx, ny } = f.spec;
  const stepX = Math.max(1, Math.round(nx / 20)), stepY = Math.max(1, Math.round(ny / 20));
  const cell = Math.min(vp.width / (nx / stepX), vp.height / (ny / stepY));
  ctx.globalAlpha = alpha;
  ctx.lineWidth = 1.2;
  for (let r = 0; r < ny; r += stepY)
    for (let c = 0; c < nx; c += stepX) {
      const k = 2 * (r * nx + c);
      const vx = f.values[k], vy = f.values[k + 1];
      const speed = Math.hypot(vx, vy);
      if (!(speed > 0)) continue;
      const x = xmin + ((xmax - xmin) * c) / (nx - 1), y = ymin + ((ymax - ymin) * r) / (ny - 1);
      const [sx, sy] = toScreen(vp, x, y);
      const len = 0.8 * cell * Math.min(1, speed / f.speedScale);
      const ux = vx / speed, uy = -vy / speed;
      const ex = sx + ux * len, ey = sy + uy * len;
      ctx.strokeStyle = colour ?? viridis(0.15 + 0.85 * Math.min(1, speed / f.speedScale));
      ctx.beginPath();
      ctx.moveTo(sx, sy);
      ctx.lineTo(ex, ey);
      ctx.lineTo(ex - 4 * ux + 3 * uy, ey - 4 * uy - 3 * ux);
      ctx.moveTo(ex, ey);
      ctx.lineTo(ex - 4 * ux - 3 * uy, ey - 4 * uy + 3 * ux);
      ctx.stroke();
    }
  ctx.globalAlpha = 1;
}

export function drawAxes(ctx: CanvasRenderingContext2D, vp: Viewport): void {
  const { width, height, view } = vp;
  const dpr = window.devicePixelRatio || 1;
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.lineWidth = 1;
  ctx.fillStyle = 'rgba(220,225,235,0.75)';
  for (const x of ticks(view.xmin, view.xmax)) {
    const [sx] = toScreen(vp, x, 0);
    ctx.strokeStyle = x === 0 ? 'rgba(220,225,235,0.45)' : 'rgba(220,225,235,0.08)';
    ctx.beginPath();
    ctx.moveTo(sx, 0);
    ctx.lineTo(sx, height);
    ctx.stroke();
    // Labels along the bottom edge, not in the corner the y labels use (they would overlap there).
    if (sx > 24 * dpr) ctx.fillText(String(x), sx + 3 * dpr, height - 4 * dpr);
  }
  for (const y of ticks(view.ymin, view.ymax)) {
    const [, sy] = toScreen(vp, 0, y);
    ctx.strokeStyle = y === 0 ? 'rgba(220,225,235,0.45)' : 'rgba(220,225,235,0.08)';
    ctx.beginPath();
    ctx.moveTo(0, sy);
    ctx.lineTo(width, sy);
    ctx.stroke();
    if (sy > 16 * dpr && sy < height - 16 * dpr) ctx.fillText(String(y), 4 * dpr, sy - 3 * dpr);
  }
}

/** The strokes (observations as dots) and, dashed white, the model's rollout from each stroke's first point. */
export function drawStrokes(ctx: CanvasRenderingContext2D, vp: Viewport, strokes: Stroke[], selected: number | null, rollouts: Float64Array[]): void {
  const dpr = window.devicePixelRatio || 1;
  strokes.forEach((s, i) => {
    const colour = strokeColour(i);
    ctx.strokeStyle = colour;
    ctx.lineWidth = (selected === s.id ? 4 : 2) * dpr;
    ctx.globalAlpha = 0.55;
    polyline(ctx, vp, s.points.flatMap((p) => [p.x, p.y]));
    ctx.globalAlpha = 1;
    ctx.fillStyle = colour;
    for (const p of s.points) {
      const [x, y] = toScreen(vp, p.x, p.y);
      ctx.beginPath();
      ctx.arc(x, y, 2.2 * dpr, 0, 2 * Math.PI);
      ctx.fill();
    }
    const roll = rollouts[i];
    if (roll) {
      ctx.setLineDash([6 * dpr, 4 * dpr]);
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 1.6 * dpr;
      polyline(ctx, vp, roll);
      ctx.setLineDash([]);
    }
  });
}

/** Predicted paths (cyan) and the stroke being drawn (white). */
export function drawPaths(ctx: CanvasRenderingContext2D, vp: Viewport, predictions: Float64Array[], drawing: PenPoint[] | null): void {
  const dpr = window.devicePixelRatio || 1;
  ctx.strokeStyle = '#7fdbff';
  ctx.lineWidth = 2.2 * dpr;
  for (const p of predictions) polyline(ctx, vp, p);
  if (drawing && drawing.length) {
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 2 * dpr;
    polyline(ctx, vp, drawing.flatMap((p) => [p.x, p.y]));
  }
}
