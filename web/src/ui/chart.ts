// The loss chart: uPlot with a log-scale loss axis.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface LossChart {
  push(iteration: number, loss: number): void;
  clear(): void;
  resize(width: number): void;
  dispose(): void;
}

export function createLossChart(host: HTMLElement): LossChart {
  const xs: number[] = [], ys: number[] = [];
  const plot = new uPlot(
    {
      width: Math.max(200, host.clientWidth),
      height: 150,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false }, y: { distr: 3 } },
      axes: [
        { stroke: '#c9d1d9', grid: { stroke: 'rgba(255,255,255,0.06)' }, label: 'iteration' },
        { stroke: '#c9d1d9', grid: { stroke: 'rgba(255,255,255,0.06)' }, size: 55 },
      ],
      series: [{}, { stroke: '#f4a261', width: 1.5, label: 'loss' }],
    },
    [xs, ys],
    host,
  );
  let pending = false;
  const redraw = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      plot.setData([xs, ys]);
    });
  };
  return {
    push(it, loss) {
      if (!(loss > 0) || !Number.isFinite(loss)) return;
      if (xs.length && it <= xs[xs.length - 1]) return;
      xs.push(it);
      ys.push(loss);
      if (xs.length > 4000) {
        // Keep the chart light: thin the history by half.
        for (let i = 1, j = 1; i < xs.length; i += 2, j++) {
          xs[j] = xs[i];
          ys[j] = ys[i];
        }
        xs.length = ys.length = Math.ceil(xs.length / 2);
      }
      redraw();
    },
    clear() {
      xs.length = ys.length = 0;
      plot.setData([xs, ys]);
    },
    resize(width) {
      plot.setSize({ width: Math.max(200, width), height: 150 });
    },
    dispose() {
      plot.destroy();
    },
  };
}
