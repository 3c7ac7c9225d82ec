import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

/** One git run asked of the runner process. */
export interface RunnerRequest {
  id: number;
  args: string[];
  cwd: string;
  /** On top of the runner's environment (the daemon's, inherited). */
  env: Record<string, string>;
  input?: string;
  timeoutMs: number;
}

/** How it ended: `code` -1 when git could not start or was killed; `error` when it could not start. */
export interface RunnerReply {
  id: number;
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  error?: string;
}

/** The runner entry next to this module (dist/ only: a test build or the package). */
export function gitRunnerEntry(): string {
  return fileURLToPath(new URL('./git-runner-main.js', import.meta.url));
}

/**
 * A small long-lived process that starts git for a big one. Starting a process from the daemon
 * (fork, then exec) stops its event loop for a time that grows with its memory, about 3.6 ms at 200 MB,
 * and the daemon runs about fifteen git commands per bead; from this process, with a fraction of the
 * memory and nothing else to do, the daemon only writes a line and reads one. Started on the first run;
 * if it dies, the runs it had fail (git exit -1) and the next run starts a new one.
 */
export class GitRunner {
  private child: ChildProcess | null = null;
  /** The runs sent to the current child, by id. */
  private pending = new Map<number, (reply: RunnerReply) => void>();
  private nextId = 1;
  private stopped = false;

  constructor(private readonly entry: string = gitRunnerEntry()) {}

  run(request: Omit<RunnerRequest, 'id'>): Promise<RunnerReply> {
    const id = this.nextId++;
    if (this.stopped)
      return Promise.resolve({
        id,
        code: -1,
        stdout: '',
        stderr: '',
        timedOut: false,
        error: 'the git runner is stopped',
      });
    const child = this.child ?? this.start();
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      child.stdin?.write(`${JSON.stringify({ id, ...request })}\n`);
    });
  }

  /** The runner's pid while it runs, else null. */
  pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Lets the running commands finish (up to `graceMs`), then stops the runner. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (child === null) return;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  private start(): ChildProcess {
    const child = spawn(process.execPath, [this.entry], { stdio: ['pipe', 'pipe', 'inherit'] });
    // Each child answers only the runs sent to it; a new child gets a new map.
    const pending = new Map<number, (reply: RunnerReply) => void>();
    this.child = child;
    this.pending = pending;
    child.stdin?.on('error', () => undefined);
    if (child.stdout !== null)
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        let reply: RunnerReply;
        try {
          reply = JSON.parse(line) as RunnerReply;
        } catch {
          return;
        }
        const resolve = pending.get(reply.id);
        pending.delete(reply.id);
        resolve?.(reply);
      });
    const gone = (why: string) => {
      if (this.child === child) this.child = null;
      for (const [id, resolve] of pending)
        resolve({ id, code: -1, stdout: '', stderr: '', timedOut: false, error: why });
      pending.clear();
    };
    // 'close', not 'exit': every reply it wrote has been read by then.
    child.on('close', (code, signal) => gone(`the git runner exited (${signal ?? `code ${code ?? '?'}`})`));
    child.on('error', (error) => gone(`the git runner failed: ${error.message}`));
    return child;
  }
}
