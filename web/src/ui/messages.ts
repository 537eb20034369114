// Messages to the user: a transient hint (a status line that clears itself) and a notice that stays until
// dismissed (or for good, when the engine cannot start).
import type { HintAction } from '../tasks/task';

export interface Messages {
  hint(text: string, action?: HintAction): void;
  notice(text: string, opts?: { action?: HintAction; fatal?: boolean }): void;
}

export function createMessages(hintEl: HTMLElement, noticeEl: HTMLElement): Messages {
  let hintTimer = 0;
  const button = (label: string, run: () => void) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = label;
    b.onclick = run;
    return b;
  };
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
    notice(text, opts = {}) {
      noticeEl.replaceChildren();
      const p = document.createElement('p');
      p.textContent = text;
      const row = document.createElement('div');
      if (opts.action) row.append(button(opts.action.label, () => {
        opts.action!.run();
        noticeEl.hidden = true;
      }));
      if (!opts.fatal) row.append(button('Dismiss', () => (noticeEl.hidden = true)));
      noticeEl.append(p, row);
      noticeEl.dataset.kind = opts.fatal ? 'fatal' : 'warning';
      noticeEl.hidden = false;
    },
  };
}
