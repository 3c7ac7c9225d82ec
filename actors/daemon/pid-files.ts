import fs from 'node:fs';

// No zod here: `bd` reads these files on every command (see actors/town/store-owner.ts).

/** What every daemon process has on its command line (checked against reused pids). */
export const DAEMON_MARKER = 'daemon-main';

/** The daemon's ready file: written once it serves commands. */
export interface ReadyInfo {
  pid: number;
  /** The NATS URL the daemon is connected to. */
  url: string;
  started_at: string;
}

/**
 * True when a process with this pid exists and is not a zombie. When `match` is given and the
 * command line can be read (/proc), it must contain `match` (guards against a reused pid).
 */
export function isAlive(pid: number, match?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.charAt(stat.lastIndexOf(')') + 2) === 'Z') return false;
    if (match === undefined) return true;
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(match);
  } catch {
    return true;
  }
}

/** The pid written in `file`, or null when it is missing or not a pid. */
export function readPid(file: string): number | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** Writes `text` to `file` through a temporary file and a rename. */
export function writeFileAtomic(file: string, text: string, mode = 0o644): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text, { mode });
  fs.renameSync(tmp, file);
}

/** The ready file's content, or null when it is missing or malformed. */
export function readReady(file: string): ReadyInfo | null {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<Record<keyof ReadyInfo, unknown>>;
    const ok =
      typeof v.pid === 'number' &&
      Number.isInteger(v.pid) &&
      v.pid > 0 &&
      typeof v.url === 'string' &&
      typeof v.started_at === 'string';
    return ok ? { pid: v.pid as number, url: v.url as string, started_at: v.started_at as string } : null;
  } catch {
    return null;
  }
}

/** Removes a file; a missing one is fine. */
export function removeFile(file: string): void {
  fs.rmSync(file, { force: true });
}

/** Sends a signal; a process that is already gone is fine. */
export function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Polls until `pid` is gone or `timeoutMs` passes; true when it is gone. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
