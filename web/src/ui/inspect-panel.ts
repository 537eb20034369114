// The gradient truth panel: on demand, the full-data gradient of the current model by each method (backsolve
// adjoint, checkpointed, direct) against central finite differences on a few parameters, with their relative
// differences, NFE and stored states; and memory against solver steps (adjoint flat, direct growing), charted.
import uPlot from 'uplot';

import type { GradientTruth, MemoryPoint } from '../../../wasm/neural-ode';
import type { Inspection } from '../protocol';
import { formatLoss } from './chart';

export interface InspectPanel {
  /** The worker's answer (a result, or why there is none). */
  show(what: Inspection['what'], result: GradientTruth | MemoryPoint[] | null, error?: string): void;
  /** Whether a check is under way (its button waits). */
  busy(what: Inspection['what'], on: boolean): void;
}

const sci = (x: number) => (Number.isFinite(x) ? (x === 0 ? '0' : x.toExponential(1)) : '–');
const COLOURS: Record<string, string> = { adjoint: '#4cc9f0', checkpointed: '#b5e48c', direct: '#f4a261' };

function cell(tag: 'td' | 'th', text: string, cls?: string): HTMLElement {
  const c = document.createElement(tag);
  c.textContent = text;
  if (tag === 'th') c.setAttribute('scope', 'col');
  if (cls) c.className = cls;
  return c;
}

/** The table of one gradient check. */
export function gradientTable(g: GradientTruth): HTMLTableElement {
  const t = document.createElement('table');
  t.className = 'truth';
  t.dataset.testid = 'gradient-table';
  const head = document.createElement('tr');
  for (const h of ['method', 'vs finite diff.', 'vs direct', 'agrees', 'NFE fwd / bwd', 'states kept', 'ms']) head.append(cell('th', h));
  t.createTHead().append(head);
  const body = t.createTBody();
  for (const m of g.methods) {
    const r = document.createElement('tr');
    r.dataset.method = m.method;
    r.append(cell('td', m.method), cell('td', sci(m.relToFd)), cell('td', sci(m.relToDirect)),
      cell('td', m.status !== 'success' ? m.status : m.agrees ? 'yes' : 'no', m.agrees ? 'ok' : 'bad'),
      cell('td', `${m.nfeForward} / ${m.nfeBackward}`), cell('td', String(m.storedStates)), cell('td', String(Math.round(m.millis))));
    body.append(r);
  }
  return t;
}

export function createInspectPanel(host: HTMLElement, request: (what: Inspection['what']) => void): InspectPanel {
  const intro = document.createElement('p');
  intro.textContent = 'Check the gradient of the loss on all data by each method against finite differences, and how much memory each needs as the solver takes more steps.';
  const gradButton = document.createElement('button');
  gradButton.type = 'button';
  gradButton.id = 'check-gradient';
  gradButton.textContent = 'Check the gradient';
  const memButton = document.createElement('button');
  memButton.type = 'button';
  memButton.id = 'memory-demo';
  memButton.textContent = 'Memory vs solver steps';
  gradButton.onclick = () => request('gradient');
  memButton.onclick = () => request('memory');
  const row = document.createElement('div');
  row.className = 'inspect-buttons';
  row.append(gradButton, memButton);
  const gradOut = document.createElement('div');
  gradOut.id = 'gradient-result';
  gradOut.setAttribute('aria-live', 'polite');
  const memOut = document.createElement('div');
  memOut.id = 'memory-result';
  memOut.setAttribute('aria-live', 'polite');
  host.append(intro, row, gradOut, memOut);
  let plot: uPlot | null = null;

  function showGradient(g: GradientTruth) {
    const summary = document.createElement('p');
    summary.dataset.testid = 'gradient-summary';
    const all = g.methods.every((m) => m.agrees);
    summary.textContent = `Loss ${formatLoss(g.loss)}; ${g.coordinates.length} parameters (the largest gradient entries), central differences with step ${sci(g.fdStep)}. ` +
      (all ? `All methods agree with finite differences within the tolerance ${sci(g.tolerance)}.`
        : `Tolerance ${sci(g.tolerance)}: ${g.methods.filter((m) => !m.agrees).map((m) => m.method).join(', ')} disagree` +
          (g.methods.some((m) => m.method === 'adjoint' && !m.agrees) ? ' (the backsolve adjoint is inexact on contracting flows).' : '.'));
    gradOut.replaceChildren(summary, gradientTable(g));
  }

  function showMemory(points: MemoryPoint[]) {
    const steps = [...new Set(points.map((p) => p.steps))].sort((a, b) => a - b);
    const methods = [...new Set(points.map((p) => p.method))];
    const series = methods.map((m) => steps.map((s) => points.find((p) => p.method === m && p.steps === s && p.status === 'success')?.storedStates ?? null));
    const caption = document.createElement('p');
    caption.dataset.testid = 'memory-summary';
    const last = (m: string) => series[methods.indexOf(m as never)]?.at(-1) ?? null;
    caption.textContent = `States kept for the backward pass at ${steps.join(', ')} fixed RK4 steps: ` +
      methods.map((m, i) => `${m} ${series[i].map((v) => (v === null ? '–' : String(v))).join(' → ')}`).join('; ') +
      (last('adjoint') !== null && last('direct') !== null ? '. The adjoint stays flat; direct grows with the steps.' : '.');
    const chartHost = document.createElement('div');
    chartHost.className = 'memory-chart';
    chartHost.setAttribute('role', 'img');
    chartHost.setAttribute('aria-label', 'Chart of states kept against solver steps, log–log, one line per gradient method');
    memOut.replaceChildren(caption, chartHost);
    // The numbers charted, for tests and the curious.
    memOut.dataset.series = JSON.stringify({ steps, methods, storedStates: series });
    plot?.destroy();
    const axis = { stroke: '#c9d1d9', grid: { stroke: 'rgba(255,255,255,0.06)' }, ticks: { stroke: 'rgba(255,255,255,0.15)' } };
    plot = new uPlot({
      width: Math.max(200, host.clientWidth || 300), height: 140, legend: { show: true }, cursor: { show: false },
      scales: { x: { time: false, distr: 3, log: 10 }, y: { distr: 3, log: 10 } },
      axes: [{ ...axis, label: 'solver steps' }, { ...axis, size: 48, values: (_u: uPlot, s: number[]) => s.map((v) => formatLoss(v)) }],
      series: [{ label: 'steps' }, ...methods.map((m) => ({ label: m, stroke: COLOURS[m] ?? '#fff', width: 2, spanGaps: true }))],
    }, [steps, ...series] as uPlot.AlignedData, chartHost);
  }

  return {
    show(what, result, error) {
      const out = what === 'gradient' ? gradOut : memOut;
      if (!result) {
        const p = document.createElement('p');
        p.textContent = `Not available: ${error ?? 'no answer'}.`;
        out.replaceChildren(p);
      } else if (what === 'gradient') showGradient(result as GradientTruth);
      else showMemory(result as MemoryPoint[]);
    },
    busy(what, on) {
      const b = what === 'gradient' ? gradButton : memButton;
      b.disabled = on;
      b.setAttribute('aria-busy', String(on));
      if (on) (what === 'gradient' ? gradOut : memOut).textContent = 'Computing…';
    },
  };
}
