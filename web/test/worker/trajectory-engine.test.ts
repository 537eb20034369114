// The trajectory engine against the real wasm module (built into wasm/build/): the whole-data loss in parts equals the
// core's loss on all data, parts that do not fit their budget are left out, and visuals come in bounded parts.
import { beforeAll, describe, expect, it } from 'vitest';

import { createNeuralOde } from '../../../wasm/api.js';
import type { NeuralOde } from '../../../wasm/neural-ode';
import { DEFAULTS, toDensityConfig, toTrainerConfig } from '../../src/settings';
import { MORE, rowBands, WORK_BUDGET, type LossPart, type Part } from '../../src/worker/engine';
import type { FromWorker } from '../../src/protocol';
import { FIELD_WORK_PER_PART, LOSS_PIECE_MS, PORTRAIT, ROLLOUT_WORK_PER_PART, fieldRows, portraitMillis, rolloutPoints, trajectoryEngine } from '../../src/worker/trajectory-engine';
import { unpackDocument } from '../../src/io/packed';

let ode: NeuralOde;

/** Runs a part to its end (a resumable one again while it answers MORE): what it posts, or null. */
function toEnd(part: Part): [FromWorker, Transferable[]] | null {
  for (;;) {
    const v = part(40);
    if (v !== MORE) return v;
  }
}
beforeAll(async () => {
  ode = await createNeuralOde();
});

describe('defaults', () => {
  it("the page's default settings select the core's default trainer config (one source of truth; the page adds clip 10)", () => {
    const page = new ode.Trainer(toTrainerConfig(DEFAULTS)), core = new ode.Trainer({});
    const a = page.config(), b = core.config();
    expect(a.optimizer.clip).toBe(10);
    expect({ ...a, optimizer: { ...a.optimizer, clip: 0 } }).toEqual({ ...b, optimizer: { ...b.optimizer, clip: 0 } });
    page.delete();
    core.delete();
  });

  it("the density task's default tolerances are the core's density defaults (not the trajectory task's)", () => {
    const page = new ode.DensityTrainer(toDensityConfig(DEFAULTS)), core = new ode.DensityTrainer({});
    expect({ rtol: page.config().solver.rtol, atol: page.config().solver.atol }).toEqual({ rtol: core.config().solver.rtol, atol: core.config().solver.atol });
    const trajectories = new ode.Trainer({});
    expect(page.config().solver.atol).not.toBe(trajectories.config().solver.atol);
    for (const t of [page, core, trajectories]) t.delete();
  });
});

function engineWith(preset: string, trained: number) {
  const e = trajectoryEngine(ode);
  e.configure(toTrainerConfig(DEFAULTS), null, false);
  const s = ode.sampleSystem(preset, { trajectories: 8, points: 40, seed: 0 });
  e.setData({ trajectories: s.trajectories, truth: preset });
  if (trained) e.trainer()!.step(trained);
  return e;
}

/** Relative difference: one adaptive solve per trajectory takes other steps than the core's batched solve, so the two
 *  agree to the solver's tolerance (default rtol 1e-5; checked to 1e-4), not to rounding. */
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
/** ‖a − b‖ / ‖b‖ of two arrays. */
const relDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) [num, den] = [num + (a[i] - b[i]) ** 2, den + b[i] ** 2];
  return Math.sqrt(num / den);
};
/** A part run to its end (resumable parts: again while it answers 'more'); [result, pieces]. */
const finish = (p: LossPart): [[number, number] | null, number] => {
  let pieces = 1, r = p.run();
  for (; r === 'more'; pieces++) r = p.run();
  return [r, pieces];
};
/** The loss from all parts; every part must finish (the sum is what is tested, not speed). */
const lossOf = (parts: LossPart[]) => {
  let sum = 0, weight = 0;
  for (const p of parts) {
    const [r] = finish(p);
    expect(r).not.toBeNull();
    [sum, weight] = [sum + r![0], weight + r![1]];
  }
  return sum / weight;
};
const allParts = (e: ReturnType<typeof trajectoryEngine>) => e.dataLossParts(WORK_BUDGET.maxMillis);

describe('trajectory engine: the whole-data loss in parts', () => {
  it('one part per trajectory; together they give the core loss on all data (fresh and trained, after a reset)', () => {
    // (a wrong normalisation or weighting would be off by far more than 1e-4)
    const e = engineWith('van-der-pol', 0);
    const t = e.trainer() as unknown as { loss(): number; reset(s: number): void; step(n: number): unknown };
    const parts = allParts(e);
    expect(parts).toHaveLength(8);
    expect(parts.every((p) => p.units === 1)).toBe(true);
    expect(rel(lossOf(parts), t.loss())).toBeLessThan(1e-4);
    t.step(5);
    expect(rel(lossOf(allParts(e)), t.loss())).toBeLessThan(1e-4);
    t.reset(3);
    expect(rel(lossOf(allParts(e)), t.loss())).toBeLessThan(1e-4);
  });

  it("a big network's trajectory comes in pieces of bounded time that continue to the one-call loss (none left out)", () => {
    // 256 × 6 (the largest model): one trajectory's loss took 0.1–1 s in one call; in pieces of LOSS_PIECE_MS each.
    const e = trajectoryEngine(ode);
    e.configure({ ...toTrainerConfig(DEFAULTS), hidden: Array(6).fill(256), initOutput: 1 }, null, false);
    const s = ode.sampleSystem('van-der-pol', { trajectories: 2, points: 40, seed: 0 });
    e.setData({ trajectories: s.trajectories, truth: 'van-der-pol' });
    const t = e.trainer() as unknown as { loss(o: object): number };
    // Pieces of 1 ms (not LOSS_PIECE_MS): on a quiet machine a trajectory of the untrained net fits one 40 ms piece,
    // so the split is tested at a budget far below one trajectory's loss on any machine (~26 ms here when quiet).
    const pieceMs = 1;
    const parts = e.dataLossParts(pieceMs);
    expect(parts).toHaveLength(2);
    let slowest = 0;
    const results = parts.map((p) => {
      let pieces = 0, r: ReturnType<LossPart['run']>;
      do {
        const t0 = performance.now();
        r = p.run();
        slowest = Math.max(slowest, performance.now() - t0);
        pieces++;
      } while (r === 'more');
      return { r, pieces };
    });
    console.log(`256 x 6 loss: pieces per trajectory ${results.map((x) => x.pieces).join(', ')}; slowest piece ${slowest.toFixed(0)} ms (budget ${pieceMs} ms, page ${LOSS_PIECE_MS} ms)`);
    results.forEach(({ r }, i) => {
      expect(r).not.toBeNull();
      const [sum, weight] = r as [number, number];
      expect(weight).toBe(39);
      expect(sum / weight).toBe(t.loss({ trajectory: i, maxMillis: WORK_BUDGET.maxMillis * 10 })); // bit for bit
    });
    expect(results.some((x) => x.pieces > 1)).toBe(true);
  });
});

describe('bounded visual parts', () => {
  it('row bands cover the grid, each at least 2 rows', () => {
    expect(rowBands(42, 6)).toHaveLength(7);
    expect(rowBands(13, 6)).toEqual([[0, 6], [6, 13]]);
    expect(rowBands(12, 6)).toEqual([[0, 6], [6, 12]]);
    expect(rowBands(2, 6)).toEqual([[0, 2]]);
  });

  it("a big network's field comes in bands of rows sized by a count (points × parameters), equal to the whole grid", () => {
    // The largest model (256 × 6): 64 × 64 points in one call took 1 s; bands of FIELD_WORK_PER_PART point-parameters.
    const t = new ode.Trainer({ ...toTrainerConfig(DEFAULTS), hidden: Array(6).fill(256) });
    const p = t.parameters().length;
    const rows = fieldRows(64, p);
    expect(rows * 64 * p).toBeLessThanOrEqual(FIELD_WORK_PER_PART);
    expect(rowBands(64, rows).length).toBeGreaterThan(4);
    expect(fieldRows(64, 1200)).toBeGreaterThanOrEqual(64); // the default network: one band
    t.delete();
    const e = engineWith('spiral', 0);
    const view = { xmin: -3, xmax: 3, ymin: -2, ymax: 2.5, nx: 16, ny: 16, t: 0, precision: 'float64' as const };
    e.setView(view);
    e.configure({ ...toTrainerConfig(DEFAULTS), hidden: Array(6).fill(256) }, null, false);
    const bands = rowBands(16, fieldRows(16, e.trainer()!.parameters().length));
    expect(bands.length).toBeGreaterThan(1);
    const out = e.visuals().map(toEnd).filter((o) => o !== null);
    const v = (out[0]![0] as { visual: { values: Float32Array } }).visual;
    const whole = (e.trainer() as unknown as { sampleGrid(g: object): Float32Array }).sampleGrid(view);
    expect(Array.from(v.values)).toEqual(Array.from(whole));
  });

  it("a big network's rollouts come in segments sized by a count (points × parameters) that continue one another", () => {
    expect(rolloutPoints(1200)).toBeGreaterThan(1000); // the default network: one part per trajectory
    const e = engineWith('spiral', 0);
    e.setView({ xmin: -3, xmax: 3, ymin: -3, ymax: 3, nx: 8, ny: 8, t: 0, precision: 'float32' });
    e.configure({ ...toTrainerConfig(DEFAULTS), hidden: Array(6).fill(256), initOutput: 1 }, null, false);
    const t = e.trainer()!;
    const per = rolloutPoints(t.parameters().length);
    expect(per * t.parameters().length).toBeLessThanOrEqual(ROLLOUT_WORK_PER_PART);
    expect(per).toBeLessThan(39); // 40 points: at least two segments
    const parts = e.visuals();
    const fieldParts = rowBands(8, fieldRows(8, t.parameters().length)).length;
    expect(parts.length - fieldParts).toBe(8 * Math.ceil(39 / per));
    const out = parts.map(toEnd);
    const v = (out[out.length - 1]![0] as { visual: { rollouts: Float64Array[] } }).visual;
    const s = ode.sampleSystem('spiral', { trajectories: 8, points: 40, seed: 0 }).trajectories;
    const tt = t as unknown as { integrate(z0: Float64Array, times: Float64Array): { states: Float64Array } };
    s.forEach((tr, i) => {
      const whole = tt.integrate(tr.states.subarray(0, 2), tr.times).states;
      expect(v.rollouts[i]).toHaveLength(whole.length);
      expect(relDiff(v.rollouts[i], whole)).toBeLessThan(1e-3); // the solver restarts at each segment: within its tolerance
    });
  });

  it('the trajectory visuals come as the field then one rollout per part, posted together by the last', () => {
    const e = engineWith('spiral', 0);
    e.setView({ xmin: -3, xmax: 3, ymin: -3, ymax: 3, nx: 16, ny: 16, t: 0, precision: 'float32' });
    const parts = e.visuals();
    expect(parts).toHaveLength(9);
    const out = parts.map(toEnd);
    expect(out.slice(0, -1).every((o) => o === null)).toBe(true);
    const [msg] = out[8]!;
    expect(msg.type).toBe('visual');
    const v = (msg as { visual: { values: Float32Array; rollouts: Float64Array[]; truth: Float32Array | null } }).visual;
    expect(v.values).toHaveLength(2 * 16 * 16);
    expect(v.rollouts).toHaveLength(8);
    expect(v.truth).toHaveLength(2 * 16 * 16);
  });
});

describe('the field error against the true system', () => {
  it('comes in parts sized by points × parameters that add up to the error over all data points', () => {
    const small = engineWith('spiral', 2);
    expect(small.fieldErrorParts()).toHaveLength(1); // the default network: one part
    const e = engineWith('spiral', 0);
    e.configure({ ...toTrainerConfig(DEFAULTS), hidden: Array(6).fill(256), initOutput: 1 }, null, false);
    const parts = e.fieldErrorParts();
    expect(parts.length).toBeGreaterThan(1);
    let num = 0, den = 0;
    for (const part of parts) {
      const [a, b] = part();
      [num, den] = [num + a, den + b];
    }
    const s = ode.sampleSystem('spiral', { trajectories: 8, points: 40, seed: 0 }).trajectories;
    const t = e.trainer() as unknown as { field(p: Float64Array, t: number): Float64Array };
    let n2 = 0, d2 = 0;
    for (const tr of s) {
      const learned = t.field(tr.states, 0), want = ode.systemField('spiral', tr.states);
      learned.forEach((v, i) => { n2 += (v - want[i]) ** 2; d2 += want[i] ** 2; });
    }
    expect(Math.sqrt(num / den)).toBeCloseTo(Math.sqrt(n2 / d2), 12);
    const noTruth = engineWith('spiral', 0);
    noTruth.setData({ trajectories: s, truth: null });
    expect(noTruth.fieldErrorParts()).toEqual([]); // no true field: no error
  });
});

describe('a settings change that keeps the model', () => {
  it('keeps the weights, optimiser state and iteration and applies the new settings, with the data loaded', () => {
    const e = engineWith('toggle', 3);
    const before = unpackDocument(e.snapshot()!);
    e.configure({ ...toTrainerConfig(DEFAULTS), optimizer: { name: 'adam', lr: 0.05, clip: 10 } }, null, true);
    const after = unpackDocument(e.snapshot()!);
    expect(after.config.optimizer!.lr).toBe(0.05);
    expect({ ...after, config: null }).toEqual({ ...before, config: null });
    expect(e.trainer()!.step(1).status).toBe('success');
  });
});

describe('an iteration under way (resumable steps, as the worker trains)', () => {
  it('continues through the whole-data loss and the visuals computed between its pieces, as if uninterrupted', () => {
    const split = engineWith('toggle', 2), whole = engineWith('toggle', 2);
    split.setView({ xmin: 0, xmax: 4, ymin: 0, ymax: 4, nx: 16, ny: 16, t: 0, precision: 'float32' });
    const t = split.trainer()!;
    let pieces = 0, nfe = 0;
    while (t.iteration() < 6) {
      const r = t.step(1000, { resumable: true, maxSolverSteps: 1 });
      pieces++;
      if (r.suspended) {
        // The forward work of the iteration under way only grows: it is continued, not restarted.
        if (r.iterations === 0) expect(r.pendingNfeForward).toBeGreaterThanOrEqual(nfe);
        nfe = r.pendingNfeForward;
        for (const part of split.dataLossParts()) expect(finish(part)[0]).not.toBeNull();
        for (const part of split.visuals()) toEnd(part);
      } else nfe = 0;
    }
    expect(pieces).toBeGreaterThan(8); // the 4 iterations were in fact split
    whole.trainer()!.step(4);
    expect(Array.from(t.parameters())).toEqual(Array.from(whole.trainer()!.parameters()));
  });
});

describe('the confidence ensemble', () => {
  it('trains in bounded pieces up to its iteration limit, posts its disagreement, then stops asking for time', () => {
    const e = engineWith('toggle', 0);
    e.setView({ xmin: 0, xmax: 4, ymin: 0, ymax: 4, nx: 16, ny: 16, t: 0, precision: 'float32' });
    expect(e.backgroundDue!()).toBe(false); // not wanted
    e.setWants!({ portrait: false, confidence: true });
    expect(e.backgroundDue!()).toBe(true);
    let posts = 0, last: unknown = null;
    for (let k = 0; k < 1000 && e.backgroundDue!(); k++) {
      const { post } = e.background!();
      if (post) [posts, last] = [posts + 1, post[0]];
    }
    expect(e.backgroundDue!()).toBe(false);
    const c = (last as { analysis: { confidence: { iteration: number; iterations: number; disagreement: Float32Array } } }).analysis.confidence;
    expect(c.iteration).toBe(c.iterations);
    expect(c.disagreement.length).toBe(48 * 48);
    expect(posts).toBeGreaterThan(1);
    // New data: a new ensemble.
    e.setData({ trajectories: ode.sampleSystem('toggle', { trajectories: 2, points: 10, seed: 1 }).trajectories, truth: 'toggle' });
    expect(e.backgroundDue!()).toBe(true);
  }, 60000); // a fixed number of iterations: seconds vary with the machine's load (4-6 s on the shared 2-core box)

  it("a big ensemble's disagreement comes in bands of rows (sized like the field's) that equal the whole grid", () => {
    const config = { ...toTrainerConfig(DEFAULTS), hidden: [64, 64, 64] };
    const ens = new ode.Ensemble(config, 5);
    for (const tr of ode.sampleSystem('toggle', { trajectories: 4, points: 20, seed: 0 }).trajectories) ens.addTrajectory(tr.times, tr.states);
    ens.step(2);
    const one = new ode.Trainer(config), p = one.parameters().length * 5;
    one.delete();
    const bands = rowBands(48, fieldRows(48, p));
    expect(bands.length).toBeGreaterThan(1);
    const spec = { xmin: 0, xmax: 4, ymin: 0, ymax: 4, nx: 48, ny: 48, t: 0 };
    const whole = ens.disagreementGrid(spec), parts = new Float32Array(48 * 48);
    const dy = 4 / 47;
    for (const [r0, r1] of bands) parts.set(ens.disagreementGrid({ ...spec, ymin: r0 * dy, ymax: (r1 - 1) * dy, ny: r1 - r0 }), r0 * 48);
    expect(Array.from(parts)).toEqual(Array.from(whole));
    ens.delete();
  });
});

describe('analyses and checks in resumable pieces', () => {
  it("a path through a point comes in segments for a big network (MORE until done), the same path as one integrate", () => {
    const e = engineWith('spiral', 0);
    e.configure({ ...toTrainerConfig(DEFAULTS), hidden: Array(6).fill(256), initOutput: 1 }, null, false);
    const q = { z0: [0.5, -0.5] as [number, number], t0: 0, span: 2, points: 40 };
    const part = e.query(1, q)!;
    let pieces = 1, out: ReturnType<Part>;
    while ((out = part(40)) === MORE) pieces++;
    const per = rolloutPoints(e.trainer()!.parameters().length);
    expect(pieces).toBe(2 * Math.ceil(39 / per));
    const { path, status } = (out![0] as { answer: { path: Float64Array; status: string } }).answer;
    expect(status).toBe('success');
    expect(path).toHaveLength(4 * 40 - 2);
    const t = e.trainer() as unknown as { integrate(z0: number[], times: Float64Array, t0: number): { states: Float64Array } };
    const fwd = Float64Array.from({ length: 40 }, (_, i) => (2 * i) / 39), back = fwd.map((x) => -x);
    const f = t.integrate(q.z0, fwd, 0).states, b = t.integrate(q.z0, back, 0).states;
    expect(relDiff(path.subarray(2 * 40), f.subarray(2))).toBeLessThan(1e-3);
    expect(relDiff(path.subarray(0, 2), b.subarray(2 * 39, 2 * 40))).toBeLessThan(1e-3); // the far past first
    // The default network: one segment each way, the path exactly as one integrate.
    const small = engineWith('spiral', 0).query(2, q)!;
    expect(small(40)).toBe(MORE);
    expect(small(40)).not.toBe(MORE);
  }, 60000);

  it('the portrait part answers MORE until finished, then the portrait analyze() gives; a newer list drops the job', () => {
    const e = engineWith('toggle', 5);
    const view = { xmin: 0, xmax: 4, ymin: 0, ymax: 4, nx: 16, ny: 16, t: 0, precision: 'float32' as const };
    e.setView(view);
    e.setWants!({ portrait: true, confidence: false });
    const [part] = e.analyses!(false);
    let pieces = 0;
    let out: ReturnType<Part> = MORE;
    while ((out = part(1)) === MORE) pieces++;
    expect(pieces).toBeGreaterThan(5);
    const msg = out![0] as { analysis: { portrait: { learned: { basins: Int32Array; summary: string }; truth: { summary: string } | null; comparison: unknown } } };
    const t = e.trainer() as unknown as { analyze(v: object, o: object): { basins: Int32Array; summary: string; truth: { summary: string }; comparison: unknown } };
    const whole = t.analyze({ xmin: 0, xmax: 4, ymin: 0, ymax: 4, nx: 64, ny: 64, t: 0 }, { truth: 'toggle', maxMillis: 60000 });
    expect(msg.analysis.portrait.learned.summary).toBe(whole.summary);
    expect(Array.from(msg.analysis.portrait.learned.basins)).toEqual(Array.from(whole.basins));
    expect(msg.analysis.portrait.truth!.summary).toBe(whole.truth.summary);
    expect(msg.analysis.portrait.comparison).toEqual(whole.comparison);
    // Superseded: the first list's part has nothing more to do once a newer list exists.
    const [first] = e.analyses!(false);
    expect(first(1)).toBe(MORE);
    const [second] = e.analyses!(false);
    expect(first(1)).toBeNull();
    while (second(50) === MORE);
  }, 60000);

  it("a big network's portrait while training has the budget of its grids: the core keeps to it from the first block on", () => {
    const small = portraitMillis(1250, true), big = portraitMillis(6 * 256 * 256, true);
    expect(small).toBeLessThan(PORTRAIT.maxMillis + 40); // the default network: its grids take a few ms (32 allowed)
    expect(big).toBeGreaterThan(6000); // 256 × 6: ~3 s of float64 sampling on the reference box, three times over
    const e = engineWith('toggle', 0);
    e.setView({ xmin: 0, xmax: 4, ymin: 0, ymax: 4, nx: 16, ny: 16, t: 0, precision: 'float32' as const });
    e.configure({ ...toTrainerConfig(DEFAULTS), hidden: [256, 256, 256] }, null, false);
    e.setWants!({ portrait: true, confidence: false });
    const [part] = e.analyses!(true);
    let out: ReturnType<Part> = MORE;
    while ((out = part(40)) === MORE);
    const learned = (out![0] as { analysis: { portrait: { learned: { nullclines: { x: Float64Array } } } } }).analysis.portrait.learned;
    // At PORTRAIT.maxMillis alone (100 ms) the view's grid of this network was cut short: no nullclines.
    expect(learned.nullclines.x.length).toBeGreaterThan(0);
  }, 60000);

  it('the gradient check and the memory demo run in pieces to the one-call results', () => {
    const e = engineWith('toggle', 5);
    const t = e.trainer() as unknown as { gradientTruth(o: object): { methods: { values: Float64Array }[] } };
    const whole = t.gradientTruth({ coordinates: 5 });
    const job = e.inspect!('gradient');
    let pieces = 1, got = job.run(1);
    for (; !got; pieces++) got = job.run(1);
    job.delete();
    expect(pieces).toBeGreaterThan(3);
    const r = got.result as { methods: { values: Float64Array }[] };
    r.methods.forEach((m, i) => expect(Array.from(m.values)).toEqual(Array.from(whole.methods[i].values)));
    const mem = e.inspect!('memory');
    let points = mem.run(5);
    while (!points) points = mem.run(5);
    mem.delete();
    expect((points.result as unknown[]).length).toBe(12);
  }, 60000);
});
