// The sampled field: a grid of velocities from the worker, with bilinear lookup and its speed scale.
import type { GridSpec } from '../../../wasm/neural-ode';

export interface FieldGrid {
  spec: Required<GridSpec>;
  /** nx·ny (vx, vy) pairs, row by row from ymin */
  values: Float32Array;
  /** a robust maximum speed (95th percentile), for colouring and step scaling */
  speedScale: number;
}

export function makeFieldGrid(spec: Required<GridSpec>, values: Float32Array): FieldGrid {
  const speeds: number[] = [];
  for (let k = 0; k < values.length; k += 2) speeds.push(Math.hypot(values[k], values[k + 1]));
  speeds.sort((a, b) => a - b);
  const p95 = speeds[Math.floor(0.95 * (speeds.length - 1))] ?? 1;
  return { spec, values, speedScale: p95 > 1e-12 ? p95 : 1 };
}

/** Bilinear velocity at (x, y); zero outside the grid. */
export function sampleField(f: FieldGrid, x: number, y: number): [number, number] {
  const { xmin, xmax, ymin, ymax, nx, ny } = f.spec;
  const fx = ((x - xmin) / (xmax - xmin)) * (nx - 1), fy = ((y - ymin) / (ymax - ymin)) * (ny - 1);
  if (!(fx >= 0 && fy >= 0 && fx <= nx - 1 && fy <= ny - 1)) return [0, 0];
  const c = Math.min(nx - 2, Math.floor(fx)), r = Math.min(ny - 2, Math.floor(fy));
  const u = fx - c, v = fy - r;
  const at = (rr: number, cc: number, k: number) => f.values[2 * (rr * nx + cc) + k];
  const out: [number, number] = [0, 0];
  for (let k = 0; k < 2; k++)
    out[k] = (1 - v) * ((1 - u) * at(r, c, k) + u * at(r, c + 1, k)) + v * ((1 - u) * at(r + 1, c, k) + u * at(r + 1, c + 1, k));
  return out;
}
