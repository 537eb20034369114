// The density task on the page: spray-painted samples; the learned density and the flow's frames come back from
// the worker. The slider scrubs the flow's time when the animation is off.
import { withData, withPreset } from '../app/state';
import { densityView, mergeDensityVisual, spray } from '../render/density';
import { toDensityConfig } from '../settings';
import type { TaskModule } from './task';

export const densityTask: TaskModule<'density'> = {
  id: 'density',
  emptyHint: 'Paint samples here: drag to spray points where the density should be. Or pick a preset above.',
  ownData: '(your samples)',
  lossLabel: 'NLL, all samples (nats)',
  batchLossLabel: 'NLL, last minibatch (nats)',
  empty: [],
  dataSize: (d) => d.length / 2,
  sync: {
    config: toDensityConfig,
    workerData: (state) => ({ points: Float64Array.from(state.data) }),
    dataKey: () => '',
    viewSpec: (view) => densityView(view),
  },
  time: { min: 0, max: 1, step: 0.01, initial: 1, disabled: () => null, stops: 'animate' },
  view: { xmin: -3, xmax: 3, ymin: -3, ymax: 3 },
  fieldError: () => false,
  toScene(state, scene) {
    scene.samples = state.data;
  },
  onVisual(env, v) {
    env.scene.density = mergeDensityVisual(env.scene.density, v);
    env.invalidate();
  },
  onPreset(env, name, p) {
    env.commit(withPreset(env.state(), 'density', name, Array.from(p.points)), 'model');
    env.hint(`Density preset: ${name.replace(/-/g, ' ')} (${p.points.length / 2} samples). A fresh flow starts; Undo brings back the previous one.`);
  },
  onAnswer() {},
  modes: false,
  pointer(env) {
    let painted: number[] | null = null;
    const paint = (e: PointerEvent) => {
      const [x, y] = env.worldAt(e);
      const v = env.scene.vp.view;
      const size = Number((document.getElementById('brush-size') as HTMLInputElement | null)?.value ?? 4);
      const rate = Number((document.getElementById('brush-density') as HTMLInputElement | null)?.value ?? 6);
      painted!.push(...spray(x, y, (size / 60) * (v.xmax - v.xmin) * 0.25, rate));
      env.invalidate();
    };
    return {
      down(e) {
        (e.target as Element).setPointerCapture?.(e.pointerId);
        painted = env.state().tasks.density.data.slice();
        env.scene.samples = painted;
        paint(e);
      },
      move(e) {
        if (painted) paint(e);
      },
      up() {
        if (!painted) return;
        const samples = painted;
        painted = null;
        env.commit(withData(env.state(), 'density', samples, null), 'data');
      },
    };
  },
};
