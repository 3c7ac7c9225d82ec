import path from 'node:path';
import type { TownPaths } from '../town/town-config.js';

/**
 * Where an agent's session logs live: `.gt/sessions/<address without the town>/`, one file per session
 * named by its start time (`2026-12-01T19-00-00-000Z.log`), so `gt seance` lists them in order.
 */
export function sessionLogDir(paths: TownPaths, address: string): string {
  const local = address.split('/').slice(1);
  return path.join(paths.runtime, 'sessions', ...local);
}

/** The log file of a session of `address` started at `startedAt`. */
export function sessionLogPath(paths: TownPaths, address: string, startedAt: Date): string {
  return path.join(sessionLogDir(paths, address), `${startedAt.toISOString().replace(/[:.]/g, '-')}.log`);
}
