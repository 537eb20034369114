// Wires the page: DOM, state, the training worker and the renderers. Math lives in the worker and the core.
import type { DensityDocument, GridSpec, ModelDocument, SystemInfo } from '../../wasm/neural-ode';
import { History, distanceToStroke, strokeToTrajectory, strokesCross, trajectoryToStroke, type PenPoint, type Stroke, type Trajectory } from './draw/strokes';
import { densityView, drawDensity, massInPaintedCells, spray, type DensityState } from './density';
import { parseCsv } from './io/csv';
import { makeSession, parseSession, type View } from './io/session';
import { loadSession, saveSession } from './io/storage';
import type { FromWorker, Progress, ToWorker } from './protocol';
import { makeFieldGrid, type FieldGrid } from './render/field';
import { drawOverlay } from './render/overlay';
import { createCanvasParticles, createGlParticles, type ParticleRenderer } from './render/particles';
import { fitView, toWorld, type Viewport } from './render/view';
import { DEFAULTS, rebuildNeeded, settingsFromQuery, settingsToQuery, toTrainerConfig, type Settings } from './settings';
import { createLossChart } from './ui/chart';
import { createPanel } from './ui/panel';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const DEFAULT_VIEW: View = { xmin: -3, xmax: 3, ymin: -3, ymax: 3 };
const MAX_POINTS = 80;
const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;

// ---- state ----
const stored = loadSession();
const fromUrl = settingsFromQuery(location.search, stored.session?.settings ?? { ...DEFAULTS });
const urlPreset = new URLSearchParams(location.search).get('preset');
let settings: Settings = fromUrl.settings;
let strokes: Stroke[] = stored.session?.strokes ?? [];
let preset: string | null = stored.session?.preset ?? null;
let view: View = stored.session?.view ?? DEFAULT_VIEW;
let nextId = strokes.reduce((m, s) => Math.max(m, s.id), 0) + 1;
let selected: number | null = null;
let mode: 'draw' | 'predict' | 'select' = 'draw';
let drawing: PenPoint[] | null = null;
let running = false;
let field: FieldGrid | null = null;
let truth: FieldGrid | null = null;
let rollouts: Float64Array[] = [];
let predictions: Float64Array[] = [];
let systems: SystemInfo[] = [];
// A saved model only fits settings of the same shape: a link with another shape starts fresh.
let model: ModelDocument | null =
  stored.session?.model && !rebuildNeeded(stored.session.settings, settings) ? stored.session.model : null;
let iteration = model?.iteration ?? 0;
let dirty = true;
const undoStack = new History();
let task: 'trajectories' | 'density' = 'trajectories';
const dens: DensityState = { samples: stored.session?.density?.samples ?? [], logp: null, spec: null, frames: [] };
const densityUndo: number[][] = [];
let densityModel: DensityDocument | null =
  stored.session?.density?.model && !rebuildNeeded(stored.session.settings, settings) ? stored.session.density.model : null;
let painting = false;
let densityPresets: string[] = [];
const animationStart = performance.now();
const show = { particles: true, arrows: reducedMotion, strokes: true, truth: true };

// ---- hints ----
const hintEl = $<HTMLParagraphElement>('hint');
let hintTimer = 0;
function hint(text: string, action?: { label: string; run: () => void }) {
  hintEl.textContent = text;
  if (action) {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = action.label;
    b.onclick = () => {
      action.run();
      hintEl.textContent = '';
    };
    hintEl.append(b);
  }
  clearTimeout(hintTimer);
  hintTimer = window.setTimeout(() => (hintEl.textContent = ''), action ? 20000 : 8000);
}
if (stored.error) hint(stored.error);
if (fromUrl.errors.length) hint(`Some link settings were ignored: ${fromUrl.errors.join('; ')}`);

// ---- worker ----
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker) => worker.postMessage(m);

function trajectories(): { list: Trajectory[]; errors: string[] } {
  const list: Trajectory[] = [], errors: string[] = [];
  for (const s of strokes) {
    const r = strokeToTrajectory(s, { mode: settings.timeMode as 'pen' | 'constant', scale: settings.timeScale, maxPoints: MAX_POINTS });
    if (r.trajectory) list.push(r.trajectory);
    else errors.push(r.error);
  }
  return { list, errors };
}

function sendData() {
  send({ type: 'data', trajectories: trajectories().list });
}

function gridSpec(): Required<GridSpec> {
  return { ...view, nx: 64, ny: 64, t: Number($<HTMLInputElement>('time').value) };
}

// ---- persistence ----
let saveTimer = 0;
function scheduleSave() {
  clearTimeout(saveTimer);
  saveTimer = window.setTimeout(() => {
    const err = saveSession(makeSession(settings, strokes, view, preset, model, dens.samples, densityModel));
    if (err) hint(err);
  }, 400);
}
let urlTimer = 0;
function scheduleUrl() {
  clearTimeout(urlTimer);
  urlTimer = window.setTimeout(() => {
    const extra: Record<string, string> = {};
    if (preset && task === 'trajectories') extra.preset = preset;
    if (task === 'density') extra.task = 'density';
    const q = settingsToQuery(settings, extra);
    window.history.replaceState(null, '', q ? `?${q}` : location.pathname);
  }, 300);
}

// ---- strokes ----
function setStrokes(next: Stroke[], record = true) {
  if (record) undoStack.push(strokes);
  strokes = next;
  if (selected !== null && !strokes.some((s) => s.id === selected)) selected = null;
  rollouts = [];
  sendData();
  checkCrossings();
  updateButtons();
  scheduleSave();
  dirty = true;
}

function checkCrossings() {
  if (settings.timeDependent || settings.augment > 0) return;
  for (let i = 0; i < strokes.length; i++)
    for (let j = i + 1; j < strokes.length; j++)
      if (strokesCross(strokes[i], strokes[j])) {
        hint('Two strokes cross. Solutions of an autonomous 2-D ODE never cross (through each point passes one trajectory), so the model cannot fit both.', {
          label: 'Let it: add an augmented dimension',
          run: () => applySettings({ ...settings, augment: 1 }),
        });
        return;
      }
}

// ---- settings ----
const panel = createPanel($('panel'), settings, (s) => applySettings(s));
function applySettings(next: Settings) {
  const rebuild = rebuildNeeded(settings, next);
  const dataChanged = next.timeMode !== settings.timeMode || next.timeScale !== settings.timeScale;
  settings = next;
  panel.set(settings);
  send({ type: 'configure', config: toTrainerConfig(settings), rebuild });
  send({ type: 'densityConfigure', config: densityConfig(), model: rebuild ? null : densityModel });
  if (rebuild) {
    chart.clear();
    model = null;
    densityModel = null;
  }
  if (dataChanged) sendData();
  scheduleUrl();
  scheduleSave();
}

function densityConfig() {
  const c = toTrainerConfig(settings);
  return { hidden: c.hidden, activation: c.activation, seed: c.seed, solver: c.solver, gradient: c.gradient, optimizer: c.optimizer,
    regularization: c.regularization, timeDependent: true, batch: { size: 256 }, tEnd: settings.tEnd,
    trace: settings.trace as 'exact' | 'hutchinson' };
}

function sendDensitySamples() {
  send({ type: 'densitySamples', points: Float64Array.from(dens.samples) });
  scheduleSave();
}

function setTask(next: typeof task) {
  if (next === task) return;
  task = next;
  send({ type: 'task', task });
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name=task]')) r.checked = r.value === task;
  document.querySelector<HTMLElement>('.density-only')!.hidden = task !== 'density';
  $('pointer-modes').hidden = task === 'density';
  document.querySelector<HTMLElement>('.trajectory-only')!.hidden = task === 'density';
  const slider = $<HTMLInputElement>('time');
  if (task === 'density') {
    Object.assign(slider, { min: '0', max: '1', step: '0.01' });
    slider.value = '1';
    view = fitView({ xmin: -3, xmax: 3, ymin: -3, ymax: 3 }, overlay.width, overlay.height, 0);
    send({ type: 'densityView', spec: densityView(view) });
    particles.update(null, view);
    particles.clear();
    particles.draw(); // leaves the plain background under the heatmap
  } else {
    Object.assign(slider, { min: '-10', max: '10', step: '0.1' });
    slider.value = '0';
    send({ type: 'grid', spec: gridSpec() });
  }
  $('time-value').textContent = slider.value;
  fillPresets();
  chart.clear();
  scheduleUrl();
  dirty = true;
}

function fillPresets() {
  const select = $<HTMLSelectElement>('preset');
  select.replaceChildren();
  const none = document.createElement('option');
  none.value = '';
  none.textContent = task === 'density' ? '(your samples)' : '(your strokes)';
  select.append(none);
  const items = task === 'density' ? densityPresets.map((n) => ({ value: n, label: n.replace(/-/g, ' ') })) : systems.map((s) => ({ value: s.name, label: s.title }));
  for (const it of items) {
    const o = document.createElement('option');
    o.value = it.value;
    o.textContent = it.label;
    select.append(o);
  }
  select.value = task === 'trajectories' ? (preset ?? '') : '';
}

// ---- readouts ----
const chart = createLossChart($('chart'));
const fmt = (x: number, digits = 4) => (Number.isFinite(x) ? (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(digits - 1) : x.toPrecision(digits)) : '–');
function showProgress(p: Progress) {
  iteration = p.iteration;
  $('iteration').textContent = String(p.iteration);
  $('loss').textContent = Number.isFinite(p.loss) ? String(+p.loss.toPrecision(6)) : '–';
  $('grad').textContent = fmt(p.gradNorm);
  $('nfe').textContent = p.nfeForward ? `${Math.round(p.nfeForward)} / ${Math.round(p.nfeBackward)}` : '–';
  $('ms').textContent = p.millis ? fmt(p.millis, 3) : '–';
  $('field-error').textContent = p.fieldError === null ? '–' : `${(100 * p.fieldError).toFixed(1)} %`;
  if (Number.isFinite(p.loss)) chart.push(p.iteration, p.loss);
  if (p.status !== 'success' && p.message) hint(`Training stopped: ${p.message}. Try a smaller learning rate, Reset, or a looser solver tolerance.`);
}

function updateButtons() {
  const train = $<HTMLButtonElement>('train');
  train.textContent = running ? 'Pause' : 'Train';
  train.setAttribute('aria-pressed', String(running));
  $<HTMLButtonElement>('undo').disabled = !undoStack.canUndo;
  $<HTMLButtonElement>('redo').disabled = !undoStack.canRedo;
}

// ---- worker messages ----
let modelTimer = 0;
worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'ready': {
      systems = m.systems;
      densityPresets = m.densityPresets;
      fillPresets();
      if (urlPreset && urlPreset !== preset && systems.some((s) => s.name === urlPreset)) loadPreset(urlPreset);
      if (new URLSearchParams(location.search).get('task') === 'density') setTask('density');
      break;
    }
    case 'progress':
      running = m.running;
      showProgress(m.progress);
      updateButtons();
      if (!running) requestModel();
      break;
    case 'grid':
      field = makeFieldGrid(m.spec, m.values);
      truth = m.truth ? makeFieldGrid(m.spec, m.truth) : null;
      particles.update(field, view);
      dirty = true;
      break;
    case 'rollouts':
      rollouts = m.paths;
      dirty = true;
      break;
    case 'predict':
      predictions = [...predictions.slice(-4), m.path];
      if (m.status !== 'success') hint(`The prediction stopped early (${m.status}): the learned field blows up there.`);
      dirty = true;
      break;
    case 'sample': {
      const info = systems.find((s) => s.name === m.name)!;
      const next = m.trajectories.map((t) => trajectoryToStroke(nextId++, t));
      preset = m.name;
      view = fitView(info.bounds, overlay.width, overlay.height);
      setStrokes(next);
      send({ type: 'truth', name: preset });
      send({ type: 'grid', spec: gridSpec() });
      $<HTMLSelectElement>('preset').value = preset;
      hint(`${info.title}: ${info.description}`);
      scheduleUrl();
      break;
    }
    case 'density':
      dens.logp = m.logp;
      dens.spec = m.spec;
      dens.frames = m.frames;
      dirty = true;
      break;
    case 'densityPoints': {
      densityUndo.push(dens.samples);
      dens.samples = Array.from(m.points);
      sendDensitySamples();
      hint(`Density preset: ${m.name.replace(/-/g, ' ')} (${m.points.length / 2} samples).`);
      dirty = true;
      break;
    }
    case 'densityModel':
      densityModel = m.model;
      scheduleSave();
      break;
    case 'model':
      model = m.model;
      scheduleSave();
      break;
    case 'error':
      hint(m.message);
      break;
  }
};
function requestModel() {
  clearTimeout(modelTimer);
  modelTimer = window.setTimeout(() => send({ type: 'model' }), 200);
}
setInterval(() => running && send({ type: 'model' }), 5000);

function loadPreset(name: string) {
  send({ type: 'sample', name, trajectories: 8, points: 40, seed: settings.seed });
}

// ---- canvases and renderers ----
const overlay = $<HTMLCanvasElement>('overlay');
const particleCanvas = $<HTMLCanvasElement>('particles');
const octx = overlay.getContext('2d')!;
let particles: ParticleRenderer;
try {
  particles = createGlParticles(particleCanvas);
} catch (err) {
  // WebGL2 missing: a fresh canvas for the 2-D fallback (a canvas keeps its first context type).
  const fresh = particleCanvas.cloneNode() as HTMLCanvasElement;
  particleCanvas.replaceWith(fresh);
  particles = createCanvasParticles(fresh);
  console.info(`particles: Canvas2D fallback (${(err as Error).message})`);
}
document.documentElement.dataset.renderer = particles.kind;

function viewport(): Viewport {
  return { view, width: overlay.width, height: overlay.height };
}

function resize() {
  const r = overlay.getBoundingClientRect();
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(r.width * dpr)), h = Math.max(1, Math.round(r.height * dpr));
  if (w === overlay.width && h === overlay.height) return;
  overlay.width = w;
  overlay.height = h;
  particles.resize(w, h);
  view = fitView(view, w, h, 0);
  particles.update(field, view);
  send({ type: 'grid', spec: gridSpec() });
  if (task === 'density') send({ type: 'densityView', spec: densityView(view) });
  chart.resize($('chart').clientWidth);
  dirty = true;
}
new ResizeObserver(resize).observe(overlay);

let paused = false;
function frame() {
  if (!paused) {
    if (task === 'density') {
      const animate = $<HTMLInputElement>('animate').checked && !reducedMotion;
      const slider = $<HTMLInputElement>('time');
      let u = Number(slider.value);
      if (animate) {
        const phase = ((performance.now() - animationStart) / 4000) % 2;
        u = phase < 1 ? phase : 2 - phase;
      }
      drawOverlay(octx, viewport(), { strokes: [], selected: null, drawing: null, rollouts: [], predictions: [], field: null, truth: null, show: { ...show, arrows: false, truth: false } });
      drawDensity(octx, viewport(), dens, u, $<HTMLInputElement>('show-samples').checked);
      dirty = false;
    } else {
      if (show.particles && !reducedMotion) particles.draw();
      if (dirty) {
        drawOverlay(octx, viewport(), { strokes, selected, drawing, rollouts, predictions, field, truth, show });
        dirty = false;
      }
    }
  }
  requestAnimationFrame(frame);
}
document.addEventListener('visibilitychange', () => (paused = document.hidden));

// ---- pointer input ----
function worldAt(e: PointerEvent | MouseEvent): [number, number] {
  const r = overlay.getBoundingClientRect();
  const dpr = overlay.width / r.width;
  return toWorld(viewport(), (e.clientX - r.left) * dpr, (e.clientY - r.top) * dpr);
}
function paintAt(e: PointerEvent) {
  const [x, y] = worldAt(e);
  const radius = (Number($<HTMLInputElement>('brush-size').value) / 60) * (view.xmax - view.xmin) * 0.25;
  dens.samples.push(...spray(x, y, radius, Number($<HTMLInputElement>('brush-density').value)));
  dirty = true;
}

overlay.addEventListener('pointerdown', (e) => {
  overlay.focus();
  const [x, y] = worldAt(e);
  if (task === 'density') {
    overlay.setPointerCapture(e.pointerId);
    densityUndo.push(dens.samples.slice());
    painting = true;
    paintAt(e);
    return;
  }
  if (mode === 'draw') {
    overlay.setPointerCapture(e.pointerId);
    drawing = [{ x, y, t: e.timeStamp }];
  } else if (mode === 'predict') {
    const span = Math.max(5, ...trajectories().list.map((t) => t.times[t.times.length - 1] - t.times[0]));
    send({ type: 'predict', id: Date.now(), z0: [x, y], t0: Number($<HTMLInputElement>('time').value), span, points: 200 });
  } else {
    const tol = (0.02 * (view.xmax - view.xmin));
    let best: Stroke | null = null, bestD = tol;
    for (const s of strokes) {
      const d = distanceToStroke(s, x, y);
      if (d < bestD) [best, bestD] = [s, d];
    }
    selected = best ? best.id : null;
    if (best) hint('Stroke selected: press Delete to remove it.');
  }
  dirty = true;
});
overlay.addEventListener('pointermove', (e) => {
  if (painting) {
    paintAt(e);
    return;
  }
  if (!drawing) return;
  const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [e];
  for (const ev of events.length ? events : [e]) {
    const [x, y] = worldAt(ev);
    drawing.push({ x, y, t: ev.timeStamp });
  }
  dirty = true;
});
function finishStroke() {
  if (painting) {
    painting = false;
    sendDensitySamples();
    return;
  }
  if (!drawing) return;
  const stroke: Stroke = { id: nextId++, points: drawing, source: 'pen' };
  drawing = null;
  const r = strokeToTrajectory(stroke, { mode: settings.timeMode as 'pen' | 'constant', scale: settings.timeScale, maxPoints: MAX_POINTS });
  if (!r.trajectory) {
    hint(`Not added: ${r.error}`);
    dirty = true;
    return;
  }
  if (preset) {
    preset = null;
    $<HTMLSelectElement>('preset').value = '';
    scheduleUrl();
  }
  setStrokes([...strokes, stroke]);
}
overlay.addEventListener('pointerup', finishStroke);
overlay.addEventListener('pointercancel', finishStroke);

// ---- controls ----
function toggleTraining() {
  send({ type: 'train', running: !running });
}
function step() {
  send({ type: 'step', n: 1 });
}
function resetWeights() {
  send({ type: 'reset', seed: settings.seed });
  chart.clear();
  if (task === 'density') densityModel = null;
  else model = null;
  scheduleSave();
}
function clearStrokes() {
  if (task === 'density') {
    if (dens.samples.length === 0) return;
    send({ type: 'train', running: false });
    densityUndo.push(dens.samples);
    dens.samples = [];
    sendDensitySamples();
    hint('Cleared. Ctrl+Z brings the samples back.');
    dirty = true;
    return;
  }
  if (strokes.length === 0) return;
  send({ type: 'train', running: false });
  setStrokes([]);
  predictions = [];
  hint('Cleared. Ctrl+Z brings the strokes back.');
}
function undo() {
  if (task === 'density') {
    const prev = densityUndo.pop();
    if (prev) {
      dens.samples = prev;
      sendDensitySamples();
      dirty = true;
    }
    return;
  }
  const prev = undoStack.undo(strokes);
  if (prev) setStrokes(prev, false);
}
function redo() {
  const next = undoStack.redo(strokes);
  if (next) setStrokes(next, false);
}
function setMode(m: typeof mode) {
  mode = m;
  for (const r of document.querySelectorAll<HTMLInputElement>('input[name=mode]')) r.checked = r.value === m;
  overlay.style.cursor = m === 'select' ? 'pointer' : 'crosshair';
}
$('train').onclick = toggleTraining;
$('step').onclick = step;
$('reset').onclick = resetWeights;
$('clear').onclick = clearStrokes;
$('undo').onclick = undo;
$('redo').onclick = redo;
for (const r of document.querySelectorAll<HTMLInputElement>('input[name=mode]')) r.onchange = () => setMode(r.value as typeof mode);
for (const r of document.querySelectorAll<HTMLInputElement>('input[name=task]')) r.onchange = () => setTask(r.value as typeof task);
$<HTMLSelectElement>('preset').onchange = (e) => {
  const v = (e.target as HTMLSelectElement).value;
  if (task === 'density') {
    if (v) send({ type: 'densityPreset', name: v, n: 2000, seed: settings.seed });
    return;
  }
  if (v) loadPreset(v);
  else {
    preset = null;
    send({ type: 'truth', name: null });
    scheduleUrl();
  }
};
for (const key of ['particles', 'arrows', 'strokes', 'truth'] as const) {
  const box = $<HTMLInputElement>(`show-${key}`);
  box.checked = show[key];
  box.onchange = () => {
    show[key] = box.checked;
    if (key === 'particles' && !box.checked) particles.clear();
    dirty = true;
  };
}
$<HTMLInputElement>('time').oninput = () => {
  $('time-value').textContent = $<HTMLInputElement>('time').value;
  if (task === 'density') {
    $<HTMLInputElement>('animate').checked = false;
    dirty = true;
  } else send({ type: 'grid', spec: gridSpec() });
};

document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA') && (t as HTMLInputElement).type !== 'radio' && (t as HTMLInputElement).type !== 'checkbox') return;
  const k = e.key.toLowerCase();
  if ((e.ctrlKey || e.metaKey) && k === 'z') {
    e.preventDefault();
    if (e.shiftKey) redo();
    else undo();
  } else if ((e.ctrlKey || e.metaKey) && k === 'y') {
    e.preventDefault();
    redo();
  } else if (e.ctrlKey || e.metaKey || e.altKey) return;
  else if (k === ' ') {
    if (t.tagName === 'BUTTON') return; // the button itself handles Space
    e.preventDefault();
    toggleTraining();
  } else if (k === 's') step();
  else if (k === 'r') resetWeights();
  else if (k === 'd') setMode('draw');
  else if (k === 'p') setMode('predict');
  else if (k === 'v') setMode('select');
  else if ((k === 'delete' || k === 'backspace') && selected !== null) {
    setStrokes(strokes.filter((s) => s.id !== selected));
    selected = null;
  }
});

// ---- files ----
function download(name: string, url: string) {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
}
$('export').onclick = () => {
  const doc = makeSession(settings, strokes, view, preset, model, dens.samples, densityModel);
  download('neural-ode-session.json', URL.createObjectURL(new Blob([JSON.stringify(doc)], { type: 'application/json' })));
};
$<HTMLInputElement>('import').onchange = async (e) => {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (!file) return;
  const r = parseSession(await file.text());
  if (!r.session) {
    hint(`Import failed, nothing changed: ${r.error}`);
    return;
  }
  const s = r.session;
  send({ type: 'train', running: false });
  settings = s.settings;
  panel.set(settings);
  view = fitView(s.view, overlay.width, overlay.height, 0);
  preset = s.preset;
  model = s.model;
  $<HTMLSelectElement>('preset').value = preset ?? '';
  send({ type: 'configure', config: toTrainerConfig(settings), rebuild: true, model });
  densityModel = s.density?.model ?? null;
  send({ type: 'densityConfigure', config: densityConfig(), model: densityModel });
  dens.samples = s.density?.samples ?? [];
  sendDensitySamples();
  setStrokes(s.strokes);
  send({ type: 'truth', name: preset });
  send({ type: 'grid', spec: gridSpec() });
  chart.clear();
  scheduleUrl();
  hint(`Imported ${s.strokes.length} strokes${model ? ' and a trained model' : ''}.`);
};
$<HTMLInputElement>('import-csv').onchange = async (e) => {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (!file) return;
  const r = parseCsv(await file.text());
  if (!r.trajectories) {
    hint(`CSV not imported, nothing changed: ${r.error}`);
    return;
  }
  const added = r.trajectories.map((t) => trajectoryToStroke(nextId++, t));
  let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
  for (const s of [...strokes, ...added])
    for (const p of s.points) {
      xmin = Math.min(xmin, p.x); xmax = Math.max(xmax, p.x);
      ymin = Math.min(ymin, p.y); ymax = Math.max(ymax, p.y);
    }
  if (xmax > xmin && ymax > ymin) view = fitView({ xmin, xmax, ymin, ymax }, overlay.width, overlay.height, 0.1);
  preset = null;
  $<HTMLSelectElement>('preset').value = '';
  setStrokes([...strokes, ...added]);
  send({ type: 'truth', name: null });
  send({ type: 'grid', spec: gridSpec() });
  hint(`Imported ${added.length} trajectories from the CSV.`);
};
$('png').onclick = () => {
  const c = document.createElement('canvas');
  c.width = overlay.width;
  c.height = overlay.height;
  const ctx = c.getContext('2d')!;
  ctx.drawImage(document.getElementById('particles') as HTMLCanvasElement, 0, 0);
  ctx.drawImage(overlay, 0, 0);
  download('neural-ode.png', c.toDataURL('image/png'));
};

// ---- start ----
send({ type: 'configure', config: toTrainerConfig(settings), rebuild: true, model });
send({ type: 'densityConfigure', config: densityConfig(), model: densityModel });
if (dens.samples.length) send({ type: 'densitySamples', points: Float64Array.from(dens.samples) });
sendData();
if (preset) send({ type: 'truth', name: preset });
resize();
send({ type: 'grid', spec: gridSpec() });
setMode('draw');
updateButtons();
checkCrossings();
requestAnimationFrame(frame);
if (iteration) $('iteration').textContent = String(iteration);
// For tests and the curious: a read-only peek at the page state.
(window as unknown as { playground: object }).playground = {
  get strokes() { return strokes.length; },
  get settings() { return { ...settings }; },
  get preset() { return preset; },
  get task() { return task; },
  get densitySamples() { return dens.samples.length / 2; },
  densityMass: () => massInPaintedCells(dens),
  get densityReady() { return dens.logp !== null; },
  get renderer() { return particles.kind; },
  get running() { return running; },
};
