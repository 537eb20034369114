// The trainer of one task and the data it learns from, shared by the engines: configure (from a saved document,
// keeping the current weights, or fresh) and setData (all or nothing).
import type { TrainerLike } from './engine';

/** What a task's trainer class offers the slot. */
export interface SlotTrainer<Doc> extends TrainerLike {
  toJSON(): Doc;
  /** Takes another trainer's training state (same network shape), keeping this one's config; throws when it does not fit. */
  adoptState(other: this): void;
  /** a remark about how fromJSON loaded it (e.g. a version-1 document: the optimiser restarts), or '' */
  readonly notice: string;
}

export interface SlotKind<Tr extends SlotTrainer<Doc>, Doc extends { config: object }, Config, Data> {
  /** what the user calls a saved model of this task, for messages */
  what: string;
  create(config: Config): Tr;
  fromJSON(doc: Doc): Tr;
  /** Replaces the trainer's data (throws on a bad value). */
  load(t: Tr, data: Data): void;
}

export interface Slot<Tr, Doc, Config, Data> {
  readonly trainer: Tr | null;
  readonly data: Data;
  /** A trainer for `config`: from `model`, else keeping the current weights when `keep`, else fresh. Returns a warning or null. */
  configure(config: Config, model: Doc | null, keep: boolean): string | null;
  /** Replaces the data; on a bad value throws and keeps the previous data. */
  setData(data: Data): void;
}

export function trainerSlot<Tr extends SlotTrainer<Doc>, Doc extends { config: object }, Config, Data>(
  kind: SlotKind<Tr, Doc, Config, Data>, initial: Data): Slot<Tr, Doc, Config, Data> {
  let trainer: Tr | null = null;
  let data = initial;
  const withConfig = (doc: Doc, config: Config): Doc => ({ ...doc, config: { ...doc.config, ...config } });
  /** A trainer for `config` with `from`'s weights, optimiser state and iteration: its state taken over in the module (a
   * document of the largest model takes seconds to write and read), else through the document. */
  const keepState = (from: Tr, config: Config): Tr => {
    const next = kind.create(config);
    try {
      next.adoptState(from);
      return next;
    } catch {
      next.delete();
      return kind.fromJSON(withConfig(from.toJSON(), config));
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
          next = kind.fromJSON(withConfig(model, config));
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
