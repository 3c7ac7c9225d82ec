import type * as ExecaModule from 'execa';
import { groupDeadline } from '../process-group.js';
import type { GitRunner } from './git-runner.js';

/** Options of one git run. */
export interface GitOptions {
  /** Working directory of the git process (a work tree, or a bare repository). */
  cwd: string;
  /** Extra environment variables, on top of the inherited environment and the safe defaults. */
  env?: Record<string, string>;
  /** Kill git and its helpers after this many ms (SIGTERM, SIGKILL 2 s later). Default 120 000. */
  timeoutMs?: number;
  /** Text written to git's stdin (else stdin is closed). */
  input?: string;
  /** Run the repository's hooks. Default false: `core.hooksPath=/dev/null`, so no hook runs. */
  hooks?: boolean;
}

/** The outcome of a git run that is allowed to fail (`gitOk`). */
export interface GitResult {
  /** Exit code; -1 when git could not be started or was killed (timeout, signal). */
  code: number;
  /** stdout with trailing whitespace removed (leading spaces kept: porcelain formats need them). */
  stdout: string;
  stderr: string;
}

/** A git command failed (non-zero exit, timeout, or git missing). */
export class GitError extends Error {
  readonly code = 'git.failed';
  readonly args: readonly string[];
  readonly cwd: string;
  readonly exitCode: number;
  readonly stderr: string;
  readonly timedOut: boolean;
  constructor(
    message: string,
    details: { args: readonly string[]; cwd: string; exitCode: number; stderr: string; timedOut: boolean },
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GitError';
    this.args = details.args;
    this.cwd = details.cwd;
    this.exitCode = details.exitCode;
    this.stderr = details.stderr;
    this.timedOut = details.timedOut;
  }
}

export const DEFAULT_GIT_TIMEOUT_MS = 120_000;

/** After a timeout's SIGTERM, how long git and its helpers get before SIGKILL. */
export const GIT_KILL_GRACE_MS = 2_000;

/** execa, imported by the first git run: a short-lived CLI that never runs git does not load it. */
let execaModule: Promise<typeof ExecaModule> | undefined;

let runner: GitRunner | null = null;

/**
 * From now on git runs through `r` (the daemon's GitRunner: starting processes from a small process
 * keeps the daemon's event loop free), or again directly with null.
 */
export function useGitRunner(r: GitRunner | null): void {
  runner = r;
}

/**
 * Environment every git run gets. Nothing may wait for a human: no terminal prompt for credentials
 * (`GIT_TERMINAL_PROMPT=0`, stdin closed), no editor (`GIT_EDITOR=true`, so `commit` without `-m`
 * fails instead of hanging, and merges never open one), no pager, untranslated messages.
 */
const SAFE_ENV: Readonly<Record<string, string>> = {
  GIT_EDITOR: 'true',
  GIT_SEQUENCE_EDITOR: 'true',
  GIT_MERGE_AUTOEDIT: 'no',
  GIT_PAGER: 'cat',
  PAGER: 'cat',
  LC_ALL: 'C',
  LANGUAGE: 'C',
};

function command(args: readonly string[]): string {
  return `git ${args.map((a) => (/^[\w./:=@+,-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`;
}

async function run(
  args: readonly string[],
  options: GitOptions,
): Promise<GitResult & { timedOut: boolean; cause?: unknown }> {
  const config =
    options.hooks === true ? [] : ['-c', 'core.hooksPath=/dev/null', '-c', 'core.fsmonitor=false'];
  const timeoutMs = options.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS;
  const env = { ...SAFE_ENV, ...options.env, GIT_TERMINAL_PROMPT: '0' };
  if (runner !== null) {
    const r = await runner.run({
      args: [...config, ...args],
      cwd: options.cwd,
      env,
      timeoutMs,
      ...(options.input === undefined ? {} : { input: options.input }),
    });
    const stderr = r.stderr.trim();
    return {
      code: r.code,
      stdout: r.stdout.trimEnd(),
      stderr: r.code === -1 && stderr === '' && !r.timedOut ? (r.error ?? '') : stderr,
      timedOut: r.timedOut,
      ...(r.code === 0 ? {} : { cause: new Error(r.error ?? `git exited ${r.code}`) }),
    };
  }
  // Its own process group, so a timeout also stops the helpers git starts (git-remote-http, ssh),
  // which hold git's stdout and stderr open.
  const { execa } = await (execaModule ??= import('execa'));
  const child = execa('git', [...config, ...args], {
    cwd: options.cwd,
    env,
    reject: false,
    detached: true,
    stripFinalNewline: false,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
  });
  const deadline = groupDeadline(child.pid, timeoutMs, GIT_KILL_GRACE_MS);
  const r = await child;
  deadline.cancel();
  const { timedOut } = deadline;
  const stdout = typeof r.stdout === 'string' ? r.stdout.trimEnd() : '';
  const stderr = typeof r.stderr === 'string' ? r.stderr.trim() : '';
  const code = typeof r.exitCode === 'number' ? r.exitCode : -1;
  return {
    code,
    stdout,
    stderr: code === -1 && stderr === '' && !timedOut ? (r.message ?? '') : stderr,
    timedOut,
    ...(r.failed ? { cause: r } : {}),
  };
}

/**
 * Runs `git <args>` in `options.cwd` and returns its stdout without trailing whitespace. Throws a
 * GitError (code `git.failed`) naming the command, its directory and its stderr when git exits
 * non-zero, times out, or cannot be started.
 */
export async function git(args: readonly string[], options: GitOptions): Promise<string> {
  const r = await run(args, options);
  if (r.code === 0) return r.stdout;
  const why = r.timedOut
    ? `timed out after ${options.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS} ms`
    : `exited ${r.code}${r.stderr === '' ? '' : `: ${r.stderr}`}`;
  throw new GitError(
    `${command(args)} (in ${options.cwd}) ${why}`,
    { args, cwd: options.cwd, exitCode: r.code, stderr: r.stderr, timedOut: r.timedOut },
    { cause: r.cause },
  );
}

/** Runs `git <args>` like `git`, but never throws for a failed command: the caller reads `code`. */
export async function gitOk(args: readonly string[], options: GitOptions): Promise<GitResult> {
  const { code, stdout, stderr } = await run(args, options);
  return { code, stdout, stderr };
}

/** What git says when another git process holds a lock it needs (a ref, packed-refs, the index). */
const LOCK_CONTENTION = /\.lock'?: File exists|cannot lock ref|Unable to create '[^']*\.lock'/;

/**
 * `git` that retries, with a short jittered backoff, while another git process holds a lock it needs:
 * the actors of a rig share one bare repository, and git refuses (rather than waits) when two of them
 * update refs at the same moment.
 */
export async function gitRetry(args: readonly string[], options: GitOptions, attempts = 10): Promise<string> {
  for (let i = 1; ; i++) {
    const r = await gitOk(args, options);
    if (r.code === 0) return r.stdout;
    if (i >= attempts || !LOCK_CONTENTION.test(r.stderr))
      throw new GitError(`git ${args.join(' ')} (in ${options.cwd}) exited ${r.code}: ${r.stderr.trim()}`, {
        args,
        cwd: options.cwd,
        exitCode: r.code,
        stderr: r.stderr,
        timedOut: false,
      });
    await new Promise((resolve) => setTimeout(resolve, 20 * i + Math.floor(Math.random() * 40)));
  }
}
