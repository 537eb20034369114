// Autosave: the session in IndexedDB as a compact record — models packed (a small JSON header and their long arrays as
// float64 bytes, the worker's snapshots as they come: no JSON text, 256 × 6 ≈ 10.5 MB), samples as Float64Arrays —
// localStorage (JSON) where IndexedDB is missing. When the models do not fit, the rest is saved and the message says
// what was not. Records of earlier versions (models with Float64Array parameters and moments) still load.
import type { DensityDocument, ModelDocument } from '../../../wasm/neural-ode';
import { isPacked, packDocument, readPacked, type PackedModel } from './packed';
import { parseSession, toJsonSession, type Session } from './session';

const DB_NAME = 'neural-ode-playground';
const STORE = 'sessions';
const KEY = 'autosave';
const LEGACY_KEY = 'neural-ode-playground/session';

/** Where the record goes: IndexedDB, localStorage, or a test double. */
export interface Backend {
  readonly name: string;
  get(): Promise<unknown>;
  put(record: unknown): Promise<void>;
}

/** A model as records of the previous version stored it: the document with Float64Array parameters and moments. */
type Compact<D> = Omit<D, 'parameters' | 'optimizer'> & { parameters: Float64Array; optimizer?: { step: number; m: Float64Array; v: Float64Array } };
/** The stored form of a session. */
export interface SessionRecord {
  session: Omit<Session, 'model' | 'density'> & {
    model: PackedModel<'neural-ode-model'> | Compact<ModelDocument> | null;
    density?: { samples: Float64Array; model?: PackedModel<'neural-ode-density'> | Compact<DensityDocument> | null; preset?: string | null };
  };
}

/** A model as stored: packed (a JSON document, e.g. just imported, is packed here). */
function pack<D extends ModelDocument | DensityDocument>(d: D | PackedModel<D['format']> | null | undefined): PackedModel<D['format']> | null {
  if (!d) return null;
  return isPacked(d) ? { format: d.format, packed: d.packed } : packDocument(d);
}
/** A stored model back: packed ones as they are (checked: a damaged one throws), older records' as JSON documents. */
function unpack<D>(d: PackedModel | Compact<D & { parameters: number[] }> | null | undefined): D | PackedModel | null {
  if (!d) return null;
  if (isPacked(d)) {
    readPacked(d.packed);
    return { format: d.format, packed: d.packed };
  }
  const { optimizer, ...rest } = d as Compact<D & { parameters: number[] }>;
  const out = { ...rest, parameters: Array.from(rest.parameters) } as Record<string, unknown>;
  if (optimizer) out.optimizer = { step: optimizer.step, m: Array.from(optimizer.m), v: Array.from(optimizer.v) };
  return out as D;
}

export function toRecord(s: Session): SessionRecord {
  const { model, density, ...rest } = s;
  const record: SessionRecord = { session: { ...rest, model: pack<ModelDocument>(model) } };
  if (density) record.session.density = { samples: Float64Array.from(density.samples), model: pack<DensityDocument>(density.model), preset: density.preset ?? null };
  return record;
}

/** A stored record back to a checked session (the same checks as an import). A damaged model is left out and named in
 *  `error`; the strokes, samples and settings are restored. */
export function fromRecord(r: unknown): { session: Session | null; error?: string } {
  const rec = r as SessionRecord | null;
  if (!rec || typeof rec !== 'object' || !rec.session || typeof rec.session !== 'object') return { session: null, error: 'the record is not a session' };
  const { model, density, ...rest } = rec.session;
  const lost: string[] = [];
  const restore = (m: Parameters<typeof unpack>[0], what: string) => {
    try {
      return unpack(m);
    } catch (e) {
      lost.push(`${what} (${(e as Error).message})`);
      return null;
    }
  };
  const doc: Record<string, unknown> = { ...rest, model: restore(model, 'trained model') };
  if (density) doc.density = { samples: Array.from(density.samples ?? []), model: restore(density.model, 'density flow'), preset: density.preset ?? null };
  const p = parseSession(doc);
  if (!p.session) return { session: null, error: p.error };
  return lost.length ? { session: p.session, error: `the autosaved ${lost.join(' and ')} could not be restored; the strokes, samples and settings were` }
    : { session: p.session };
}

function withoutModels(s: Session): Session {
  return { ...s, model: null, density: s.density ? { ...s.density, model: null } : undefined };
}

const megabytes = (s: Session) => {
  const size = (d: Session['model'] | DensityDocument | PackedModel | null | undefined) =>
    !d ? 0 : isPacked(d) ? d.packed.length : 8 * (d.parameters.length + (d.average?.parameters.length ?? 0) + (d.optimizer?.m.length ?? 0) + (d.optimizer?.v.length ?? 0));
  return (size(s.model) + size(s.density?.model)) / 1e6;
};

/** Saves the session; null, or a message saying what could not be saved (the strokes and samples are kept whenever possible). */
export async function saveSession(s: Session, backend: Backend | null = defaultBackend()): Promise<string | null> {
  if (!backend) return 'Autosave is not available in this browser: use Export session to keep your work.';
  try {
    await backend.put(toRecord(s));
    return null;
  } catch (e) {
    if (!s.model && !s.density?.model) return `Could not autosave (${(e as Error).message}): use Export session to keep your work.`;
    try {
      await backend.put(toRecord(withoutModels(s)));
      return `The trained model (${megabytes(s).toFixed(1)} MB) could not be autosaved (${(e as Error).message}); the strokes, samples and settings were. Export session keeps the model.`;
    } catch (e2) {
      return `Could not autosave (${(e2 as Error).message}): use Export session to keep your work.`;
    }
  }
}

/** The saved session, or null (a damaged one is reported, and replaced by the next autosave). */
export async function loadSession(backend: Backend | null = defaultBackend()): Promise<{ session: Session | null; error?: string }> {
  let record: unknown = null;
  try {
    record = backend ? await backend.get() : null;
  } catch {
    record = null;
  }
  if (record) {
    const r = fromRecord(record);
    return r.session ? r : { session: null, error: `the autosaved session could not be restored (${r.error})` };
  }
  // An autosave of an earlier version of the page (JSON in localStorage).
  let text: string | null = null;
  try {
    text = localStorage.getItem(LEGACY_KEY);
  } catch {
    return { session: null };
  }
  if (!text) return { session: null };
  const r = parseSession(text);
  if (r.error) return { session: null, error: `the autosaved session could not be restored (${r.error})` };
  return { session: r.session ?? null };
}

let cached: Backend | null | undefined;
function defaultBackend(): Backend | null {
  if (cached !== undefined) return cached;
  cached = typeof indexedDB !== 'undefined' ? indexedDbBackend() : typeof localStorage !== 'undefined' ? localStorageBackend() : null;
  return cached;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((ok, fail) => {
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error ?? new Error('IndexedDB request failed'));
  });
}

function indexedDbBackend(): Backend {
  let db: Promise<IDBDatabase> | null = null;
  const open = () => {
    db ??= new Promise((ok, fail) => {
      const r = indexedDB.open(DB_NAME, 1);
      r.onupgradeneeded = () => r.result.createObjectStore(STORE);
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error ?? new Error('IndexedDB did not open'));
    });
    return db;
  };
  return {
    name: 'IndexedDB',
    async get() {
      const d = await open();
      return request(d.transaction(STORE, 'readonly').objectStore(STORE).get(KEY));
    },
    async put(record) {
      const d = await open();
      const tx = d.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).put(record, KEY);
      // Committed now, not when this task ends: a save as the page goes (pagehide) is written before it is torn down.
      tx.commit?.();
      await new Promise<void>((ok, fail) => {
        tx.oncomplete = () => ok();
        tx.onerror = tx.onabort = () => fail(tx.error ?? new Error('the autosave transaction failed'));
      });
      try {
        localStorage.removeItem(LEGACY_KEY);
      } catch {
        /* nothing to migrate */
      }
    },
  };
}

function localStorageBackend(): Backend {
  return {
    name: 'localStorage',
    async get() {
      const t = localStorage.getItem(`${LEGACY_KEY}.v2`);
      if (!t) return null;
      const r = parseSession(t);
      return r.session ? toRecord(r.session) : null;
    },
    async put(record) {
      const r = fromRecord(record);
      if (r.session) localStorage.setItem(`${LEGACY_KEY}.v2`, JSON.stringify(toJsonSession(r.session)));
    },
  };
}
