// Divergence watch: training that blows up (loss or solver cost) stops with a reason. Pure, so it is unit tested.

export interface WatchLimits {
  /** whole-data loss this many times the best seen so far means divergence — or more, once training has come far: the
   * loss must also have given back half of its progress in log scale (loss > √(first · best)), so a spike of a model
   * already 10⁴× below its first loss (Adam near a minimum: 2.9e-4 → 8e-3 on Lotka–Volterra) is not taken for one */
  lossFactor: number;
  /** forward NFE per iteration this many times the early baseline (and above `nfeFloor`) means divergence */
  nfeFactor: number;
  nfeFloor: number;
  /** iterations whose NFE form the baseline */
  baselineIterations: number;
}

export const DEFAULT_LIMITS: Readonly<WatchLimits> = Object.freeze({ lossFactor: 20, nfeFactor: 25, nfeFloor: 3000, baselineIterations: 10 });

const fmt = (x: number) => (Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toPrecision(3));

export class DivergenceWatch {
  /** the best whole-data loss per part of the data it was computed over ('' = all of it) */
  private best = new Map<string, number>();
  /** the first whole-data loss per part since the last reset */
  private first = new Map<string, number>();
  private nfe: number[] = [];
  constructor(private limits: WatchLimits = DEFAULT_LIMITS) {}

  /** Forget the history (new model, new data, restored weights). */
  reset(): void {
    this.best.clear();
    this.first.clear();
    this.nfe = [];
  }

  /** One training iteration's minibatch loss and forward NFE: a reason to stop, or null. */
  step(batchLoss: number, nfeForward: number): string | null {
    if (!Number.isFinite(batchLoss)) return `the loss became ${batchLoss} (not finite)`;
    if (this.nfe.length < this.limits.baselineIterations) {
      this.nfe.push(nfeForward);
      return null;
    }
    return this.work(nfeForward, 'needed');
  }

  /** The forward NFE so far of an iteration under way (resumable iterations): a field blowing up is caught before the
   * iteration ends, by the same measure as step() (a count, so a seed's run stops at the same point). */
  underWay(nfeSoFar: number): string | null {
    return this.nfe.length < this.limits.baselineIterations ? null : this.work(nfeSoFar, 'has needed');
  }

  private work(nfe: number, verb: string): string | null {
    const sorted = [...this.nfe].sort((a, b) => a - b);
    const base = Math.max(1, sorted[Math.floor(sorted.length / 2)]);
    if (nfe > this.limits.nfeFloor && nfe > this.limits.nfeFactor * base)
      return `the solver ${verb} ${Math.round(nfe)} function evaluations for one iteration, ${Math.round(nfe / base)}× more than at the start: the learned field has become stiff or wild`;
    return null;
  }

  /** A whole-data loss: a reason to stop, or null. Returns whether this is the best so far via `isBest`. `over` names the
   * part of the data it covers when some parts were left out ('' = all): it is compared with the best over that same
   * part only (like with like), so the watch keeps working while slow settings leave parts out. `trusted`: the loss
   * could be checked (a best over the same part was known, or it is the first loss since a reset) — the first loss over
   * a new part may already be a blown-up model's, so it must not be kept as the last good one. */
  dataLoss(loss: number, over = ''): { reason: string | null; isBest: boolean; trusted: boolean } {
    const what = over ? 'the loss on the data it covers' : 'the loss on all data';
    if (!Number.isFinite(loss)) return { reason: `${what} became ${loss} (not finite)`, isBest: false, trusted: false };
    const trusted = this.best.has(over) || this.best.size === 0;
    const best = this.best.get(over) ?? Infinity;
    if (!this.first.has(over)) this.first.set(over, loss);
    if (best > 0) {
      const first = this.first.get(over)!;
      const progress = first > 0 ? Math.sqrt(first / best) : 1;  // no best yet (∞): 0, the factor decides
      if (loss > Math.max(this.limits.lossFactor, progress) * best)
        return { reason: `${what} rose to ${fmt(loss)}, ${Math.round(loss / best)}× its best value ${fmt(best)}`, isBest: false, trusted };
    } else if (loss > best + Math.log(this.limits.lossFactor)) {
      // A best at or below zero (a density's NLL, in nats, may go negative): no ratio; a likelihood lossFactor times
      // smaller than the best is ln(lossFactor) nats more.
      return { reason: `${what} rose to ${fmt(loss)}, ${fmt(loss - best)} nats above its best value ${fmt(best)}`, isBest: false, trusted };
    }
    const isBest = loss <= best;
    if (isBest) this.best.set(over, loss);
    return { reason: null, isBest, trusted };
  }
}
