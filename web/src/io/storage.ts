// Autosave of the session in localStorage (strokes, settings, view, preset and the trained model).
import { parseSession, type Session } from './session';

const KEY = 'neural-ode-playground/session';

export function saveSession(s: Session): string | null {
  try {
    localStorage.setItem(KEY, JSON.stringify(s));
    return null;
  } catch (e) {
    return `could not autosave (${(e as Error).message})`;
  }
}

/** The saved session, or null (a damaged one is reported and left in place, not overwritten). */
export function loadSession(): { session: Session | null; error?: string } {
  let text: string | null = null;
  try {
    text = localStorage.getItem(KEY);
  } catch {
    return { session: null };
  }
  if (!text) return { session: null };
  const r = parseSession(text);
  if (r.error) {
    try {
      localStorage.setItem(`${KEY}.damaged`, text);
    } catch {
      /* ignore */
    }
    return { session: null, error: `the autosaved session could not be restored (${r.error}); a copy was kept` };
  }
  return { session: r.session ?? null };
}
