// The notices not dismissed yet (no DOM here; ui/messages.ts draws them). The page has one notice slot: it shows the
// newest notice (a fatal one before any other) and lists the others under "+N more", so a newer notice never hides an
// older one silently.

/** One notice: its text, the action its button offers (only while it is the one shown), and how often it came. */
export interface Notice<A> {
  text: string;
  action?: A;
  fatal: boolean;
  /** the same text arrived this many times (the newest arrival's action is kept) */
  count: number;
  /** what the action acts on ('restore': the task's kept checkpoint): a newer notice with the same key takes
   * the action from this one (its label would name what is no longer there) */
  actionKey?: string;
}

/** What the slot shows: the notice, the others newest first, and how many more were dropped past those (oldest). */
export interface NoticeView<A> {
  shown: Notice<A>;
  earlier: Notice<A>[];
  dropped: number;
}

/** At most this many notices are kept; older ones are counted, not listed (the errors stay in `playground.errors`). */
export const MAX_NOTICES = 20;

/** The notices not dismissed yet, oldest first. */
export class NoticeStack<A> {
  private list: Notice<A>[] = [];
  private droppedCount = 0;

  /** A new notice: the one shown (unless a fatal one is); the same text as one pending moves it here, counted. With an
   * actionKey, the older notices' actions of that key go (they stay listed, without the button). */
  add(text: string, opts: { action?: A; fatal?: boolean; actionKey?: string } = {}): void {
    const same = this.list.findIndex((n) => n.text === text);
    const count = same < 0 ? 1 : this.list[same].count + 1;
    if (same >= 0) this.list.splice(same, 1);
    if (opts.actionKey !== undefined) this.retract(opts.actionKey);
    this.list.push({ text, action: opts.action, fatal: opts.fatal ?? false, count, actionKey: opts.actionKey });
    while (this.list.length > MAX_NOTICES) {
      // The oldest non-fatal one goes (a fatal notice stays while the page cannot work).
      const i = this.list.findIndex((n) => !n.fatal);
      this.list.splice(i < 0 ? 0 : i, 1);
      this.droppedCount++;
    }
  }

  /** The actions of that key go from every notice (what they acted on is gone); the notices stay listed. Whether any
   * action went (the slot needs drawing again only then). */
  retract(actionKey: string): boolean {
    let changed = false;
    for (const n of this.list)
      if (n.actionKey === actionKey && n.action !== undefined) {
        delete n.action;
        changed = true;
      }
    return changed;
  }

  /** The notices of that key go altogether (what they were about is gone: the model they name was replaced); whether
   * any went. */
  withdraw(actionKey: string): boolean {
    const before = this.list.length;
    this.list = this.list.filter((n) => n.actionKey !== actionKey);
    return this.list.length !== before;
  }

  /** The shown notice's action was taken, or it was dismissed on its own: it goes, the next one shows. */
  taken(n: Notice<A>): void {
    this.list = this.list.filter((m) => m !== n);
  }

  /** Dismiss: every notice that is not fatal goes. */
  dismiss(): void {
    this.list = this.list.filter((n) => n.fatal);
    this.droppedCount = 0;
  }

  /** What to show; null: nothing (the slot hides). */
  view(): NoticeView<A> | null {
    if (!this.list.length) return null;
    const shown = [...this.list].reverse().find((n) => n.fatal) ?? this.list[this.list.length - 1];
    return { shown, earlier: this.list.filter((n) => n !== shown).reverse(), dropped: this.droppedCount };
  }
}

/** The summary of the notices behind the one shown ("+2 more notices"); '' when there are none. */
export function moreLabel(view: NoticeView<unknown>): string {
  const more = view.earlier.length + view.dropped;
  return more ? `+${more} more notice${more === 1 ? '' : 's'}` : '';
}

/** A notice's text as listed, with how often it came ("… (3 times)"). */
export const noticeText = (n: Notice<unknown>) => (n.count > 1 ? `${n.text} (${n.count} times)` : n.text);
