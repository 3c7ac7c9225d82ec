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

/** The outcome of `claimPidFile`: this process holds the file, a live owner holds it, or it stays contended. */
export type PidClaim = 'claimed' | 'busy' | { pid: number };

/**
 * Claims `pidFile` for this process. A file whose pid `isOwner` accepts belongs to a live owner. A
 * stale file (its pid dead) is replaced only under the takeover lock `<pidFile>.takeover`, created
 * exclusively, and re-checked once the lock is held: of processes racing over one stale file, exactly
 * one claims it and the others find it live.
 */
export function claimPidFile(pidFile: string, isOwner: (pid: number) => boolean): PidClaim {
  const takeover = `${pidFile}.takeover`;
  const liveOwner = (): PidClaim | null => {
    const other = readPid(pidFile);
    return other !== null && other !== process.pid && isOwner(other) ? { pid: other } : null;
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    if (createExclusive(pidFile)) return 'claimed';
    const owner = liveOwner();
    if (owner !== null) return owner;
    if (!createExclusive(takeover)) {
      const holder = readPid(takeover);
      if (holder !== null && !isAlive(holder)) breakStaleLock(takeover);
      sleepSync(10);
      continue;
    }
    try {
      const again = liveOwner();
      if (again !== null) return again;
      removeFile(pidFile);
      if (createExclusive(pidFile)) return 'claimed';
    } finally {
      removeFile(takeover);
    }
  }
  return 'busy';
}

/** Creates `file` holding this pid, atomically (a hard link of a complete temp file): false if it exists. */
function createExclusive(file: string): boolean {
  const tmp = `${file}.${process.pid}.new`;
  fs.writeFileSync(tmp, `${process.pid}\n`, { mode: 0o644 });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    removeFile(tmp);
  }
}

/**
 * Removes a takeover lock left by a dead process. It is moved aside first (of several processes doing
 * so at once, one succeeds); a lock that turns out to be live is put back.
 */
function breakStaleLock(file: string): void {
  const aside = `${file}.stale.${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return;
  }
  const holder = readPid(aside);
  if (holder !== null && isAlive(holder)) {
    try {
      fs.linkSync(aside, file);
    } catch {
      // a newer lock exists
    }
  }
  removeFile(aside);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
