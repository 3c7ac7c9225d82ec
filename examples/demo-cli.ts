import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** A step of the demo failed, or what it built is not what it should be. */
export class DemoError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DemoError';
    this.code = code;
  }
}

/** The package root: the nearest folder above this module with bin/gt.js (examples/ or dist/examples/). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'bin', 'gt.js'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new DemoError('demo.no_package', 'cannot find bin/gt.js above examples/');
    dir = parent;
  }
}

/** The outcome of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where the CLIs are and what environment they get (on top of the inherited one). */
export interface DemoCliOptions {
  gtBin?: string;
  bdBin?: string;
  env?: Record<string, string>;
  /** Kill a CLI run after this many ms. Default 60 000. */
  timeoutMs?: number;
}

/** The overseer's identity: git commits made by the demo and by its agents, and the `bd` actor. */
export const OVERSEER_ENV: Readonly<Record<string, string>> = {
  GIT_AUTHOR_NAME: 'demo overseer',
  GIT_AUTHOR_EMAIL: 'overseer@demo.invalid',
  GIT_COMMITTER_NAME: 'demo overseer',
  GIT_COMMITTER_EMAIL: 'overseer@demo.invalid',
  BD_ACTOR: 'overseer',
};

/** Runs `gt` and `bd` the way a person does: `node bin/gt.js ...`, `node bin/bd.js ...`. */
export class DemoCli {
  readonly gtBin: string;
  readonly bdBin: string;
  private readonly env: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(options: DemoCliOptions = {}) {
    const root = options.gtBin === undefined || options.bdBin === undefined ? packageRoot() : '';
    this.gtBin = options.gtBin ?? path.join(root, 'bin', 'gt.js');
    this.bdBin = options.bdBin ?? path.join(root, 'bin', 'bd.js');
    this.env = { ...OVERSEER_ENV, ...options.env };
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** Runs `gt args...`; never rejects. */
  gt(args: readonly string[], cwd?: string): Promise<CliResult> {
    return this.run(this.gtBin, args, cwd);
  }

  /** Runs `bd args...` in `cwd` (the town's beads folder); never rejects. */
  bd(args: readonly string[], cwd: string): Promise<CliResult> {
    return this.run(this.bdBin, args, cwd);
  }

  /** Runs `gt args... --json` and parses stdout; a failure is a DemoError naming the command. */
  async gtJson<T>(args: readonly string[], cwd?: string): Promise<T> {
    return parsed<T>(['gt', ...args], await this.gt([...args, '--json'], cwd));
  }

  /** Runs `bd args... --json` in `cwd` and parses stdout; a failure is a DemoError naming the command. */
  async bdJson<T>(args: readonly string[], cwd: string): Promise<T> {
    return parsed<T>(['bd', ...args], await this.bd([...args, '--json'], cwd));
  }

  private async run(bin: string, args: readonly string[], cwd: string | undefined): Promise<CliResult> {
    const r = await execa(process.execPath, [bin, ...args], {
      cwd: cwd ?? process.cwd(),
      env: this.env,
      reject: false,
      stdin: 'ignore',
      timeout: this.timeoutMs,
    });
    return {
      code: r.exitCode ?? 1,
      stdout: typeof r.stdout === 'string' ? r.stdout : '',
      stderr: typeof r.stderr === 'string' ? r.stderr : (r.message ?? ''),
    };
  }
}

/** Shell-like rendering of a command line, for messages. */
export function commandLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
}

function parsed<T>(argv: readonly string[], r: CliResult): T {
  const shown = commandLine(argv.map((a) => (a.length > 80 ? `${a.slice(0, 77)}...` : a)));
  if (r.code !== 0)
    throw new DemoError(
      'demo.command_failed',
      `${shown} exited ${r.code}: ${r.stderr.trim() || r.stdout.trim() || '(no output)'}`,
    );
  try {
    return JSON.parse(r.stdout) as T;
  } catch (cause) {
    throw new DemoError('demo.bad_output', `${shown} did not print JSON: ${r.stdout.slice(0, 200)}`, {
      cause,
    });
  }
}
