// Strokes (what the user drew, with pen timestamps) and their conversion to trajectories (times, states).

/** One sample of the pen: world coordinates and a timestamp in milliseconds. */
export interface PenPoint {
  x: number;
  y: number;
  t: number;
}

/** A stroke: drawn by hand (pen timestamps) or loaded (times already in model units). */
export interface Stroke {
  id: number;
  points: PenPoint[];
  /** 'pen': t in ms from the pointer; 'model': t already in model time (presets, CSV) */
  source: 'pen' | 'model';
}

export interface Trajectory {
  times: Float64Array;
  states: Float64Array;
}

export interface TimeOptions {
  /** 'pen' uses the timestamps (drawing speed is velocity); 'constant' uses arc length (constant speed) */
  mode: 'pen' | 'constant';
  /** model time per second of drawing, or per unit of length */
  scale: number;
  /** keep at most this many observations (evenly by index, so irregular times stay irregular) */
  maxPoints?: number;
}

export type Converted = { trajectory: Trajectory; error?: undefined } | { trajectory?: undefined; error: string };

/** Stroke → trajectory with strictly increasing times, or the reason it cannot be one. */
export function strokeToTrajectory(stroke: Stroke, opts: TimeOptions): Converted {
  const pts = stroke.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && Number.isFinite(p.t));
  if (pts.length < 2) return { error: 'A stroke needs at least two points: drag to draw a path.' };
  let length = 0;
  for (let i = 1; i < pts.length; i++) length += Math.hypot(pts[i].x - pts[i - 1].x, pts[i].y - pts[i - 1].y);
  if (length < 1e-9) return { error: 'That stroke has zero length: drag to draw a path, not a dot.' };

  // Times of each point in model units.
  const raw: number[] = [];
  if (stroke.source === 'model') for (const p of pts) raw.push(p.t);
  else if (opts.mode === 'pen') for (const p of pts) raw.push(((p.t - pts[0].t) / 1000) * opts.scale);
  else {
    let s = 0;
    raw.push(0);
    for (let i = 1; i < pts.length; i++) {
      s += Math.hypot(pts[i].x - pts[i - 1].x, pts[i].y - pts[i - 1].y);
      raw.push(s * opts.scale);
    }
  }
  // Keep only points whose time moves strictly forward (pointer events can repeat timestamps).
  const keep: number[] = [0];
  for (let i = 1; i < pts.length; i++) if (raw[i] > raw[keep[keep.length - 1]] + 1e-9) keep.push(i);
  if (keep.length < 2) return { error: 'That stroke has no duration: its points share one time.' };
  let idx = keep;
  const max = opts.maxPoints ?? 0;
  if (max >= 2 && keep.length > max) {
    idx = [];
    for (let k = 0; k < max; k++) idx.push(keep[Math.round((k * (keep.length - 1)) / (max - 1))]);
  }
  const times = new Float64Array(idx.length);
  const states = new Float64Array(2 * idx.length);
  idx.forEach((i, k) => {
    times[k] = raw[i];
    states[2 * k] = pts[i].x;
    states[2 * k + 1] = pts[i].y;
  });
  return { trajectory: { times, states } };
}

/** A stroke from a trajectory in model time (presets, CSV). */
export function trajectoryToStroke(id: number, t: Trajectory): Stroke {
  const points: PenPoint[] = [];
  for (let i = 0; i < t.times.length; i++) points.push({ x: t.states[2 * i], y: t.states[2 * i + 1], t: t.times[i] });
  return { id, points, source: 'model' };
}

function segmentsCross(a: PenPoint, b: PenPoint, c: PenPoint, d: PenPoint): boolean {
  const o = (p: PenPoint, q: PenPoint, r: PenPoint) => (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x);
  const d1 = o(c, d, a), d2 = o(c, d, b), d3 = o(a, b, c), d4 = o(a, b, d);
  return d1 * d2 < 0 && d3 * d4 < 0;
}

/** Whether two strokes cross each other (a 2-D autonomous ODE cannot produce that). */
export function strokesCross(s: Stroke, t: Stroke): boolean {
  const a = s.points, b = t.points;
  for (let i = 1; i < a.length; i++)
    for (let j = 1; j < b.length; j++) if (segmentsCross(a[i - 1], a[i], b[j - 1], b[j])) return true;
  return false;
}

/** Distance from a point to a stroke's polyline (for selection). */
export function distanceToStroke(s: Stroke, x: number, y: number): number {
  let best = Infinity;
  const p = s.points;
  if (p.length === 1) return Math.hypot(p[0].x - x, p[0].y - y);
  for (let i = 1; i < p.length; i++) {
    const ax = p[i - 1].x, ay = p[i - 1].y, dx = p[i].x - ax, dy = p[i].y - ay;
    const len2 = dx * dx + dy * dy;
    const u = len2 > 0 ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2)) : 0;
    best = Math.min(best, Math.hypot(ax + u * dx - x, ay + u * dy - y));
  }
  return best;
}

/** Undo/redo over snapshots (of a stroke list, or any other state). */
export class History<T = Stroke[]> {
  private past: T[] = [];
  private future: T[] = [];
  constructor(private limit = 200) {}
  /** Record the state before a change. */
  push(before: T): void {
    this.past.push(before);
    if (this.past.length > this.limit) this.past.shift();
    this.future = [];
  }
  undo(current: T): T | null {
    const prev = this.past.pop();
    if (prev === undefined) return null;
    this.future.push(current);
    return prev;
  }
  redo(current: T): T | null {
    const next = this.future.pop();
    if (next === undefined) return null;
    this.past.push(current);
    return next;
  }
  /** Replace entries, past and future, by f's result (an entry's late part: the weights it holds, written after it). */
  update(f: (entry: T) => T): void {
    this.past = this.past.map(f);
    this.future = this.future.map(f);
  }
  /** Removes the entries, past and future, for which `f` is true (the twin of an entry undone elsewhere). */
  remove(f: (entry: T) => boolean): void {
    this.past = this.past.filter((e) => !f(e));
    this.future = this.future.filter((e) => !f(e));
  }
  /** What undo (or redo) would return next, left in place. */
  peek(which: 'undo' | 'redo'): T | undefined {
    const list = which === 'undo' ? this.past : this.future;
    return list[list.length - 1];
  }
  /** The entries Undo would go back to, oldest first. */
  get entries(): readonly T[] {
    return this.past;
  }
  get canUndo(): boolean {
    return this.past.length > 0;
  }
  get canRedo(): boolean {
    return this.future.length > 0;
  }
}
