import { describe, expect, it } from 'vitest';

import { History, distanceToStroke, strokeToTrajectory, strokesCross, trajectoryToStroke, type Stroke } from '../src/draw/strokes';

const pen = (pts: [number, number, number][]): Stroke => ({ id: 1, source: 'pen', points: pts.map(([x, y, t]) => ({ x, y, t })) });

describe('stroke → trajectory', () => {
  it('uses pen timestamps scaled to model time (drawing speed is velocity)', () => {
    const r = strokeToTrajectory(pen([[0, 0, 1000], [1, 0, 1500], [2, 0, 1750]]), { mode: 'pen', scale: 2 });
    expect(Array.from(r.trajectory!.times)).toEqual([0, 1, 1.5]);
    expect(Array.from(r.trajectory!.states)).toEqual([0, 0, 1, 0, 2, 0]);
  });

  it('uses arc length in constant-speed mode', () => {
    const r = strokeToTrajectory(pen([[0, 0, 0], [3, 4, 10], [3, 5, 11]]), { mode: 'constant', scale: 1 });
    expect(Array.from(r.trajectory!.times)).toEqual([0, 5, 6]);
  });

  it('drops repeated timestamps so times strictly increase', () => {
    const r = strokeToTrajectory(pen([[0, 0, 0], [1, 0, 0], [2, 0, 16], [3, 0, 16], [4, 0, 33]]), { mode: 'pen', scale: 1 });
    const t = r.trajectory!.times;
    for (let i = 1; i < t.length; i++) expect(t[i]).toBeGreaterThan(t[i - 1]);
    expect(t.length).toBe(3);
  });

  it('keeps at most maxPoints, first and last included', () => {
    const pts: [number, number, number][] = Array.from({ length: 100 }, (_, i) => [i, Math.sin(i), i * 10]);
    const r = strokeToTrajectory(pen(pts), { mode: 'pen', scale: 1, maxPoints: 20 });
    expect(r.trajectory!.times.length).toBe(20);
    expect(r.trajectory!.states[0]).toBe(0);
    expect(r.trajectory!.states[38]).toBe(99);
  });

  it('refuses one-point, zero-length and zero-duration strokes with a reason', () => {
    expect(strokeToTrajectory(pen([[1, 1, 0]]), { mode: 'pen', scale: 1 }).error).toMatch(/at least two points/);
    expect(strokeToTrajectory(pen([[1, 1, 0], [1, 1, 50]]), { mode: 'pen', scale: 1 }).error).toMatch(/zero length/);
    expect(strokeToTrajectory(pen([[0, 0, 5], [1, 1, 5]]), { mode: 'pen', scale: 1 }).error).toMatch(/no duration/);
    expect(strokeToTrajectory(pen([[0, 0, 0], [NaN, 1, 5]]), { mode: 'pen', scale: 1 }).error).toMatch(/at least two points/);
  });

  it('keeps model times of loaded trajectories as they are', () => {
    const s = trajectoryToStroke(4, { times: Float64Array.of(0, 0.3, 1.7), states: Float64Array.of(1, 2, 3, 4, 5, 6) });
    const r = strokeToTrajectory(s, { mode: 'constant', scale: 10 });
    expect(Array.from(r.trajectory!.times)).toEqual([0, 0.3, 1.7]);
  });
});

describe('stroke geometry and history', () => {
  it('detects crossings and distances', () => {
    const a = pen([[-1, 0, 0], [1, 0, 1]]), b = pen([[0, -1, 0], [0, 1, 1]]), c = pen([[-1, 2, 0], [1, 2, 1]]);
    expect(strokesCross(a, b)).toBe(true);
    expect(strokesCross(a, c)).toBe(false);
    expect(distanceToStroke(a, 0, 0.5)).toBeCloseTo(0.5);
  });

  it('undoes and redoes snapshots', () => {
    const h = new History();
    const s1: Stroke[] = [], s2 = [pen([[0, 0, 0], [1, 1, 1]])];
    h.push(s1);
    expect(h.undo(s2)).toBe(s1);
    expect(h.redo(s1)).toBe(s2);
    expect(h.redo(s2)).toBeNull();
  });

  it('removes entries past and future (the twin of a change undone in the other task)', () => {
    const h = new History<{ id: number; twin?: number }>();
    h.push({ id: 1 });
    h.push({ id: 2, twin: 7 });
    h.push({ id: 3 });
    expect(h.undo({ id: 4, twin: 7 })?.id).toBe(3);
    h.remove((e) => e.twin === 7);
    expect(h.entries.map((e) => e.id)).toEqual([1]);
    expect(h.canRedo).toBe(false);
    expect(h.undo({ id: 5 })?.id).toBe(1);
  });
});
