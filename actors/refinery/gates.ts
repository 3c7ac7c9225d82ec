import { execa } from 'execa';
import { groupDeadline, killGroup } from '../process-group.js';

/** One gate of a rig (`rig.json` `gates[]`): a shell command that must exit 0 for a merge to land. */
export interface GateSpec {
  name: string;
  /** Run as `sh -c <cmd>`. */
  cmd: string;
  /** The whole process group is killed after this many ms. */
  timeout_ms: number;
}

/** Where and how a gate runs. */
export interface GateRunOptions {
  /** Working directory (the refinery worktree). */
  cwd: string;
  /** Extra environment, on top of the inherited one; `GT_GATE=<name>` is always set. */
  env?: Record<string, string>;
  /** Bytes of output kept (the last ones). Default 8 KiB. */
  maxOutputBytes?: number;
  /** After a timeout: ms between SIGTERM and SIGKILL of the process group. Default 2 000. */
  killGraceMs?: number;
}

/** What a gate run did. */
export interface GateResult {
  /** Exited 0 within its timeout. */
  ok: boolean;
  /** Exit code; null when the gate was killed by a signal (a timeout) or could not be started. */
  exitCode: number | null;
  timedOut: boolean;
  /** The last `maxOutputBytes` of stdout and stderr, interleaved in the order they arrived. */
  output: string;
  durationMs: number;
}

export const DEFAULT_GATE_OUTPUT_BYTES = 8 * 1024;
const DEFAULT_KILL_GRACE_MS = 2_000;
/** After the gate's shell exits, how long its output pipes may stay open (a process that escaped). */
const DRAIN_MS = 1_000;

/** Keeps the last `limit` bytes written to it. */
class OutputTail {
  private chunks: Buffer[] = [];
  private size = 0;
  private truncated = false;
  constructor(private readonly limit: number) {}

  push(chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.chunks.push(buf);
    this.size += buf.length;
    if (this.size > this.limit * 2) this.compact();
  }

  text(): string {
    this.compact();
    let buf = Buffer.concat(this.chunks);
    if (this.truncated) {
      // Do not start in the middle of a UTF-8 sequence.
      let start = 0;
      while (start < buf.length && start < 4 && ((buf[start] ?? 0) & 0xc0) === 0x80) start++;
      buf = buf.subarray(start);
    }
    return buf.toString('utf8');
  }

  private compact(): void {
    if (this.size <= this.limit) return;
    const all = Buffer.concat(this.chunks);
    const kept = Buffer.from(all.subarray(all.length - this.limit));
    this.chunks = [kept];
    this.size = kept.length;
    this.truncated = true;
  }
}

/**
 * Runs one gate: `sh -c <cmd>` in `options.cwd`, in its own process group, with `GT_GATE=<name>` and
 * stdin closed. On timeout the whole group gets SIGTERM, then SIGKILL after the grace period; once the
 * shell has exited, whatever it left running in its group is killed too, so no gate process outlives
 * the run. Never throws: a gate that cannot be started is a failed gate (the reason is in `output`).
 */
export async function runGate(gate: GateSpec, options: GateRunOptions): Promise<GateResult> {
  const started = performance.now();
  const tail = new OutputTail(options.maxOutputBytes ?? DEFAULT_GATE_OUTPUT_BYTES);
  const child = execa('sh', ['-c', gate.cmd], {
    cwd: options.cwd,
    env: { ...options.env, GT_GATE: gate.name },
    stdin: 'ignore',
    buffer: false,
    detached: true,
    reject: false,
  });
  child.stdout?.on('data', (chunk: Buffer | string) => tail.push(chunk));
  child.stderr?.on('data', (chunk: Buffer | string) => tail.push(chunk));

  let drain: NodeJS.Timeout | undefined;
  const deadline = groupDeadline(child.pid, gate.timeout_ms, options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  child.once('exit', () => {
    deadline.cancel();
    killGroup(child.pid, 'SIGKILL');
    drain = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, DRAIN_MS);
  });

  const r = await child;
  deadline.cancel();
  clearTimeout(drain);
  killGroup(child.pid, 'SIGKILL');
  const { timedOut } = deadline;

  const exitCode = typeof r.exitCode === 'number' ? r.exitCode : null;
  if (exitCode === null && !timedOut && r.failed && child.pid === undefined) tail.push(`${r.message}\n`);
  if (timedOut) tail.push(`\n[gate ${gate.name} timed out after ${gate.timeout_ms} ms]\n`);
  return {
    ok: exitCode === 0 && !timedOut,
    exitCode: timedOut ? null : exitCode,
    timedOut,
    output: tail.text(),
    durationMs: Math.round(performance.now() - started),
  };
}
