import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { inject } from 'vitest';

/** The `gt` executable of this test run (global-setup.ts), else the repository's bin/gt.js. */
export const GT_BIN =
  (inject('gtBin') as string | undefined) ??
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'gt.js');

/** The daemon entry of the same build as GT_BIN. */
export const DAEMON_ENTRY = path.resolve(
  path.dirname(GT_BIN),
  '..',
  'dist',
  'actors',
  'daemon',
  'daemon-main.js',
);

/** The outcome of one `gt` run. */
export interface GtResult {
  code: number;
  stdout: string;
  stderr: string;
  json<T = Record<string, unknown>>(): T;
}

/** Runs the real `gt` binary; never rejects. */
export async function runGt(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<GtResult> {
  const r = await execa(process.execPath, [GT_BIN, ...args], {
    cwd: options.cwd ?? os.tmpdir(),
    env: { GIT_AUTHOR_NAME: 'gt test', GIT_AUTHOR_EMAIL: 'gt-test@example.com', ...options.env },
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs ?? 30_000,
  });
  const stdout = typeof r.stdout === 'string' ? r.stdout : '';
  const stderr = typeof r.stderr === 'string' ? r.stderr : '';
  return {
    code: r.exitCode ?? 1,
    stdout,
    stderr,
    json: <T>() => {
      try {
        return JSON.parse(stdout) as T;
      } catch {
        throw new Error(`stdout is not JSON (exit ${r.exitCode}):\n${stdout}\n${stderr}`);
      }
    },
  };
}

/** True when the pid exists and is not a zombie. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * The towns under `dir` (a test's own, or one a demo made inside it): directories with a `.gt`,
 * looked for down to `depth` levels, never inside hidden directories (git's included).
 */
function townRoots(dir: string, depth = 3): string[] {
  if (depth < 0 || !fs.existsSync(dir)) return [];
  if (fs.existsSync(path.join(dir, '.gt'))) return [dir];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .flatMap((e) => townRoots(path.join(dir, e.name), depth - 1));
}

/**
 * The live processes of the agent sessions of the towns under `dir`, from their handles (each
 * `current.json` under a town's `.gt/sessions/`), each checked to run in `dir`.
 */
function sessionPids(dir: string): number[] {
  const out: number[] = [];
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'current.json') {
        try {
          const pid = (JSON.parse(fs.readFileSync(p, 'utf8')) as { pid?: unknown }).pid;
          if (typeof pid === 'number' && pid > 0 && alive(pid) && cwdOf(pid).startsWith(dir)) out.push(pid);
        } catch {
          // a handle half written or removed meanwhile: no session to stop
        }
      }
    }
  };
  for (const root of townRoots(dir)) walk(path.join(root, '.gt', 'sessions'));
  return out;
}

function cwdOf(pid: number): string {
  try {
    return fs.readlinkSync(`/proc/${pid}/cwd`);
  } catch {
    return '';
  }
}

/** SIGKILL to the process group `pid` leads (a session is detached), else to the process. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Temporary towns for a test file: `dir()` makes a parent directory; `track(pid)` records a process to
 * kill; `cleanup()` kills every tracked pid plus those in each town's pid files (SIGKILL, by pid) and
 * removes the directories.
 */
export function townFixtures() {
  const dirs: string[] = [];
  const pids = new Set<number>();
  return {
    dir(): string {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), 'gt-town-'));
      dirs.push(d);
      return d;
    },
    track(pid: number | null | undefined): void {
      if (typeof pid === 'number' && pid > 0) pids.add(pid);
    },
    async cleanup(): Promise<void> {
      for (const d of dirs)
        for (const root of townRoots(d)) {
          for (const file of [
            ['.gt', 'daemon.pid'],
            ['.gt', 'nats', 'nats.pid'],
          ]) {
            const f = path.join(root, ...file);
            const pid = fs.existsSync(f) ? Number.parseInt(fs.readFileSync(f, 'utf8').trim(), 10) : 0;
            if (pid > 0 && cmdline(pid).includes(d)) pids.add(pid);
          }
        }
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      await waitFor('tracked processes to exit', () => [...pids].every((p) => !alive(p)), 5_000);
      // Agent sessions outlive the daemon by design: each session's process group, from its handle.
      const sessions = dirs.flatMap((d) => sessionPids(d));
      for (const pid of sessions) killGroup(pid);
      await waitFor('agent sessions to exit', () => sessions.every((p) => !alive(p)), 5_000);
      pids.clear();
      for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}
