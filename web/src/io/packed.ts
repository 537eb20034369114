// Packed model documents (the core's model_io.hpp, README "Packed documents"): the JSON document with its long arrays
// (θ, its average, the optimiser's moments) moved into float64 values behind a small JSON header, so a large model
// is written, posted, stored and read without turning numbers into text. The worker writes them (toPacked); the page
// keeps them as they are for autosave (IndexedDB), and turns them into JSON documents only to export a session.
import type { DensityDocument, ModelDocument } from '../../../wasm/neural-ode';

/** A model or density flow in packed form: the bytes of toPacked() and the document's format tag. */
export interface PackedModel<F extends string = ModelDocument['format'] | DensityDocument['format']> {
  format: F;
  packed: Uint8Array;
}

const TAG = 'NDEPACK1';
const PREFIX = 24;
/** The long arrays that move into the values: [parent key or null, key]. */
const LONG: [string | null, string][] = [[null, 'parameters'], ['average', 'parameters'], ['optimizer', 'm'], ['optimizer', 'v']];

export function isPacked(m: unknown): m is PackedModel {
  return typeof m === 'object' && m !== null && (m as PackedModel).packed instanceof Uint8Array;
}

const padded = (n: number) => Math.ceil(n / 8) * 8;

/** The header and values of packed bytes; throws with what is wrong (the core checks the same, and the values' ranges). */
export function readPacked(bytes: Uint8Array): { header: Record<string, unknown>; values: Float64Array } {
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 8)) !== TAG) throw new Error(`not a packed document (it does not start with '${TAG}')`);
  if (bytes.length < PREFIX) throw new Error(`the packed document is truncated: ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = Number(view.getBigUint64(8, true)), count = Number(view.getBigUint64(16, true));
  const need = PREFIX + padded(headerBytes) + 8 * count;
  if (need !== bytes.length) throw new Error(`the packed document is ${need > bytes.length ? 'truncated' : 'damaged'}: it has ${bytes.length} bytes, its lengths need ${need}`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX, PREFIX + headerBytes)));
  } catch (e) {
    throw new Error(`the packed document's header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new Error("the packed document's header is not an object");
  const start = bytes.byteOffset + PREFIX + padded(headerBytes);
  // A view when aligned (the whole buffer, as toPacked gives it), else a copy. Float64Array reads the platform's byte
  // order: little-endian on every platform browsers run on, as the core writes it.
  const values = start % 8 === 0 ? new Float64Array(bytes.buffer, start, count) : new Float64Array(bytes.slice(PREFIX + padded(headerBytes)).buffer);
  return { header: header as Record<string, unknown>, values };
}

/** Packed bytes of a header and values (the layout model_to_packed writes). */
export function writePacked(header: object, values: Float64Array): Uint8Array {
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(PREFIX + padded(text.length) + 8 * values.length);
  out.set(new TextEncoder().encode(TAG), 0);
  const view = new DataView(out.buffer);
  view.setBigUint64(8, BigInt(text.length), true);
  view.setBigUint64(16, BigInt(values.length), true);
  out.set(text, PREFIX);
  new Float64Array(out.buffer, PREFIX + padded(text.length), values.length).set(values);
  return out;
}

type Doc = Record<string, unknown> & { format?: unknown };
const parentOf = (doc: Doc, key: string | null) => (key === null ? doc : (doc[key] as Doc | undefined));

/** The long arrays' places in a document: LONG's and (version 6) each multiple-shooting entry's states and moments. */
function slots(doc: Doc): [Doc | undefined, string][] {
  const out: [Doc | undefined, string][] = LONG.map(([p, k]) => [parentOf(doc, p), k]);
  const shooting = doc.shooting;
  if (Array.isArray(shooting))
    for (const e of shooting)
      if (e && typeof e === 'object' && !Array.isArray(e)) for (const k of ['states', 'm', 'v']) out.push([e as Doc, k]);
  return out;
}

/** A JSON document (any version) packed: its long arrays become ranges of the values; anything else stays in the header
 *  as it was (the core then says what is wrong with it). */
export function packDocument<D extends ModelDocument | DensityDocument>(doc: D): PackedModel<D['format']> {
  const header = structuredCloneLite(doc as unknown as Doc);
  const arrays: ArrayLike<number>[] = [];
  let count = 0;
  for (const [parent, k] of slots(header)) {
    const a = parent?.[k];
    if (!parent || !(Array.isArray(a) || a instanceof Float64Array)) continue;
    parent[k] = { packed: [count, a.length] };
    arrays.push(a as ArrayLike<number>);
    count += a.length;
  }
  const values = new Float64Array(count);
  let at = 0;
  for (const a of arrays) {
    // Entries that are not numbers become NaN, which the core refuses by name ("'parameters' entry 3 must be a number").
    for (let i = 0; i < a.length; i++) values[at + i] = typeof a[i] === 'number' ? a[i] : NaN;
    at += a.length;
  }
  return { format: doc.format as D['format'], packed: writePacked(header, values) };
}

/** The JSON document of packed bytes (for export); throws when they are damaged. */
export function unpackDocument<D extends ModelDocument | DensityDocument>(m: PackedModel<D['format']>): D {
  const { header, values } = readPacked(m.packed);
  for (const [parent, k] of slots(header)) {
    const ref = (parent?.[k] as { packed?: unknown } | undefined)?.packed;
    if (!parent || !Array.isArray(ref) || ref.length !== 2) continue;
    const [offset, length] = ref as [number, number];
    if (!(offset >= 0 && length >= 0 && offset + length <= values.length)) throw new Error(`the packed document's ${k} lies outside its values`);
    parent[k] = Array.from(values.subarray(offset, offset + length));
  }
  return header as unknown as D;
}

/** The packed model with `config` laid over its document's config (the current settings, as for a JSON document). */
export function withPackedConfig(m: PackedModel, config: object): Uint8Array {
  const { header, values } = readPacked(m.packed);
  header.config = { ...(header.config as object), ...config };
  return writePacked(header, values);
}

/** The iteration and optimiser step count of a model in either form (null when unknown). */
export function modelInfo(m: PackedModel | ModelDocument | DensityDocument | null): { iteration: number; optimizerStep: number | null } | null {
  if (!m) return null;
  let d: Doc;
  try {
    d = isPacked(m) ? readPacked(m.packed).header : (m as unknown as Doc);
  } catch {
    return null;
  }
  return { iteration: Number(d.iteration), optimizerStep: (d.optimizer as { step?: number } | undefined)?.step ?? null };
}

/** A copy of a document's objects (arrays of the long kind are shared: they are replaced, never changed). */
function structuredCloneLite(d: Doc): Doc {
  const out: Doc = { ...d };
  for (const key of ['average', 'optimizer']) if (out[key] && typeof out[key] === 'object' && !Array.isArray(out[key])) out[key] = { ...(out[key] as Doc) };
  if (Array.isArray(out.shooting)) out.shooting = out.shooting.map((e) => (e && typeof e === 'object' && !Array.isArray(e) ? { ...(e as Doc) } : e));
  return out;
}
