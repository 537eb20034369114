// Adapts the particle count to the measured frame time: fewer particles while frames are slow, more (up to the
// user's maximum) while they are fast. Pure, so it is unit tested; never asserts a frame rate.

export interface BudgetOptions {
  /** least particles */
  min: number;
  /** frames per decision */
  window: number;
  /** above this mean frame time (ms) the count shrinks, below `fastMs` it grows */
  slowMs: number;
  fastMs: number;
}

export const BUDGET: Readonly<BudgetOptions> = Object.freeze({ min: 1000, window: 30, slowMs: 28, fastMs: 18 });

export class ParticleBudget {
  private frames: number[] = [];
  constructor(public count: number, public max: number, private o: BudgetOptions = BUDGET) {
    this.count = Math.min(count, max);
  }

  /** The user's maximum changed. */
  setMax(max: number): number {
    this.max = max;
    this.count = Math.min(max, this.count === 0 ? max : this.count);
    this.frames = [];
    return this.count;
  }

  /** One frame's duration (ms); returns the count to use from now on. */
  frame(ms: number): number {
    if (!(ms > 0) || ms > 1000) return this.count; // a hidden tab or a stall says nothing about the renderer
    this.frames.push(ms);
    if (this.frames.length < this.o.window) return this.count;
    const sorted = this.frames.sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    this.frames = [];
    if (median > this.o.slowMs) this.count = Math.max(Math.min(this.o.min, this.max), Math.round(this.count * 0.7));
    else if (median < this.o.fastMs && this.count < this.max) this.count = Math.min(this.max, Math.round(this.count * 1.25) + 1);
    return this.count;
  }
}
