// Texts of the readouts that are more than a number.
import type { Progress } from '../protocol';

/** Where and on what the whole-data loss was computed, when that is not "now, on all the data" (else ''). */
export function lossNote(p: Progress): string {
  const notes: string[] = [];
  const c = p.dataLossCoverage;
  if (c?.subsample) notes.push(`estimated on ${c.covered} of ${c.total} ${c.unit}, a fixed subsample (all of them take too long to evaluate)`);
  else if (c) notes.push(`on ${c.covered} of ${c.total} ${c.unit} (the rest takes too long to evaluate)`);
  if (p.dataLossIteration !== p.iteration) notes.push(`at iteration ${p.dataLossIteration}`);
  return notes.join(', ');
}
