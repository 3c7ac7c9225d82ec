import fs from 'node:fs';
import path from 'node:path';
import { DAEMON_MARKER, isAlive, readPid } from '../daemon/pid-files.js';

/**
 * The running town whose Beads store is `beadsDir` (`<town>/beads/.beads`, see townPaths), or null.
 * Its daemon is then the store's single writer. File reads only (no bus, no schemas): `bd` asks this
 * on every command.
 */
export function runningTownOf(beadsDir: string): { root: string; town: string } | null {
  const abs = path.resolve(beadsDir);
  const repo = path.dirname(abs);
  if (path.basename(abs) !== '.beads' || path.basename(repo) !== 'beads') return null;
  const root = path.dirname(repo);
  let town: unknown;
  try {
    town = (JSON.parse(fs.readFileSync(path.join(root, 'town.json'), 'utf8')) as { name?: unknown }).name;
  } catch {
    return null;
  }
  if (typeof town !== 'string') return null;
  const pid = readPid(path.join(root, '.gt', 'daemon.pid'));
  return pid !== null && isAlive(pid, DAEMON_MARKER) ? { root, town } : null;
}
