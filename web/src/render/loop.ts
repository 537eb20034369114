// One frame of the render loop over the layer registry, apart from the page's wiring so it can be tested without a
// browser. Every call into a layer is guarded: a layer that throws is switched off and reported once (the page says
// so), and the other layers still draw, frame after frame.
import { layerShown, type Layer, type LayerDef, type Scene } from './layers';

export class LayerLoop {
  /** ids of the layers switched off after they threw, with what they threw */
  private readonly failed = new Map<string, unknown>();
  /** draw calls per layer id since the page loaded (for tests and the curious) */
  readonly draws: Record<string, number> = {};

  /** `onError` hears of each failure once: the layer's definition, what it threw and in which call. */
  constructor(
    private readonly layers: readonly (readonly [LayerDef, Layer])[],
    private readonly onError: (def: LayerDef, err: unknown, call: string) => void,
  ) {}

  /** One frame: `dirty` (the scene changed) updates every layer; the layers with their own canvas draw every frame,
   * the overlay is cleared and redrawn when the scene changed or a shown layer is animated. */
  frame(ctx: CanvasRenderingContext2D, scene: Scene, seconds: number, dirty: boolean): void {
    let redraw = dirty;
    if (dirty) for (const [def, l] of this.layers) this.guard(def, 'update', () => l.update?.(scene));
    for (const [def, l] of this.layers) {
      this.guard(def, 'draw', () => {
        if (!layerShown(def, scene)) return;
        if (def.target === 'own') this.draw(def, l, ctx, scene, seconds);
        else if (def.animated?.(scene)) redraw = true;
      });
    }
    if (!redraw) return;
    ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    for (const [def, l] of this.layers) {
      this.guard(def, 'draw', () => {
        if (def.target === 'overlay' && layerShown(def, scene)) this.draw(def, l, ctx, scene, seconds);
      });
    }
  }

  /** Clears what the layers not shown in this scene drew on their own canvas. */
  clearHidden(scene: Scene): void {
    for (const [def, l] of this.layers) this.guard(def, 'clear', () => !layerShown(def, scene) && l.clear?.());
  }

  /** The ids of the layers switched off. */
  get failedIds(): string[] {
    return [...this.failed.keys()];
  }

  /** Switches a failed layer on again (it is reported again if it throws again). */
  retry(id: string): void {
    this.failed.delete(id);
  }

  private draw(def: LayerDef, l: Layer, ctx: CanvasRenderingContext2D, scene: Scene, seconds: number) {
    l.draw(ctx, scene, seconds);
    this.draws[def.id] = (this.draws[def.id] ?? 0) + 1;
  }

  private guard(def: LayerDef, call: string, run: () => void) {
    if (this.failed.has(def.id)) return;
    try {
      run();
    } catch (err) {
      this.failed.set(def.id, err);
      // What it drew on its own canvas goes too (an overlay layer is gone with the next redraw).
      try {
        this.layers.find(([d]) => d === def)?.[1].clear?.();
      } catch {
        // already reported: the layer is off
      }
      this.onError(def, err, call);
    }
  }
}
