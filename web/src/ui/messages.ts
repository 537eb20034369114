// Messages to the user: a transient hint (a status line that clears itself) and a notice that stays until
// dismissed (or for good, when the engine cannot start). Notices do not replace one another: the slot shows the newest
// and lists the others not dismissed yet under "+N more notices" (ui/notices.ts).
import type { HintAction } from '../tasks/task';
import { moreLabel, noticeText, NoticeStack } from './notices';

export interface Messages {
  hint(text: string, action?: HintAction): void;
  /** Clears the hint (what it was about changed: the data, the model, the task). */
  clearHint(): void;
  notice(text: string, opts?: { action?: HintAction; fatal?: boolean; actionKey?: string }): void;
  /** Takes the notices' actions of that key away (what they acted on is gone); the notices stay. */
  retract(actionKey: string): void;
  /** Removes the notices of that key (what they were about is gone). */
  withdraw(actionKey: string): void;
}

/** focusAfter: where focus goes when a notice's button removed the last notice (the redraw would drop it to the body). */
export function createMessages(hintEl: HTMLElement, noticeEl: HTMLElement, focusAfter?: () => HTMLElement | null): Messages {
  let hintTimer = 0;
  const button = (label: string, run: () => void) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.onclick = run;
    return b;
  };
  const notices = new NoticeStack<HintAction>();
  /** Redraws the slot; after one of its buttons (`refocus`: true, or the label of the button to focus again), focus goes
   * to the next notice's button of that label or its first button, or, with none left, to `focusAfter`. */
  function drawNotices(refocus: boolean | string = false) {
    const view = notices.view();
    // The list stays open across redraws once the user opened it.
    const wasOpen = noticeEl.querySelector('details')?.open ?? false;
    noticeEl.replaceChildren();
    noticeEl.hidden = !view;
    if (!view) {
      if (refocus) focusAfter?.()?.focus();
      return;
    }
    const { shown } = view;
    const p = document.createElement('p');
    p.textContent = noticeText(shown);
    noticeEl.append(p);
    const more = moreLabel(view);
    if (more) {
      const details = document.createElement('details');
      details.open = wasOpen;
      const summary = document.createElement('summary');
      summary.textContent = more;
      const list = document.createElement('ul');
      for (const n of view.earlier) {
        const li = document.createElement('li');
        li.textContent = noticeText(n);
        list.append(li);
      }
      if (view.dropped) {
        const li = document.createElement('li');
        li.textContent = `and ${view.dropped} older notice${view.dropped === 1 ? '' : 's'}`;
        list.append(li);
      }
      details.append(summary, list);
      noticeEl.append(details);
    }
    const row = document.createElement('div');
    if (shown.action) row.append(button(shown.action.label, () => {
      shown.action!.run();
      notices.taken(shown);
      drawNotices(true);
    }));
    // Dismiss: this notice (the next one shows); Dismiss all: every notice but a fatal one.
    if (!shown.fatal) row.append(button('Dismiss', () => {
      notices.taken(shown);
      drawNotices('Dismiss');
    }));
    if (!shown.fatal && more) row.append(button('Dismiss all', () => {
      notices.dismiss();
      drawNotices(true);
    }));
    noticeEl.append(row);
    noticeEl.dataset.kind = shown.fatal ? 'fatal' : 'warning';
    if (refocus) {
      // After a Dismiss, the next notice's Dismiss (a second Enter must not take its action), else its first button.
      const same = typeof refocus === 'string' ? [...row.querySelectorAll('button')].find((b) => b.textContent === refocus) : undefined;
      const next = same ?? row.querySelector('button') ?? noticeEl.querySelector('summary');
      if (next) next.focus();
      else focusAfter?.()?.focus();
    }
  }
  return {
    hint(text, action) {
      hintEl.textContent = text;
      if (action) hintEl.append(button(action.label, () => {
        action.run();
        hintEl.textContent = '';
      }));
      clearTimeout(hintTimer);
      hintTimer = window.setTimeout(() => (hintEl.textContent = ''), action ? 30000 : 10000);
    },
    clearHint() {
      clearTimeout(hintTimer);
      hintEl.textContent = '';
    },
    notice(text, opts = {}) {
      notices.add(text, opts);
      drawNotices();
    },
    retract(actionKey) {
      // Only when a button went (the slot is an alert: a redraw is announced again), keeping focus if it was in it.
      if (notices.retract(actionKey)) drawNotices(noticeEl.contains(document.activeElement));
    },
    withdraw(actionKey) {
      if (notices.withdraw(actionKey)) drawNotices(noticeEl.contains(document.activeElement));
    },
  };
}
