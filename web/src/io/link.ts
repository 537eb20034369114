// A shared link's query: settings, task and preset. Every value that is not used is reported (and the page then
// rewrites the URL without it).
import { TASK_IDS, SETTINGS, settingsFromQuery, type Settings, type TaskId } from '../settings';

export interface Link {
  settings: Settings;
  task: TaskId | null;
  preset: string | null;
  errors: string[];
}

const EXTRA = ['task', 'preset'];

export function parseLink(query: string, base: Settings): Link {
  const params = new URLSearchParams(query);
  const { settings, errors } = settingsFromQuery(query, base);
  const known = new Set([...SETTINGS.map((d) => d.param), ...EXTRA]);
  for (const k of new Set(params.keys())) if (!known.has(k)) errors.push(`'${k}' is not a setting of this page`);
  let task: TaskId | null = null;
  const t = params.get('task');
  if (t !== null) {
    if ((TASK_IDS as readonly string[]).includes(t)) task = t as TaskId;
    else errors.push(`task '${t}' is not one of ${TASK_IDS.join(', ')}`);
  }
  const preset = params.get('preset');
  return { settings, task, preset: preset === '' ? null : preset, errors };
}

/** The error for a preset name that the task does not have, or null. */
export function checkPreset(name: string, names: string[]): string | null {
  return names.includes(name) ? null : `preset '${name}' does not exist (there are ${names.join(', ')})`;
}
