import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { inject } from 'vitest';

/**
 * Absolute path of the `bd` executable: the private build made by global-setup.ts, else the repository's
 * bin/bd.js (which runs dist/).
 */
export const BD_BIN =
  (inject('bdBin') as string | undefined) ??
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'bd.js');

/** The outcome of one `bd` run. */
export interface BdResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as one JSON document (throws with the output when it is not). */
  json<T = unknown>(): T;
  /** stderr parsed as one JSON document (errors under --json). */
  errorJson(): { schema_version: number; error: string; code: string };
}

/** Options of `runBd`. */
export interface RunBdOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  input?: string;
  /** Default 20 s. */
  timeoutMs?: number;
}

function parse<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${what} is not one JSON document: ${(err as Error).message}\n---\n${text}`);
  }
}

/**
 * Runs the real `bd` binary as a child process (`node bin/bd.js ...args`) with `BD_ACTOR=test-actor`
 * unless the env overrides it. Never rejects: check `code`.
 */
export async function runBd(args: readonly string[], options: RunBdOptions): Promise<BdResult> {
  const r = await execa(process.execPath, [BD_BIN, ...args], {
    cwd: options.cwd,
    env: {
      BD_ACTOR: 'test-actor',
      GIT_AUTHOR_NAME: 'bd test',
      GIT_AUTHOR_EMAIL: 'bd-test@example.com',
      GIT_COMMITTER_NAME: 'bd test',
      GIT_COMMITTER_EMAIL: 'bd-test@example.com',
      ...options.env,
    },
    extendEnv: true,
    reject: false,
    timeout: options.timeoutMs ?? 20_000,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    stripFinalNewline: false,
  });
  const stdout = typeof r.stdout === 'string' ? r.stdout : '';
  const stderr = typeof r.stderr === 'string' ? r.stderr : '';
  return {
    code: r.exitCode ?? (r.timedOut ? 124 : 1),
    stdout,
    stderr,
    json: <T>() => parse<T>(stdout, 'stdout'),
    errorJson: () => parse(stderr, 'stderr'),
  };
}
