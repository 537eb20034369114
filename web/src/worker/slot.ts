// The trainer of one task and the data it learns from, shared by the engines: configure (from a saved document,
// keeping the current weights, or fresh) and setData (all or nothing).
import { isPacked, packDocument, withPackedConfig, type PackedModel } from '../io/packed';
import type { TrainerLike } from './engine';

/** What a task's trainer class offers the slot. */
export interface SlotTrainer<Doc> extends TrainerLike {
  toJSON(): Doc;
  /** The document packed (a small header and the long arrays as float64 values: no number formatting). */
  toPacked(): Uint8Array;
  /** Takes another trainer's training state (same network shape), keeping this one's config; throws when it does not fit. */
  adoptState(other: this): void;
  /** a remark about how fromJSON loaded it (e.g. a version-1 document: the optimiser restarts), or '' */
  readonly notice: string;
}

export interface SlotKind<Tr extends SlotTrainer<Doc>, Doc extends { config: object }, Config, Data> {
  /** what the user calls a saved model of this task, for messages */
  what: string;
  create(config: Config): Tr;
  /** A trainer from a packed document (fromPacked: throws saying what is wrong). */
  fromPacked(bytes: Uint8Array): Tr;
  /** Replaces the trainer's data (throws on a bad value). */
  load(t: Tr, data: Data): void;
}

export interface Slot<Tr, Doc, Config, Data> {
  readonly trainer: Tr | null;
  readonly data: Data;
  /** A trainer for `config`: from `model` (a JSON or packed document), else keeping the current weights when `keep`, else
   * fresh. Returns a warning or null. */
  configure(config: Config, model: Doc | PackedModel | null, keep: boolean): string | null;
  /** Replaces the data; on a bad value throws and keeps the previous data. */
  setData(data: Data): void;
}

export function trainerSlot<Tr extends SlotTrainer<Doc>, Doc extends { config: object }, Config, Data>(
  kind: SlotKind<Tr, Doc, Config, Data>, initial: Data): Slot<Tr, Doc, Config, Data> {
  let trainer: Tr | null = null;
  let data = initial;
  /** A trainer from a document with `config` laid over its own: read packed whatever its form (a JSON document's long
   * arrays are moved into values here, so the core parses no long number text: 256 × 6 read in ~0.1 s, not 3–6 s). */
  const fromDocument = (doc: Doc | PackedModel, config: Config): Tr =>
    kind.fromPacked(withPackedConfig(isPacked(doc) ? doc : packDocument(doc as never), config as object));
  /** A trainer for `config` with `from`'s weights, optimiser state and iteration: its state taken over in the module,
   * else through its packed document. */
  const keepState = (from: Tr, config: Config): Tr => {
    const next = kind.create(config);
    try {
      next.adoptState(from);
      return next;
    } catch {
      next.delete();
      return fromDocument({ packed: from.toPacked() } as PackedModel, config);
    }
  };
  /** Makes `next` (loaded with the data) the trainer; on a bad value deletes it and keeps the current one. */
  const install = (next: Tr) => {
    try {
      kind.load(next, data);
    } catch (e) {
      next.delete();
      throw e;
    }
    trainer?.delete();
    trainer = next;
  };
  return {
    get trainer() {
      return trainer;
    },
    get data() {
      return data;
    },
    configure(config, model, keep) {
      let next: Tr | null = null;
      let warning: string | null = null;
      if (model) {
        try {
          next = fromDocument(model, config);
        } catch (e) {
          warning = `The saved ${kind.what} does not fit these settings (${(e as Error).message}); starting from fresh weights.`;
        }
        if (next?.notice) warning = next.notice;
      } else if (keep && trainer) next = keepState(trainer, config);
      install(next ?? kind.create(config));
      return warning;
    },
    setData(d) {
      if (trainer) {
        try {
          kind.load(trainer, d);
        } catch (e) {
          kind.load(trainer, data);
          throw e;
        }
      }
      data = d;
    },
  };
}
