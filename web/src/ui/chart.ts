// The loss chart: uPlot on a log scale (linear once a value is ≤ 0: a density's NLL), the whole-data loss bright and
// the minibatch loss faint, proper log ticks.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** The chart's history, kept with an undo entry so an undone preset switch gets its chart back. */
export interface ChartData {
  iterations: number[];
  data: (number | null)[];
  batch: (number | null)[];
}

export interface LossChart {
  /** A whole-data loss (at its iteration) and/or a minibatch loss. */
  push(iteration: number, dataLoss: number | null, batchLoss: number | null): void;
  clear(): void;
  get(): ChartData;
  set(d: ChartData): void;
  readonly empty: boolean;
  resize(width: number): void;
  dispose(): void;
}

/** A number for an axis label: never "0" for a positive value (1e-4, 0.002, 0.05, 3, 2e+5). */
export function formatLoss(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 0.01 && a < 1e4) return String(+v.toPrecision(3));
  const [m, e] = v.toExponential(1).split('e');
  return `${m.replace(/\.0$/, '')}e${Number(e)}`;
}

/** Labels for log-scale ticks: only the powers of ten when two or more are in view, every tick otherwise. */
export function logTickLabels(splits: number[]): string[] {
  const isPow = (v: number) => v > 0 && Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
  const powers = splits.filter(isPow).length;
  return splits.map((v) => (powers >= 2 && !isPow(v) ? '' : formatLoss(v)));
}

const MAX_POINTS = 4000;

/** Log scale while every value is positive (a trajectory loss), else linear (a density's NLL may go below zero). */
export function chartScale(d: ChartData): 'log' | 'linear' {
  const positive = (v: number | null) => v === null || v > 0;
  return d.data.every(positive) && d.batch.every(positive) ? 'log' : 'linear';
}

export function createLossChart(host: HTMLElement, hint: HTMLElement): LossChart {
  let d: ChartData = { iterations: [], data: [], batch: [] };
  const axis = { stroke: '#c9d1d9', grid: { stroke: 'rgba(255,255,255,0.06)' }, ticks: { stroke: 'rgba(255,255,255,0.15)' } };
  let scale: 'log' | 'linear' = 'log';
  // Linear once a value ≤ 0 came, until the chart is cleared or replaced (thinning may drop that value: no flip back).
  let linear = false;
  let width = Math.max(200, host.clientWidth);
  const make = () => new uPlot(
    {
      width,
      height: 150,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false }, y: scale === 'log' ? { distr: 3, log: 10 } : { distr: 1 } },
      axes: [
        { ...axis, label: 'iteration' },
        { ...axis, size: 52, values: (_u: uPlot, splits: number[]) => (scale === 'log' ? logTickLabels(splits) : splits.map(formatLoss)) },
      ],
      series: [
        {},
        { stroke: '#f4a261', width: 2, label: 'loss, all data', spanGaps: true },
        { stroke: 'rgba(244,162,97,0.3)', width: 1, label: 'minibatch loss', spanGaps: true },
      ],
    },
    [[], [], []],
    host,
  );
  let plot = make();
  let pending = false;
  const redraw = () => {
    hint.hidden = d.iterations.length > 0;
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const want = linear ? 'linear' : 'log';
      if (want !== scale) {
        scale = want;
        plot.destroy();
        plot = make();
      }
      // Empty: the hint alone (uPlot's axes of no data are a 0-100 frame whose ticks the hint would overlap).
      plot.root.style.visibility = d.iterations.length ? '' : 'hidden';
      plot.setData([d.iterations, d.data, d.batch] as uPlot.AlignedData);
    });
  };
  redraw();
  const finite = (x: number | null) => (x !== null && Number.isFinite(x) ? x : null);
  return {
    push(it, dataLoss, batchLoss) {
      const dl = finite(dataLoss), bl = finite(batchLoss);
      if (dl === null && bl === null) return;
      if ((dl !== null && dl <= 0) || (bl !== null && bl <= 0)) linear = true;
      const n = d.iterations.length;
      if (n && it < d.iterations[n - 1]) return;
      if (n && it === d.iterations[n - 1]) {
        if (dl !== null) d.data[n - 1] = dl;
        if (bl !== null) d.batch[n - 1] = bl;
      } else {
        d.iterations.push(it);
        d.data.push(dl);
        d.batch.push(bl);
      }
      if (d.iterations.length > MAX_POINTS) {
        // Keep the chart light: thin the minibatch history by half, keep every whole-data point.
        const keep: number[] = [];
        for (let i = 0; i < d.iterations.length; i++) if (i % 2 === 0 || d.data[i] !== null || i === d.iterations.length - 1) keep.push(i);
        d = { iterations: keep.map((i) => d.iterations[i]), data: keep.map((i) => d.data[i]), batch: keep.map((i) => d.batch[i]) };
      }
      redraw();
    },
    clear() {
      d = { iterations: [], data: [], batch: [] };
      linear = false;
      redraw();
    },
    get: () => ({ iterations: d.iterations.slice(), data: d.data.slice(), batch: d.batch.slice() }),
    set(next) {
      d = { iterations: next.iterations.slice(), data: next.data.slice(), batch: next.batch.slice() };
      linear = chartScale(d) === 'linear';
      redraw();
    },
    get empty() {
      return d.iterations.length === 0;
    },
    resize(w) {
      width = Math.max(200, w);
      plot.setSize({ width, height: 150 });
    },
    dispose() {
      plot.destroy();
    },
  };
}
