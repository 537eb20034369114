// Divergence watch: training that blows up (loss or solver cost) stops with a reason. Pure, so it is unit tested.

export interface WatchLimits {
  /** whole-data loss this many times the best seen so far means divergence */
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
  private best = Infinity;
  private nfe: number[] = [];
  constructor(private limits: WatchLimits = DEFAULT_LIMITS) {}

  /** Forget the history (new model, new data, restored weights). */
  reset(): void {
    this.best = Infinity;
    this.nfe = [];
  }

  /** One training iteration's minibatch loss and forward NFE: a reason to stop, or null. */
  step(batchLoss: number, nfeForward: number): string | null {
    if (!Number.isFinite(batchLoss)) return `the loss became ${batchLoss} (not finite)`;
    if (this.nfe.length < this.limits.baselineIterations) {
      this.nfe.push(nfeForward);
      return null;
    }
    const sorted = [...this.nfe].sort((a, b) => a - b);
    const base = Math.max(1, sorted[Math.floor(sorted.length / 2)]);
    if (nfeForward > this.limits.nfeFloor && nfeForward > this.limits.nfeFactor * base)
      return `the solver needed ${Math.round(nfeForward)} function evaluations for one iteration, ${Math.round(nfeForward / base)}× more than at the start: the learned field has become stiff or wild`;
    return null;
  }

  /** A whole-data loss: a reason to stop, or null. Returns whether this is the best so far via `isBest`. */
  dataLoss(loss: number): { reason: string | null; isBest: boolean } {
    if (!Number.isFinite(loss)) return { reason: `the loss on all data became ${loss} (not finite)`, isBest: false };
    if (loss > this.limits.lossFactor * this.best)
      return { reason: `the loss on all data rose to ${fmt(loss)}, ${Math.round(loss / this.best)}× its best value ${fmt(this.best)}`, isBest: false };
    const isBest = loss <= this.best;
    if (isBest) this.best = loss;
    return { reason: null, isBest };
  }
}
