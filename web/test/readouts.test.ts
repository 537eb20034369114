import { describe, expect, it } from 'vitest';

import { ParticleBudget } from '../src/render/adapt';
import { advectStep } from '../src/render/particles';
import { NO_PROGRESS } from '../src/protocol';
import { chartScale, formatLoss, logTickLabels } from '../src/ui/chart';
import { lossNote } from '../src/ui/readouts';
import { DivergenceWatch } from '../src/worker/divergence';

describe('loss chart ticks', () => {
  it('never labels a positive loss "0"', () => {
    for (const v of [1e-7, 3e-5, 1e-4, 0.0005, 0.001, 0.002, 0.05, 1, 20, 3e5]) expect(formatLoss(v)).not.toBe('0');
    expect(formatLoss(1e-3)).toBe('1e-3');
    expect(formatLoss(2e-4)).toBe('2e-4');
    expect(formatLoss(0.05)).toBe('0.05');
    expect(formatLoss(3)).toBe('3');
    expect(formatLoss(2.5e5)).toBe('2.5e5');
  });

  it('labels the powers of ten when two or more are in view, every tick otherwise', () => {
    expect(logTickLabels([1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 1e-2])).toEqual(['1e-4', '', '', '1e-3', '', '0.01']);
    expect(logTickLabels([2e-4, 3e-4, 5e-4])).toEqual(['2e-4', '3e-4', '5e-4']);
  });
});

describe('loss chart scale', () => {
  it('is logarithmic while every loss is positive, linear once one is not (a density NLL below 0 nats)', () => {
    expect(chartScale({ iterations: [0, 1, 2], data: [3, null, 0.01], batch: [2, 1, 1e-6] })).toBe('log');
    expect(chartScale({ iterations: [0, 1, 2], data: [3, null, -0.24], batch: [2, 1, 0.5] })).toBe('linear');
    expect(chartScale({ iterations: [0, 1], data: [1, 0.5], batch: [null, -0.17] })).toBe('linear');
    expect(chartScale({ iterations: [], data: [], batch: [] })).toBe('log');
  });
});

describe('divergence watch', () => {
  it('stops on a whole-data loss far above its best, and on a non-finite loss', () => {
    const w = new DivergenceWatch();
    expect(w.dataLoss(0.5).reason).toBeNull();
    expect(w.dataLoss(0.05).isBest).toBe(true);
    expect(w.dataLoss(0.5).reason).toBeNull(); // 10×: noisy but not diverged
    expect(w.dataLoss(1.5).reason).toMatch(/rose to 1\.50, 30× its best value 0\.0500/);
    expect(w.step(NaN, 10)).toMatch(/not finite/);
  });

  it('takes a spike of a model far below its first loss for noise until it gives back half its progress (log scale)', () => {
    const w = new DivergenceWatch();
    expect(w.dataLoss(2.2).reason).toBeNull();
    expect(w.dataLoss(2.9e-4).isBest).toBe(true);
    expect(w.dataLoss(8e-3).reason).toBeNull(); // 27× its best, but 275× below the first loss: Adam's spike
    expect(w.dataLoss(0.05).reason).toMatch(/rose to 0\.0500, 172× its best value 2\.90e-4/); // past √(2.2 · 2.9e-4) = 0.025
    w.reset();
    expect(w.dataLoss(0.5).reason).toBeNull();
    expect(w.dataLoss(0.3).isBest).toBe(true);
    expect(w.dataLoss(6.5).reason).toMatch(/22× its best/); // little progress: the factor 20 alone
    // A density's NLL may go below zero: no ratio then (20× a negative best was below every loss), but ln 20 nats.
    w.reset();
    expect(w.dataLoss(1.2).reason).toBeNull();
    expect(w.dataLoss(-0.3).isBest).toBe(true);
    expect(w.dataLoss(-0.1).reason).toBeNull();
    expect(w.dataLoss(2.5).reason).toBeNull(); // 2.8 nats: under ln 20 = 3.0
    expect(w.dataLoss(3.2).reason).toMatch(/rose to 3\.20, 3\.50 nats above its best value -0\.300/);
  });

  it('stops when the solver work per iteration explodes against the early baseline', () => {
    const w = new DivergenceWatch();
    for (let i = 0; i < 10; i++) expect(w.step(1, 60 + i)).toBeNull();
    expect(w.step(1, 900)).toBeNull(); // stiffer, but under the floor
    expect(w.step(1, 460000)).toMatch(/460000 function evaluations/);
    w.reset();
    expect(w.step(1, 460000)).toBeNull(); // a new baseline after a reset
  });

  it('compares a loss over part of the data with the best over that same part only', () => {
    const w = new DivergenceWatch();
    expect(w.dataLoss(0.01)).toEqual({ reason: null, isBest: true, trusted: true }); // all data; the first loss since a reset
    // Over trajectories 0 and 2 the loss is naturally higher than over all: not a blow-up, its own baseline; but it could
    // not be checked, so it is not trusted as a good model's.
    expect(w.dataLoss(0.5, '0,2')).toEqual({ reason: null, isBest: true, trusted: false });
    expect(w.dataLoss(0.4, '0,2')).toEqual({ reason: null, isBest: true, trusted: true });
    expect(w.dataLoss(12, '0,2').reason).toMatch(/the loss on the data it covers rose to 12\.0, 30× its best value 0\.400/);
    expect(w.dataLoss(0.15).reason).toBeNull(); // all data: 15×, still under the factor
    expect(w.dataLoss(NaN, '1').reason).toMatch(/covers became NaN/);
    w.reset();
    expect(w.dataLoss(12, '0,2').reason).toBeNull();
  });

  it('catches the explosion inside an iteration under way, by the same measure, once there is a baseline', () => {
    const w = new DivergenceWatch();
    expect(w.underWay(460000)).toBeNull(); // no baseline yet
    for (let i = 0; i < 10; i++) expect(w.step(1, 60 + i)).toBeNull();
    expect(w.underWay(1500)).toBeNull(); // under the floor
    expect(w.underWay(2000 * 60)).toMatch(/has needed 120000 function evaluations for one iteration, \d+× more/);
  });

});

describe('adaptive rendering', () => {
  it('advects by elapsed time: twice the time, twice the step; a stall is clamped', () => {
    expect(advectStep(1 / 30, 6, 1)).toBeCloseTo(2 * advectStep(1 / 60, 6, 1), 12);
    expect(advectStep(5, 6, 1)).toBe(advectStep(0.1, 6, 1));
    expect(advectStep(-1, 6, 1)).toBe(0);
  });

  it('fewer particles while frames are slow, more (up to the maximum) while fast', () => {
    const b = new ParticleBudget(20000, 100000);
    let n = 20000;
    for (let i = 0; i < 30 * 10; i++) n = b.frame(80); // 12 fps
    expect(n).toBe(1000);
    for (let i = 0; i < 30 * 40; i++) n = b.frame(8); // 120 fps
    expect(n).toBe(100000);
    expect(b.setMax(150000)).toBe(100000);
    for (let i = 0; i < 30 * 5; i++) n = b.frame(8);
    expect(n).toBe(150000);
    expect(b.frame(5000)).toBe(150000); // a stalled tab says nothing
  });
});

describe('whole-data loss note', () => {
  it('says nothing for a loss of now on all data; names the part of the data and the iteration otherwise', () => {
    const p = { ...NO_PROGRESS, iteration: 10, dataLoss: 0.5, dataLossIteration: 10 };
    expect(lossNote(p)).toBe('');
    expect(lossNote({ ...p, dataLossIteration: 8 })).toBe('at iteration 8');
    expect(lossNote({ ...p, dataLossCoverage: { covered: 7, total: 8, unit: 'trajectories' } })).toBe('on 7 of 8 trajectories (the rest takes too long to evaluate)');
    // A big density flow: a sampled estimate, said so.
    expect(lossNote({ ...p, dataLossCoverage: { covered: 39, total: 2000, unit: 'samples', subsample: true } }))
      .toBe('estimated on 39 of 2000 samples, a fixed subsample (all of them take too long to evaluate)');
  });
});
