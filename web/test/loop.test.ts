// The render loop's frame: a layer that throws is switched off and reported once, the others still draw.
import { describe, expect, it } from 'vitest';

import type { Layer, LayerDef, Scene } from '../src/render/layers';
import { LayerLoop } from '../src/render/loop';
import { DEFAULTS } from '../src/settings';

const scene = { task: 'trajectories', settings: { ...DEFAULTS } } as unknown as Scene;
/** A 2-D context that only records its clears. */
function fakeCtx() {
  const clears: number[][] = [];
  const ctx = { canvas: { width: 40, height: 30 }, clearRect: (...a: number[]) => clears.push(a) };
  return { ctx: ctx as unknown as CanvasRenderingContext2D, clears };
}
/** A layer that counts its calls; `fails` names the call that throws. */
function layer(id: string, target: LayerDef['target'], fails?: 'update' | 'draw' | 'animated') {
  const calls = { update: 0, draw: 0, clear: 0 };
  const boom = () => { throw new Error(`${id} broke`); };
  const def: LayerDef = { id, task: 'trajectories', target, create: () => l,
    ...(fails === 'animated' ? { animated: boom } : {}) };
  const l: Layer = {
    update: () => (fails === 'update' ? boom() : void calls.update++),
    draw: () => (fails === 'draw' ? boom() : void calls.draw++),
    clear: () => void calls.clear++,
  };
  return { def, l, calls, pair: [def, l] as const };
}

function loopOf(...ls: ReturnType<typeof layer>[]) {
  const errors: { id: string; message: string; call: string }[] = [];
  const loop = new LayerLoop(ls.map((x) => x.pair), (def, err, call) => errors.push({ id: def.id, message: (err as Error).message, call }));
  return { loop, errors };
}

describe('LayerLoop', () => {
  it('draws every shown layer: own-canvas layers every frame, the overlay when the scene changed', () => {
    const own = layer('own', 'own'), over = layer('over', 'overlay');
    const { loop, errors } = loopOf(own, over);
    const { ctx, clears } = fakeCtx();
    loop.frame(ctx, scene, 0.016, true);
    loop.frame(ctx, scene, 0.016, false);
    expect(own.calls).toEqual({ update: 1, draw: 2, clear: 0 });
    expect(over.calls).toEqual({ update: 1, draw: 1, clear: 0 });
    expect(clears).toEqual([[0, 0, 40, 30]]);
    expect(loop.draws).toEqual({ own: 2, over: 1 });
    expect(errors).toEqual([]);
  });

  for (const [fails, target] of [['draw', 'overlay'], ['draw', 'own'], ['update', 'overlay'], ['animated', 'overlay']] as const) {
    it(`a layer whose ${fails} throws (${target}) is reported once, cleared and skipped, and the others still draw`, () => {
      const before = layer('before', 'own'), bad = layer('bad', target, fails), after = layer('after', 'overlay');
      const { loop, errors } = loopOf(before, bad, after);
      const { ctx } = fakeCtx();
      for (let i = 0; i < 5; i++) loop.frame(ctx, scene, 0.016, true);
      expect(errors).toEqual([{ id: 'bad', message: 'bad broke', call: fails === 'update' ? 'update' : 'draw' }]);
      expect(loop.failedIds).toEqual(['bad']);
      expect(bad.calls.clear).toBe(1);
      expect(before.calls).toMatchObject({ update: 5, draw: 5 });
      expect(after.calls).toMatchObject({ update: 5, draw: 5 });
      expect(loop.draws.bad).toBeUndefined();
    });
  }

  it('a failed layer drawn again after retry() is reported again if it still throws', () => {
    const bad = layer('bad', 'overlay', 'draw');
    const { loop, errors } = loopOf(bad);
    const { ctx } = fakeCtx();
    loop.frame(ctx, scene, 0.016, true);
    loop.frame(ctx, scene, 0.016, true);
    loop.retry('bad');
    expect(loop.failedIds).toEqual([]);
    loop.frame(ctx, scene, 0.016, true);
    expect(errors.map((e) => e.id)).toEqual(['bad', 'bad']);
  });

  it('clearHidden clears the layers not shown, and a throwing clear switches its layer off', () => {
    const shown = layer('shown', 'own'), hiddenDef = layer('hidden', 'own');
    hiddenDef.def.shown = () => false;
    hiddenDef.l.clear = () => { throw new Error('clear broke'); };
    const { loop, errors } = loopOf(shown, hiddenDef);
    loop.clearHidden(scene);
    expect(shown.calls.clear).toBe(0);
    expect(errors).toEqual([{ id: 'hidden', message: 'clear broke', call: 'clear' }]);
    expect(loop.failedIds).toEqual(['hidden']);
  });
});
