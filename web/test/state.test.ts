import { describe, expect, it } from 'vitest';

import { emptyTask, planSync, withData, withModel, withPreset, withRestored, withSettings, type AppState } from '../src/app/state';
import type { Stroke } from '../src/draw/strokes';
import { checkPreset, parseLink } from '../src/io/link';
import type { ToWorker } from '../src/protocol';
import { DEFAULTS, SETTINGS, appliesTo, panelLayout } from '../src/settings';
import { SYNCS } from '../src/tasks';

const stroke = (id: number): Stroke => ({ id, source: 'model', points: [{ x: 0, y: 0, t: 0 }, { x: 1, y: id, t: 1 }] });
const base = (): AppState => ({
  task: 'trajectories', settings: { ...DEFAULTS }, view: { xmin: -3, xmax: 3, ymin: -3, ymax: 3 }, time: 0,
  tasks: { trajectories: emptyTask<'trajectories'>([]), density: emptyTask<'density'>([]) },
});
const types = (ms: ToWorker[]) => ms.map((m) => ('task' in m ? `${m.type}:${m.task}` : m.type));
const fakeModel = { format: 'neural-ode-model', iteration: 7 } as never;

describe('planSync: one path from a state to the worker', () => {
  it('a new worker hears everything: both configs, both data sets, both views, the active task', () => {
    expect(types(planSync(null, base(), SYNCS))).toEqual([
      'configure:trajectories', 'data:trajectories', 'view:trajectories', 'want:trajectories', 'configure:density', 'data:density', 'view:density',
      'activate:trajectories']);
  });

  it('a portrait or confidence layer asks the worker for that analysis; the true portrait only with a preset', () => {
    const s = base();
    const want = (a: AppState, b: AppState) => planSync(a, b, SYNCS).filter((m) => m.type === 'want').map((m) => (m as { want: unknown }).want);
    expect(want(s, withSettings(s, { ...s.settings, showBasins: true }))).toEqual([{ portrait: true, confidence: false }]);
    expect(want(s, withSettings(s, { ...s.settings, showConfidence: true }))).toEqual([{ portrait: false, confidence: true }]);
    // Toggling a second portrait layer changes nothing the worker computes.
    const b = withSettings(s, { ...s.settings, showBasins: true });
    expect(want(b, withSettings(b, { ...b.settings, showEquilibria: true }))).toEqual([]);
    const tp = withSettings(s, { ...s.settings, showTruePortrait: true });
    expect(want(s, tp)).toEqual([]);
    expect(want(tp, withData(tp, 'trajectories', [stroke(1)], 'toggle'))).toEqual([{ portrait: true, confidence: false }]);
  });

  it('an unchanged state sends nothing; a worker snapshot (same generation) sends nothing', () => {
    const s = base();
    expect(planSync(s, s, SYNCS)).toEqual([]);
    expect(planSync(s, { ...s }, SYNCS)).toEqual([]);
    expect(planSync(s, withModel(s, 'trajectories', fakeModel), SYNCS)).toEqual([]);
  });

  it('new strokes send only the trajectory data, with the preset as the truth', () => {
    const s = base();
    const ms = planSync(s, withData(s, 'trajectories', [stroke(1)], 'toggle'), SYNCS);
    expect(types(ms)).toEqual(['data:trajectories']);
    const m = ms[0] as Extract<ToWorker, { type: 'data'; task: 'trajectories' }>;
    expect(m.data.trajectories).toHaveLength(1);
    expect(m.data.truth).toBe('toggle');
  });

  it('an optimiser setting keeps the weights; a shape setting restarts the model of the tasks it applies to', () => {
    const s = withModel(base(), 'trajectories', fakeModel);
    const lr = planSync(s, withSettings(s, { ...s.settings, lr: 0.05 }), SYNCS);
    expect(types(lr)).toEqual(['configure:trajectories', 'configure:density']);
    expect(lr.every((m) => m.type === 'configure' && m.keep && m.model === null)).toBe(true);
    const wide = withSettings(s, { ...s.settings, width: 8 });
    expect(wide.tasks.trajectories.model).toBeNull();
    const ms = planSync(s, wide, SYNCS);
    expect(ms.every((m) => m.type === 'configure' && !m.keep)).toBe(true);
    // The flow length shapes only the density model.
    const te = withSettings(s, { ...s.settings, tEnd: 2 });
    expect(te.tasks.trajectories.model).toBe(fakeModel);
    expect(types(planSync(s, te, SYNCS))).toEqual(['configure:density']);
  });

  it('the stroke-time settings resend the data; the slider resends the view; a task switch activates', () => {
    const s = withData(base(), 'trajectories', [stroke(1)]);
    expect(types(planSync(s, withSettings(s, { ...s.settings, timeScale: 2 }), SYNCS))).toEqual(['data:trajectories']);
    expect(types(planSync(s, { ...s, time: 1 }, SYNCS))).toEqual(['view:trajectories']);
    expect(types(planSync(s, { ...s, task: 'density' }, SYNCS))).toEqual(['activate:density']);
  });

  it('a preset starts a fresh model; undoing it restores the previous model, undoing an edit does not', () => {
    const s = withModel(withData(base(), 'trajectories', [stroke(1)]), 'trajectories', fakeModel);
    const p = withPreset(s, 'trajectories', 'toggle', [stroke(2)]);
    expect(p.tasks.trajectories.model).toBeNull();
    const fresh = planSync(s, p, SYNCS);
    expect(fresh[0]).toMatchObject({ type: 'configure', task: 'trajectories', model: null, keep: false });
    const back = withRestored(p, 'trajectories', s.tasks.trajectories, true);
    expect(back.tasks.trajectories.data).toBe(s.tasks.trajectories.data);
    expect(planSync(p, back, SYNCS)[0]).toMatchObject({ type: 'configure', model: fakeModel, keep: false });
    // Undoing a stroke edit brings the strokes back but keeps training the current model.
    const edited = withModel(withData(s, 'trajectories', [stroke(1), stroke(3)]), 'trajectories', { format: 'neural-ode-model', iteration: 99 } as never);
    const undone = withRestored(edited, 'trajectories', s.tasks.trajectories, false);
    expect(undone.tasks.trajectories.data).toHaveLength(1);
    expect(undone.tasks.trajectories.model).toBe(edited.tasks.trajectories.model);
    expect(types(planSync(edited, undone, SYNCS))).toEqual(['data:trajectories']);
  });

  it('density data never touches the strokes (and the other way round)', () => {
    const s = withData(base(), 'trajectories', [stroke(1)]);
    const d = withData({ ...s, task: 'density' }, 'density', [0, 1, 2, 3]);
    expect(d.tasks.trajectories).toBe(s.tasks.trajectories);
    expect(types(planSync({ ...s, task: 'density' }, d, SYNCS))).toEqual(['data:density']);
  });
});

describe('settings per task and the first screen', () => {
  it('shows width, depth, learning rate, gradient and solver first; the rest under Advanced', () => {
    const { basic, advanced } = panelLayout();
    expect(basic.map((d) => d.key)).toEqual(['width', 'depth', 'lr', 'gradient', 'solver']);
    expect([...advanced.values()].flat().length + basic.length + SETTINGS.filter((d) => d.group === 'Layers').length).toBe(SETTINGS.length);
  });

  it('shows each task its own settings only', () => {
    const shown = (task: 'trajectories' | 'density') => SETTINGS.filter((d) => appliesTo(d, task)).map((d) => d.key);
    expect(shown('trajectories')).toEqual(expect.arrayContaining(['batchSize', 'window', 'loss', 'timeMode']));
    expect(shown('trajectories')).not.toEqual(expect.arrayContaining(['tEnd']));
    expect(shown('trajectories')).not.toContain('trace');
    expect(shown('density')).toEqual(expect.arrayContaining(['tEnd', 'trace']));
    for (const k of ['batchSize', 'window', 'loss', 'timeMode', 'timeScale', 'augment', 'timeDependent']) expect(shown('density')).not.toContain(k);
  });
});

describe('links', () => {
  it('reports every value it does not use: unknown names, bad values, unknown tasks and presets', () => {
    const l = parseLink('preset=nonexistent&task=foo&hidden=3&w=12', { ...DEFAULTS });
    expect(l.settings.width).toBe(12);
    expect(l.task).toBeNull();
    expect(l.errors.join('; ')).toMatch(/'hidden' is not a setting/);
    expect(l.errors.join('; ')).toMatch(/task 'foo' is not one of trajectories, density/);
    expect(checkPreset('nonexistent', ['toggle', 'spiral'])).toMatch(/preset 'nonexistent' does not exist/);
    expect(checkPreset('toggle', ['toggle'])).toBeNull();
    expect(parseLink('task=density&preset=rings&lsm=0', { ...DEFAULTS })).toMatchObject({ task: 'density', preset: 'rings', errors: [] });
  });
});
