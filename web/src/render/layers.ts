// The layer registry: everything drawn on the phase plane is a layer made by a factory {update, draw, dispose},
// registered here once, toggled by its 'Layers' setting (settings.ts) and drawn in this order.
import type { PenPoint, Stroke } from '../draw/strokes';
import type { ConfidenceVisual, PortraitVisual } from '../protocol';
import type { Settings, TaskId } from '../settings';
import { ParticleBudget } from './adapt';
import { drawFlow, drawHeatmap, drawSamples, type DensityVisual } from './density';
import type { FieldGrid } from './field';
import { drawArrows, drawAxes, drawPaths, drawStrokes } from './overlay';
import { createCanvasParticles, createGlParticles, type ParticleRenderer } from './particles';
import { drawBasins, drawConfidence, drawCycles, drawEquilibria, drawNullclines, drawSeparatrices, drawTruePortrait } from './portrait';
import type { Viewport } from './view';

/** What the layers draw from; the page updates it, the layers only read it. */
export interface Scene {
  task: TaskId;
  settings: Settings;
  vp: Viewport;
  /** the t slider */
  time: number;
  reducedMotion: boolean;
  strokes: Stroke[];
  selected: number | null;
  drawing: PenPoint[] | null;
  rollouts: Float64Array[];
  predictions: Float64Array[];
  field: FieldGrid | null;
  truth: FieldGrid | null;
  samples: number[];
  density: DensityVisual | null;
  /** density animation phase in [0, 1] */
  phase: number;
  /** the learned phase portrait (and the true one for a preset), when a portrait layer is on */
  portrait: PortraitVisual | null;
  /** where the confidence ensemble disagrees, when its layer is on */
  confidence: ConfidenceVisual | null;
}

export interface Layer {
  /** The scene changed (new field, view, data or settings). */
  update?(scene: Scene): void;
  /** Draws onto the overlay; layers with their own canvas (target 'own') draw there and ignore ctx. */
  draw(ctx: CanvasRenderingContext2D, scene: Scene, seconds: number): void;
  /** Removes what it drew on its own canvas (when it is turned off). */
  clear?(): void;
  /** facts for tests and the curious */
  info?(): Record<string, unknown>;
  dispose?(): void;
}

export interface LayerDef {
  id: string;
  task: TaskId;
  /** the Layers setting that shows it (none: always shown) */
  setting?: keyof Settings;
  /** 'own': draws every frame on its own canvas; 'overlay': drawn on the overlay when the scene changes, or every frame if animated */
  target: 'own' | 'overlay';
  /** whether it is shown in this scene (default: its setting) */
  shown?(scene: Scene): boolean;
  animated?(scene: Scene): boolean;
  create(env: LayerEnv): Layer;
}

export interface LayerEnv {
  /** the canvas under the overlay (particles) */
  particleCanvas: HTMLCanvasElement;
}

/** Particles: WebGL2 when available, else Canvas2D; the count follows the frame time up to the user's maximum. */
function particlesLayer(env: LayerEnv): Layer {
  let renderer: ParticleRenderer;
  let canvas = env.particleCanvas;
  try {
    renderer = createGlParticles(canvas);
  } catch (err) {
    // WebGL2 missing: a fresh canvas for the 2-D fallback (a canvas keeps its first context type).
    const fresh = canvas.cloneNode() as HTMLCanvasElement;
    canvas.replaceWith(fresh);
    canvas = fresh;
    renderer = createCanvasParticles(fresh);
    console.info(`particles: Canvas2D fallback (${(err as Error).message})`);
  }
  // Canvas2D draws each particle from script: start lower.
  const budget = new ParticleBudget(renderer.kind === 'webgl2' ? 20000 : 3000, 20000);
  renderer.setCount(budget.count);
  let field: FieldGrid | null = null;
  let view = null as Viewport['view'] | null;
  let max = 0, width = 0, height = 0;
  return {
    update(scene) {
      if (scene.vp.width !== width || scene.vp.height !== height) {
        width = scene.vp.width;
        height = scene.vp.height;
        renderer.resize(width, height);
      }
      if (scene.settings.particles !== max) {
        max = scene.settings.particles;
        renderer.setCount(budget.setMax(max));
      }
      if (scene.field !== field || scene.vp.view !== view) {
        field = scene.field;
        view = scene.vp.view;
        renderer.update(field, view);
      }
    },
    draw(_ctx, _scene, seconds) {
      renderer.draw(seconds);
      const n = budget.frame(seconds * 1000);
      if (n !== renderer.count) renderer.setCount(n);
    },
    clear: () => renderer.clear(),
    info: () => ({ renderer: renderer.kind, particles: renderer.count, maxParticles: budget.max, particleField: field?.spec ?? null }),
    dispose: () => renderer.dispose(),
  };
}

const overlay = (draw: (ctx: CanvasRenderingContext2D, s: Scene) => void) => (): Layer => ({ draw: (ctx, s) => draw(ctx, s) });
/** An overlay layer that reports how much it drew (info()[name]: 0 when hidden or nothing to draw). */
const counted = (name: string, draw: (ctx: CanvasRenderingContext2D, s: Scene) => number) => (): Layer => {
  let n = 0;
  return { draw: (ctx, s) => void (n = draw(ctx, s)), clear: () => void (n = 0), info: () => ({ [name]: n }) };
};

export const LAYERS: LayerDef[] = [
  { id: 'particles', task: 'trajectories', setting: 'showParticles', target: 'own', shown: (s) => s.settings.showParticles && !s.reducedMotion, create: particlesLayer },
  { id: 'confidence', task: 'trajectories', setting: 'showConfidence', target: 'overlay',
    create: counted('confidenceCells', (ctx, s) => (s.confidence ? drawConfidence(ctx, s.vp, s.confidence, s.field?.speedScale ?? null) : 0)) },
  { id: 'basins', task: 'trajectories', setting: 'showBasins', target: 'overlay',
    create: counted('basinCells', (ctx, s) => (s.portrait ? drawBasins(ctx, s.vp, s.portrait) : 0)) },
  { id: 'axes', task: 'trajectories', target: 'overlay', create: overlay((ctx, s) => drawAxes(ctx, s.vp)) },
  { id: 'truth', task: 'trajectories', setting: 'showTruth', target: 'overlay', create: overlay((ctx, s) => s.truth && drawArrows(ctx, s.vp, s.truth, 'rgba(255,255,255,1)', 0.22)) },
  // With reduced motion the particles stand still: the arrows show the field instead.
  { id: 'arrows', task: 'trajectories', setting: 'showArrows', target: 'overlay', shown: (s) => s.settings.showArrows || (s.reducedMotion && s.settings.showParticles),
    create: overlay((ctx, s) => s.field && drawArrows(ctx, s.vp, s.field, null, 0.9)) },
  { id: 'nullclines', task: 'trajectories', setting: 'showNullclines', target: 'overlay',
    create: counted('nullclineSegments', (ctx, s) => (s.portrait ? drawNullclines(ctx, s.vp, s.portrait.learned) : 0)) },
  { id: 'separatrices', task: 'trajectories', setting: 'showSeparatrices', target: 'overlay',
    create: counted('separatrices', (ctx, s) => (s.portrait ? drawSeparatrices(ctx, s.vp, s.portrait.learned) : 0)) },
  { id: 'true-portrait', task: 'trajectories', setting: 'showTruePortrait', target: 'overlay',
    create: counted('trueMarks', (ctx, s) => (s.portrait?.truth ? drawTruePortrait(ctx, s.vp, s.portrait.truth) : 0)) },
  { id: 'cycles', task: 'trajectories', setting: 'showCycles', target: 'overlay',
    create: counted('cycles', (ctx, s) => (s.portrait ? drawCycles(ctx, s.vp, s.portrait.learned) : 0)) },
  { id: 'equilibria', task: 'trajectories', setting: 'showEquilibria', target: 'overlay',
    create: counted('equilibria', (ctx, s) => (s.portrait ? drawEquilibria(ctx, s.vp, s.portrait.learned) : 0)) },
  { id: 'strokes', task: 'trajectories', setting: 'showStrokes', target: 'overlay', create: overlay((ctx, s) => drawStrokes(ctx, s.vp, s.strokes, s.selected, s.rollouts)) },
  { id: 'paths', task: 'trajectories', target: 'overlay', create: overlay((ctx, s) => drawPaths(ctx, s.vp, s.predictions, s.drawing)) },
  { id: 'heatmap', task: 'density', target: 'overlay', create: overlay((ctx, s) => s.density && drawHeatmap(ctx, s.vp, s.density)) },
  { id: 'density-axes', task: 'density', target: 'overlay', create: overlay((ctx, s) => drawAxes(ctx, s.vp)) },
  { id: 'samples', task: 'density', setting: 'showSamples', target: 'overlay', create: overlay((ctx, s) => drawSamples(ctx, s.vp, s.samples)) },
  { id: 'flow', task: 'density', target: 'overlay', animated: (s) => s.settings.animate && !s.reducedMotion,
    create: overlay((ctx, s) => s.density && drawFlow(ctx, s.vp, s.density.frames, s.phase)) },
];

/** Whether a layer is drawn in this scene. */
export function layerShown(def: LayerDef, scene: Scene): boolean {
  if (def.task !== scene.task) return false;
  if (def.shown) return def.shown(scene);
  return def.setting ? Boolean(scene.settings[def.setting]) : true;
}
