// A session document: strokes + settings + trained model. Import validates everything before anything changes.
import type { DensityDocument, ModelDocument } from '../../../wasm/neural-ode';
import type { Stroke } from '../draw/strokes';
import { isPacked, unpackDocument, type PackedModel } from './packed';
import { TASK_IDS, settingsFromObject, type Settings, type TaskId } from '../settings';

export const SESSION_FORMAT = 'neural-ode-session';
export const SESSION_VERSION = 1;

export interface View {
  xmin: number;
  xmax: number;
  ymin: number;
  ymax: number;
}

export interface Session {
  format: typeof SESSION_FORMAT;
  version: typeof SESSION_VERSION;
  settings: Settings;
  strokes: Stroke[];
  view: View;
  preset: string | null;
  /** a JSON document (imported, exported) or a packed one (the worker's snapshots, autosave) */
  model: ModelDocument | PackedModel<'neural-ode-model'> | null;
  /** density mode's painted samples (x, y pairs) and trained flow */
  density?: { samples: number[]; model?: DensityDocument | PackedModel<'neural-ode-density'> | null; preset?: string | null };
  /** the task shown when it was saved */
  task?: TaskId;
}

export function makeSession(settings: Settings, strokes: Stroke[], view: View, preset: string | null, model: Session['model'],
  densitySamples: number[] = [], densityModel: DensityDocument | PackedModel<'neural-ode-density'> | null = null, densityPreset: string | null = null): Session {
  const s: Session = { format: SESSION_FORMAT, version: SESSION_VERSION, settings, strokes, view, preset, model };
  if (densitySamples.length || densityModel) s.density = { samples: densitySamples, model: densityModel, preset: densityPreset };
  return s;
}

/** The session as a JSON document (export, localStorage): packed models become JSON documents (256 × 6: ~28 MB of text,
 * written only on an explicit export). Throws when a packed model is damaged. */
export function toJsonSession(s: Session): Session {
  const json = <D extends ModelDocument | DensityDocument>(m: D | PackedModel<D['format']> | null | undefined): D | null =>
    !m ? null : isPacked(m) ? unpackDocument<D>(m) : m;
  const out: Session = { ...s, model: json<ModelDocument>(s.model) };
  if (s.density) out.density = { ...s.density, model: json<DensityDocument>(s.density.model) };
  return out;
}

export type SessionResult = { session: Session; error?: undefined } | { session?: undefined; error: string };

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/** Parses and checks a session document (text or object); the first problem found is the error. */
export function parseSession(input: string | unknown): SessionResult {
  let doc: unknown = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch (e) {
      return { error: `the file is not valid JSON (${(e as Error).message})` };
    }
  }
  if (doc === null || typeof doc !== 'object') return { error: 'a session must be a JSON object' };
  const d = doc as Record<string, unknown>;
  if (d.format !== SESSION_FORMAT) return { error: `not a session file (expected format "${SESSION_FORMAT}")` };
  if (d.version !== SESSION_VERSION) return { error: `session version ${String(d.version)} is not supported (expected ${SESSION_VERSION})` };
  const { settings, errors } = settingsFromObject(d.settings);
  if (errors.length) return { error: `settings: ${errors[0]}` };
  if (!Array.isArray(d.strokes)) return { error: 'strokes must be an array' };
  const strokes: Stroke[] = [];
  for (const [i, s] of (d.strokes as unknown[]).entries()) {
    const st = s as Record<string, unknown>;
    if (!st || typeof st !== 'object' || !Array.isArray(st.points)) return { error: `stroke ${i}: points must be an array` };
    if (st.source !== 'pen' && st.source !== 'model') return { error: `stroke ${i}: source must be "pen" or "model"` };
    const points = [];
    for (const [k, p] of (st.points as unknown[]).entries()) {
      const q = p as Record<string, unknown>;
      if (!q || !isFiniteNumber(q.x) || !isFiniteNumber(q.y) || !isFiniteNumber(q.t)) return { error: `stroke ${i}, point ${k}: x, y and t must be finite numbers` };
      points.push({ x: q.x, y: q.y, t: q.t });
    }
    strokes.push({ id: isFiniteNumber(st.id) ? st.id : i + 1, points, source: st.source });
  }
  const v = d.view as Record<string, unknown> | undefined;
  if (!v || !isFiniteNumber(v.xmin) || !isFiniteNumber(v.xmax) || !isFiniteNumber(v.ymin) || !isFiniteNumber(v.ymax) || !(v.xmax > v.xmin) || !(v.ymax > v.ymin))
    return { error: 'view must have finite xmin < xmax and ymin < ymax' };
  const preset = typeof d.preset === 'string' ? d.preset : null;
  const model = d.model === null || d.model === undefined ? null : (d.model as Session['model']);
  if (model !== null && (typeof model !== 'object' || model.format !== 'neural-ode-model')) return { error: 'model is not a neural-ode-model document' };
  let samples: number[] = [];
  let densityModel: DensityDocument | PackedModel<'neural-ode-density'> | null = null;
  let densityPreset: string | null = null;
  if (d.density !== undefined) {
    const dd = d.density as Record<string, unknown> | null;
    const ds = dd?.samples;
    if (!Array.isArray(ds) || ds.length % 2 !== 0 || !ds.every(isFiniteNumber)) return { error: 'density.samples must be an even-length array of finite numbers' };
    samples = ds as number[];
    const dm = dd?.model;
    if (dm !== undefined && dm !== null) {
      if (typeof dm !== 'object' || (dm as DensityDocument).format !== 'neural-ode-density') return { error: 'density.model is not a neural-ode-density document' };
      densityModel = dm as DensityDocument | PackedModel<'neural-ode-density'>;
    }
    if (typeof dd?.preset === 'string') densityPreset = dd.preset;
  }
  const session = makeSession(settings, strokes, { xmin: v.xmin, xmax: v.xmax, ymin: v.ymin, ymax: v.ymax }, preset, model, samples, densityModel, densityPreset);
  if (d.task !== undefined) {
    if (!(TASK_IDS as readonly unknown[]).includes(d.task)) return { error: `task must be one of ${TASK_IDS.join(', ')}` };
    session.task = d.task as TaskId;
  }
  return { session };
}
