// CPU time of the browser this Node process launched, per thread kind (Linux /proc; for the page bench): on a shared
// machine the wall-clock it/s counts other processes' time, the worker thread's CPU time per iteration does not, and the
// other threads' CPU time is what the page's own rendering (SwiftShader in headless Chromium) takes from the 2 cores.
import { existsSync, readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc's utime/stime (USER_HZ: 100 on Linux). */
const HZ = 100;

const read = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};
/** Fields after the command name of a /proc stat line (the name may hold spaces and parentheses). */
const fields = (stat) => stat.slice(stat.lastIndexOf(')') + 2).split(' ');

/** Every descendant process of `root` (default: this Node process). */
function descendants(root = process.pid) {
  const parent = new Map();
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const st = read(`/proc/${p}/stat`);
    if (st) parent.set(+p, +fields(st)[1]);
  }
  const out = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop();
    for (const [c, pp] of parent) if (pp === p) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

/** Whether per-thread CPU times can be read here. */
export const available = existsSync('/proc/self/task');

/** CPU ms so far per "process type:thread name" (digits at the end of a name folded to #) of the browser's processes. */
export function browserThreads() {
  const out = {};
  if (!available) return out;
  for (const pid of descendants()) {
    const cmd = read(`/proc/${pid}/cmdline`);
    if (!cmd || !/chrom/i.test(cmd)) continue;
    const type = cmd.match(/--type=([a-z-]+)/)?.[1] ?? 'browser';
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      const st = read(`/proc/${pid}/task/${tid}/stat`);
      if (!st) continue;
      const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')).replace(/\d+$/, '#');
      const f = fields(st);
      const key = `${type}:${name}`;
      out[key] = (out[key] ?? 0) + ((+f[11] + +f[12]) * 1000) / HZ;
    }
  }
  return out;
}

/** CPU ms per thread kind between two browserThreads() readings (the larger first). */
export function threadsSince(before, after = browserThreads()) {
  const d = Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => v > 0);
  return Object.fromEntries(d.sort((a, b) => b[1] - a[1]));
}

/** The dedicated worker's CPU ms in a threadsSince() result (Chromium names its thread "DedicatedWorker thread"). */
export const workerMillis = (threads) => Object.entries(threads).filter(([k]) => /DedicatedWorker/.test(k)).reduce((a, [, v]) => a + v, 0);
