import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { RuntimeError } from './runtime-errors.js';

// The one place agent processes are spawned and signalled: by pid or process group, never by name.

/** What /proc/<pid>/stat says about a process. */
export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Scheduling niceness, -20 to 19. */
  nice: number;
}

/** The parsed /proc/<pid>/stat, or null when the process is gone or /proc cannot be read. */
export function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, ppid, pgrp, session] = fields;
  const nice = fields[16];
  if (state === undefined || ppid === undefined || pgrp === undefined || session === undefined) return null;
  if (nice === undefined) return null;
  return { pid, state, ppid: Number(ppid), pgrp: Number(pgrp), session: Number(session), nice: Number(nice) };
}

function procAvailable(): boolean {
  return fs.existsSync('/proc/self/stat');
}

/** True when a process with this pid exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(pid);
  if (stat !== null) return stat.state !== 'Z' && stat.state !== 'X';
  return !procAvailable() || fs.existsSync(`/proc/${pid}`);
}

/**
 * The live (non-zombie) processes in the process group or session led by `leader` (the leader
 * included while it runs), or null when /proc cannot be read.
 */
export function sessionProcesses(leader: number): number[] | null {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat === null || stat.state === 'Z' || stat.state === 'X') continue;
    if (stat.pgrp === leader || stat.session === leader) found.push(stat.pid);
  }
  return found;
}

/** The pids whose parent is `pid` (live ones only); empty when /proc cannot be read. */
export function childProcesses(pid: number): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat !== null && stat.ppid === pid && stat.state !== 'Z') found.push(stat.pid);
  }
  return found;
}

/**
 * Whether the initial environment of `pid` has `key=value`: null when it cannot be read (no /proc,
 * another user's process), so callers can tell "not ours" from "cannot tell".
 */
export function environHas(pid: number, key: string, value: string): boolean | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return null;
  }
  if (text === '') return null;
  return `\0${text}`.includes(`\0${key}=${value}\0`);
}

/** Sends a signal to one pid; false when it is gone (or not ours). */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH' || code === 'EPERM') return false;
    throw error;
  }
}

/** Sends a signal to the process group `pgid`; false when the group is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  if (!Number.isInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH' || code === 'EPERM') return false;
    throw error;
  }
}

function groupExists(pgid: number): boolean {
  return signalGroup(pgid, 0);
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= deadline) return false;
    await delay(25);
  }
}

/**
 * Ends every process of the session (and process group) led by `leader`: SIGTERM to each, SIGKILL to
 * what is left after `graceMs`, then waits until none is left. A group that is already gone is fine.
 */
export async function terminateSession(leader: number, graceMs: number): Promise<void> {
  const members = (): number[] | null => sessionProcesses(leader);
  const first = members();
  if (first === null) {
    signalGroup(leader, 'SIGTERM');
    if (!(await until(() => !groupExists(leader), graceMs))) signalGroup(leader, 'SIGKILL');
    if (!(await until(() => !groupExists(leader), 5_000))) throw stopFailed(leader, []);
    return;
  }
  if (first.length === 0) return;
  for (const pid of first) signalProcess(pid, 'SIGTERM');
  if (await until(() => (members() ?? []).length === 0, graceMs)) return;
  const deadline = Date.now() + 5_000;
  for (;;) {
    const left = members() ?? [];
    if (left.length === 0) return;
    if (Date.now() >= deadline) throw stopFailed(leader, left);
    for (const pid of left) signalProcess(pid, 'SIGKILL');
    await delay(25);
  }
}

function stopFailed(leader: number, left: number[]): RuntimeError {
  return new RuntimeError(
    'runtime.stop_failed',
    `processes of session ${leader} survive SIGKILL (${left.join(', ') || 'group'}); check them with ps -s ${leader}`,
    { details: { leader, left } },
  );
}

/** The absolute path of an executable `command` (searched in `pathValue` when it has no slash), or null. */
export function resolveExecutable(
  command: string,
  pathValue: string | undefined,
  cwd: string,
): string | null {
  const candidates = command.includes('/')
    ? [path.resolve(cwd, command)]
    : (pathValue ?? '')
        .split(path.delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => path.join(path.resolve(cwd, dir), command));
  for (const file of candidates) {
    try {
      if (!fs.statSync(file).isFile()) continue;
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      continue;
    }
  }
  return null;
}

/** This process's environment without `unset`, plus `env`. */
export function childEnvironment(
  env: Record<string, string>,
  unset: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !unset.includes(k)) out[k] = v;
  return { ...out, ...env };
}

/** What spawnDetached runs. */
export interface DetachedSpec {
  command: string;
  args: readonly string[];
  cwd: string;
  /** Added to this process's environment. */
  env: Record<string, string>;
  /** Variables of this process's environment that the child does not inherit. */
  unset?: readonly string[];
  /** stdout and stderr are appended here (the file descriptor is handed to the child). */
  logFile: string;
  /** Niceness (0 to 19) the process starts with, through `nice -n` (which execs it: same pid). */
  nice?: number;
}

/**
 * Gives the session led by `pid` the niceness `nice` as a whole. Linux schedules each session as one
 * autogroup (when `kernel.sched_autogroup_enabled`), so a process's own niceness only ranks it inside
 * its session: thirty detached agents would still get thirty shares against the daemon's one. Writing
 * the autogroup's niceness makes the whole session (the agent and all it runs) yield. Best effort: a
 * kernel without autogroups has no such file, and `nice -n` alone is then enough. True when it was set.
 */
export function setSessionNice(pid: number, nice: number | undefined): boolean {
  if (nice === undefined || nice === 0) return false;
  // Only a session of its own: the autogroup of a process that shares ours is ours.
  if (procStat(pid)?.session !== pid) return false;
  try {
    fs.writeFileSync(`/proc/${pid}/autogroup`, String(nice));
    return true;
  } catch {
    return false;
  }
}

/** The command and arguments that run `command` at `nice` (unchanged for 0 or none). */
export function niced(
  command: string,
  args: readonly string[],
  nice: number | undefined,
): { command: string; args: string[] } {
  if (nice === undefined || nice === 0) return { command, args: [...args] };
  return { command: 'nice', args: ['-n', String(nice), command, ...args] };
}

/**
 * Starts a process that outlives this one: its own session and process group (`detached`), stdin
 * ignored, stdout and stderr appended to the log file, not waited for. Returns its pid.
 */
export function spawnDetached(spec: DetachedSpec): number {
  fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
  // execa's types list file descriptors 3 to 9 only; any open descriptor works.
  const out = fs.openSync(spec.logFile, 'a') as 3;
  try {
    const run = niced(spec.command, spec.args, spec.nice);
    const child = execa(run.command, run.args, {
      cwd: spec.cwd,
      env: childEnvironment(spec.env, spec.unset ?? []),
      extendEnv: false,
      detached: true,
      cleanup: false,
      reject: false,
      stdio: ['ignore', out, out],
    });
    child.unref();
    if (child.pid === undefined) {
      throw new RuntimeError('runtime.start_failed', `cannot start ${spec.command}: the spawn failed`, {
        details: { command: spec.command, cwd: spec.cwd },
      });
    }
    setSessionNice(child.pid, spec.nice);
    return child.pid;
  } finally {
    fs.closeSync(out);
  }
}
