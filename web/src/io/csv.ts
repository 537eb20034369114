// CSV time series → trajectories. Columns t, x, y and an optional trajectory id; a header row is optional.

import type { Trajectory } from '../draw/strokes';

/** Largest magnitude accepted for t, x and y: far beyond any plane the page draws (and within what float64 training handles). */
export const CSV_LIMIT = 1e6;

export type CsvResult = { trajectories: Trajectory[]; error?: undefined } | { trajectories?: undefined; error: string };

/** Parses the text; errors name the line (1-based) and what is wrong with it. Rows of one id must have increasing t. */
export function parseCsv(text: string): CsvResult {
  const lines = text.split(/\r?\n/);
  const groups = new Map<string, { t: number[]; xy: number[]; line: number[] }>();
  let columns = -1;
  let dataRows = 0;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const cells = line.split(/[,;\t]/).map((c) => c.trim());
    const numeric = cells.map((c) => (c === '' ? NaN : Number(c)));
    if (dataRows === 0 && columns < 0 && cells.some((c, k) => k < 3 && !Number.isFinite(Number(c)))) {
      // A header: accept t,x,y[,id] in any case.
      const names = cells.map((c) => c.toLowerCase());
      if (names[0] !== 't' || names[1] !== 'x' || names[2] !== 'y' || (names.length > 3 && !['id', 'trajectory'].includes(names[3])))
        return { error: `line ${lineNo}: expected a header "t,x,y" or "t,x,y,id" or numbers, got "${line}"` };
      columns = names.length;
      continue;
    }
    if (cells.length < 3 || cells.length > 4) return { error: `line ${lineNo}: expected 3 or 4 columns (t, x, y[, id]), got ${cells.length}` };
    if (columns > 0 && cells.length !== columns) return { error: `line ${lineNo}: expected ${columns} columns like the header, got ${cells.length}` };
    for (let k = 0; k < 3; k++) {
      if (!Number.isFinite(numeric[k])) return { error: `line ${lineNo}: ${['t', 'x', 'y'][k]} "${cells[k]}" is not a finite number` };
      if (Math.abs(numeric[k]) > CSV_LIMIT)
        return { error: `line ${lineNo}: ${['t', 'x', 'y'][k]} = ${cells[k]} is outside ±${CSV_LIMIT.toExponential(0)}, far beyond the plane: rescale the data` };
    }
    const id = cells.length === 4 ? cells[3] : '0';
    if (id === '') return { error: `line ${lineNo}: the trajectory id is empty` };
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { t: [], xy: [], line: [] }));
    if (g.t.length > 0 && !(numeric[0] > g.t[g.t.length - 1]))
      return { error: `line ${lineNo}: t = ${numeric[0]} is not after t = ${g.t[g.t.length - 1]} (line ${g.line[g.line.length - 1]}) of trajectory ${id}: times must increase` };
    g.t.push(numeric[0]);
    g.xy.push(numeric[1], numeric[2]);
    g.line.push(lineNo);
    dataRows++;
  }
  if (dataRows === 0) return { error: 'the file has no data rows (expected lines like "t,x,y" or "t,x,y,id")' };
  const trajectories: Trajectory[] = [];
  for (const [id, g] of groups) {
    if (g.t.length < 2) return { error: `trajectory ${id} has only one row (line ${g.line[0]}): a trajectory needs at least two` };
    trajectories.push({ times: Float64Array.from(g.t), states: Float64Array.from(g.xy) });
  }
  return { trajectories };
}
