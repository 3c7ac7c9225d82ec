import fs from 'node:fs';
import { procStat } from '../../actors/runtime/process.js';

/** A live process's niceness (throws when it is gone). */
export function niceOf(pid: number): number {
  const stat = procStat(pid);
  if (stat === null) throw new Error(`process ${pid} is gone`);
  return stat.nice;
}

/** The niceness of a process's autogroup, or null when the kernel has no autogroups. */
export function autogroupNice(pid: number): number | null {
  try {
    const m = / nice (-?\d+)/.exec(fs.readFileSync(`/proc/${pid}/autogroup`, 'utf8'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}
