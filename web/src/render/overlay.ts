// The Canvas2D layer over the particles: axes and ticks, strokes and their observations, model rollouts,
// predicted paths, and (optionally) arrows of the learned and the true field.
import type { PenPoint, Stroke } from '../draw/strokes';
import { viridis } from './colormap';
import type { FieldGrid } from './field';
import { ticks, toScreen, type Viewport } from './view';

export interface Scene {
  strokes: Stroke[];
  selected: number | null;
  drawing: PenPoint[] | null;
  rollouts: Float64Array[];
  predictions: Float64Array[];
  field: FieldGrid | null;
  truth: FieldGrid | null;
  show: { arrows: boolean; strokes: boolean; truth: boolean };
}

const STROKE_COLOURS = ['#f4a261', '#e76f51', '#2a9d8f', '#e9c46a', '#8ab17d', '#f28482', '#84a59d', '#b5838d'];

export function strokeColour(index: number): string {
  return STROKE_COLOURS[index % STROKE_COLOURS.length];
}

function polyline(ctx: CanvasRenderingContext2D, vp: Viewport, xy: ArrayLike<number>) {
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

function arrows(ctx: CanvasRenderingContext2D, vp: Viewport, f: FieldGrid, colour: string | null, alpha: number) {
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

export function drawOverlay(ctx: CanvasRenderingContext2D, vp: Viewport, scene: Scene): void {
  const { width, height, view } = vp;
  const dpr = window.devicePixelRatio || 1;
  ctx.clearRect(0, 0, width, height);
  // Axes, grid lines and ticks.
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
    ctx.fillText(String(x), sx + 3 * dpr, height - 4 * dpr);
  }
  for (const y of ticks(view.ymin, view.ymax)) {
    const [, sy] = toScreen(vp, 0, y);
    ctx.strokeStyle = y === 0 ? 'rgba(220,225,235,0.45)' : 'rgba(220,225,235,0.08)';
    ctx.beginPath();
    ctx.moveTo(0, sy);
    ctx.lineTo(width, sy);
    ctx.stroke();
    ctx.fillText(String(y), 4 * dpr, sy - 3 * dpr);
  }
  if (scene.show.truth && scene.truth) arrows(ctx, vp, scene.truth, 'rgba(255,255,255,1)', 0.22);
  if (scene.show.arrows && scene.field) arrows(ctx, vp, scene.field, null, 0.9);
  if (scene.show.strokes) {
    scene.strokes.forEach((s, i) => {
      const colour = strokeColour(i);
      const xy = s.points.flatMap((p) => [p.x, p.y]);
      ctx.strokeStyle = colour;
      ctx.lineWidth = (scene.selected === s.id ? 4 : 2) * dpr;
      ctx.globalAlpha = 0.55;
      polyline(ctx, vp, xy);
      ctx.globalAlpha = 1;
      ctx.fillStyle = colour;
      for (const p of s.points) {
        const [x, y] = toScreen(vp, p.x, p.y);
        ctx.beginPath();
        ctx.arc(x, y, 2.2 * dpr, 0, 2 * Math.PI);
        ctx.fill();
      }
      const roll = scene.rollouts[i];
      if (roll) {
        ctx.setLineDash([6 * dpr, 4 * dpr]);
        ctx.strokeStyle = '#ffffff';
        ctx.lineWidth = 1.6 * dpr;
        polyline(ctx, vp, roll);
        ctx.setLineDash([]);
      }
    });
  }
  ctx.strokeStyle = '#7fdbff';
  ctx.lineWidth = 2.2 * dpr;
  for (const p of scene.predictions) polyline(ctx, vp, p);
  if (scene.drawing && scene.drawing.length) {
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 2 * dpr;
    polyline(ctx, vp, scene.drawing.flatMap((p) => [p.x, p.y]));
  }
}
