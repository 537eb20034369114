// The trajectory task on the page: strokes (drawn or loaded) become trajectories; the learned field, rollouts,
// click-to-predict and the preset's true field come back from the worker.
import { withData, withPreset, type TaskState } from '../app/state';
import { distanceToStroke, strokeToTrajectory, strokesCross, trajectoryToStroke, type PenPoint, type Stroke, type Trajectory } from '../draw/strokes';
import { makeFieldGrid } from '../render/field';
import { analysisWants, toTrainerConfig, type Settings } from '../settings';
import type { PageEnv, TaskModule } from './task';

const MAX_POINTS = 80;

/** The trajectories the strokes give under these settings, and the reasons for the ones that give none. */
export function strokesToTrajectories(strokes: Stroke[], s: Settings): { list: Trajectory[]; errors: string[] } {
  const list: Trajectory[] = [], errors: string[] = [];
  for (const st of strokes) {
    const r = strokeToTrajectory(st, { mode: s.timeMode as 'pen' | 'constant', scale: s.timeScale, maxPoints: MAX_POINTS });
    if (r.trajectory) list.push(r.trajectory);
    else errors.push(r.error);
  }
  return { list, errors };
}

export type PointerMode = 'draw' | 'predict' | 'select';
let mode: PointerMode = 'draw';
/** The pointer mode (draw, predict, select). */
export function setPointerMode(m: PointerMode) {
  mode = m;
}

function checkCrossings(env: PageEnv, strokes: Stroke[]) {
  const s = env.state().settings;
  if (s.timeDependent || s.augment > 0) return;
  for (let i = 0; i < strokes.length; i++)
    for (let j = i + 1; j < strokes.length; j++)
      if (strokesCross(strokes[i], strokes[j])) {
        env.hint('Two strokes cross. Solutions of an autonomous 2-D ODE never cross (through each point passes one trajectory), so the model cannot fit both.', {
          label: 'Let it: add an augmented dimension',
          run: () => env.commit({ ...env.state(), settings: { ...env.state().settings, augment: 1 } }),
        });
        return;
      }
}

export const trajectoryTask: TaskModule<'trajectories'> = {
  id: 'trajectories',
  emptyHint: 'Draw a trajectory here: drag across the plane. Or pick a preset above.',
  ownData: '(your strokes)',
  lossLabel: 'loss, all data',
  batchLossLabel: 'loss, last minibatch',
  empty: [],
  dataSize: (d) => d.length,
  sync: {
    config: toTrainerConfig,
    workerData: (state, s) => ({ trajectories: strokesToTrajectories(state.data, s).list, truth: state.preset }),
    dataKey: (s) => `${s.timeMode} ${s.timeScale}`,
    // float32 sampling: the grid is only drawn (the core's faster path for pictures)
    viewSpec: (view, t) => ({ ...view, nx: 64, ny: 64, t, precision: 'float32' }),
    wants: (state, s) => analysisWants(s, state.preset !== null),
  },
  time: {
    min: -10, max: 10, step: 0.1, initial: 0,
    disabled: (s) => (s.timeDependent ? null : 'The model is time-independent (f does not take t), so t changes nothing. Turn on “time-dependent” under Advanced → Model to use it.'),
  },
  view: null,
  fieldError: (state: TaskState<'trajectories'>) => state.preset !== null,
  toScene(state, scene) {
    if (scene.strokes !== state.data) {
      scene.strokes = state.data;
      scene.rollouts = [];
      // The ensemble learns from the data: its picture is of the old data until the new one comes.
      scene.confidence = null;
      if (scene.selected !== null && !state.data.some((s) => s.id === scene.selected)) scene.selected = null;
    }
  },
  onVisual(env, v) {
    env.scene.field = makeFieldGrid(v.spec, v.values);
    env.scene.truth = v.truth ? makeFieldGrid(v.spec, v.truth) : null;
    env.scene.rollouts = v.rollouts;
    env.invalidate();
  },
  onPreset(env, name, p) {
    const strokes = p.trajectories.map((t) => trajectoryToStroke(env.nextId(), t));
    const next = withPreset(env.state(), 'trajectories', name, strokes);
    env.scene.predictions = [];
    env.commit({ ...next, view: env.fit(p.info.bounds) }, 'model');
    env.hint(`${p.info.title}: ${p.info.description} A fresh model starts; Undo brings back the previous one.`);
  },
  onAnalysis(env, a) {
    if ('portrait' in a) env.scene.portrait = a.portrait;
    else env.scene.confidence = a.confidence;
    env.invalidate();
  },
  onAnswer(env, a) {
    env.scene.predictions = [...env.scene.predictions.slice(-4), a.path];
    if (a.status !== 'success') env.hint(`The prediction stopped early (${a.status}): the learned field blows up there.`);
    env.invalidate();
  },
  modes: true,
  pointer(env) {
    let drawing: PenPoint[] | null = null;
    let target: Element | null = null;
    return {
      down(e) {
        const [x, y] = env.worldAt(e);
        if (mode === 'draw') {
          target = e.target as Element;
          target.setPointerCapture?.(e.pointerId);
          drawing = [{ x, y, t: e.timeStamp }];
          env.scene.drawing = drawing;
        } else if (mode === 'predict') {
          const state = env.state();
          const span = Math.max(5, ...strokesToTrajectories(state.tasks.trajectories.data, state.settings).list.map((t) => t.times[t.times.length - 1] - t.times[0]));
          env.send({ type: 'query', task: 'trajectories', id: Date.now(), query: { z0: [x, y], t0: env.time(), span, points: 200 } });
        } else {
          const v = env.scene.vp.view;
          let best: Stroke | null = null, bestD = 0.02 * (v.xmax - v.xmin);
          for (const s of env.state().tasks.trajectories.data) {
            const d = distanceToStroke(s, x, y);
            if (d < bestD) [best, bestD] = [s, d];
          }
          env.scene.selected = best ? best.id : null;
          if (best) env.hint('Stroke selected: press Delete to remove it.');
        }
        env.invalidate();
      },
      move(e) {
        if (!drawing) return;
        const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
        for (const ev of events.length ? events : [e]) {
          const [x, y] = env.worldAt(ev);
          drawing.push({ x, y, t: ev.timeStamp });
        }
        env.invalidate();
      },
      up() {
        if (!drawing) return;
        const stroke: Stroke = { id: env.nextId(), points: drawing, source: 'pen' };
        drawing = null;
        env.scene.drawing = null;
        const state = env.state();
        const r = strokeToTrajectory(stroke, { mode: state.settings.timeMode as 'pen' | 'constant', scale: state.settings.timeScale, maxPoints: MAX_POINTS });
        if (!r.trajectory) {
          env.hint(`Not added: ${r.error}`);
          env.invalidate();
          return;
        }
        const strokes = [...state.tasks.trajectories.data, stroke];
        env.commit(withData(state, 'trajectories', strokes, null), 'data');
        checkCrossings(env, strokes);
      },
      key(e) {
        const sel = env.scene.selected;
        if ((e.key === 'Delete' || e.key === 'Backspace') && sel !== null) {
          const state = env.state();
          env.commit(withData(state, 'trajectories', state.tasks.trajectories.data.filter((s) => s.id !== sel)), 'data');
          env.scene.selected = null;
          return true;
        }
        return false;
      },
    };
  },
};
