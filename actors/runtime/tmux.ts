import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import {
  DEFAULT_STOP_GRACE_MS,
  SESSION_ENV,
  type AgentRuntime,
  type AttachCommand,
  type ReadySpec,
  type SessionHandle,
  type SessionSpec,
} from './provider.js';
import { delay, environHas, niced, pidAlive, setSessionNice, terminateSession } from './process.js';
import { RuntimeError } from './runtime-errors.js';
import { fileMtime, lastLines, promptShows, stripAnsi, tailLines } from './session-log.js';
import { checkKind, checkSpec, notRunning } from './session-spec.js';
import { shellCommand, shellQuote } from './shell-quote.js';

/** Options of a TmuxRuntime. */
export interface TmuxRuntimeOptions {
  /** The town: its sessions live on the tmux server `-L gt-<town>`. */
  town: string;
  /** The tmux executable (default `tmux` from PATH). */
  tmuxBinary?: string;
  /** Pause between typing a nudge and pressing Enter, so TUIs do not take it as a paste (default 300). */
  enterDelayMs?: number;
}

interface PaneInfo {
  pid: number;
  dead: boolean;
  activity: number;
}

const CHUNK = 512;

/** The tmux socket name of a town. */
export function tmuxSocket(town: string): string {
  return `gt-${town}`;
}

/**
 * Attachable sessions: one tmux server per town (`tmux -L gt-<town>`), one session per agent whose
 * pane runs the agent process itself (`exec`), its output appended to the session log (`pipe-pane`).
 */
export class TmuxRuntime implements AgentRuntime {
  readonly kind = 'tmux' as const;
  readonly socket: string;
  private readonly bin: string;
  private readonly enterDelayMs: number;

  constructor(options: TmuxRuntimeOptions) {
    this.socket = tmuxSocket(options.town);
    this.bin = options.tmuxBinary ?? 'tmux';
    this.enterDelayMs = options.enterDelayMs ?? 300;
  }

  async start(spec: SessionSpec): Promise<SessionHandle> {
    checkSpec(spec);
    const existing = await this.pane(spec.name);
    if (existing !== null) {
      if (!existing.dead && pidAlive(existing.pid))
        throw new RuntimeError(
          'runtime.already_running',
          `session ${spec.name} is already running on tmux -L ${this.socket}: stop it first or attach to it`,
          { details: { name: spec.name, pid: existing.pid, socket: this.socket } },
        );
      await this.tmux(['kill-session', '-t', `=${spec.name}`]);
    }
    fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
    fs.appendFileSync(spec.logFile, '');
    const env = Object.entries({ ...spec.env, [SESSION_ENV]: spec.name }).flatMap(([k, v]) => [
      '-e',
      `${k}=${v}`,
    ]);
    const target = `=${spec.name}:`;
    // One tmux invocation: the pipe is in place before the server reads the pane's first output.
    const r = await this.tmux([
      'new-session',
      '-d',
      '-P',
      '-F',
      '#{pane_pid}',
      '-s',
      spec.name,
      '-c',
      spec.cwd,
      '-x',
      '200',
      '-y',
      '50',
      ...env,
      '/bin/sh',
      '-c',
      launchLine(spec),
      ';',
      'set-option',
      '-w',
      '-t',
      target,
      'remain-on-exit',
      'off',
      ';',
      'set-option',
      '-t',
      target,
      'destroy-unattached',
      'off',
      ';',
      'pipe-pane',
      '-o',
      '-t',
      target,
      `exec cat >> ${shellQuote(spec.logFile)}`,
    ]);
    const pid = Number.parseInt(r.stdout.trim().split('\n')[0] ?? '', 10);
    if (r.code !== 0 || !Number.isInteger(pid)) {
      if (Number.isInteger(pid))
        await this.stop({ kind: 'tmux', name: spec.name, pid, logFile: spec.logFile, startedAt: '' }, 0);
      throw new RuntimeError(
        'runtime.start_failed',
        `cannot start ${spec.name} in tmux -L ${this.socket}: ${r.stderr.trim() || `exit ${r.code}`}`,
        { details: { name: spec.name, socket: this.socket } },
      );
    }
    setSessionNice(pid, spec.nice);
    return {
      kind: 'tmux',
      name: spec.name,
      pid,
      logFile: spec.logFile,
      startedAt: new Date().toISOString(),
      socket: this.socket,
    };
  }

  async isAlive(handle: SessionHandle): Promise<boolean> {
    checkKind(handle, this.kind);
    return (await this.ownPane(handle)) !== null;
  }

  async isReady(handle: SessionHandle, ready: ReadySpec): Promise<boolean> {
    checkKind(handle, this.kind);
    if ((await this.ownPane(handle)) === null) return false;
    switch (ready.kind) {
      case 'file':
        return fs.existsSync(ready.path);
      case 'delay':
        return Date.now() - Date.parse(handle.startedAt) >= ready.ms;
      case 'prompt': {
        const screen = await this.tmux(
          ['capture-pane', '-p', '-t', `=${handle.name}:`],
          socketOf(handle, this.socket),
        );
        return screen.code === 0 && promptShows(screen.stdout, ready.prefix);
      }
    }
  }

  async lastActivity(handle: SessionHandle): Promise<Date | null> {
    checkKind(handle, this.kind);
    const pane = await this.pane(handle.name, socketOf(handle, this.socket));
    const log = fileMtime(handle.logFile)?.getTime() ?? null;
    const window = pane !== null && pane.activity > 0 ? pane.activity * 1000 : null;
    if (log === null && window === null) return null;
    return new Date(Math.max(log ?? 0, window ?? 0));
  }

  async send(handle: SessionHandle, text: string): Promise<void> {
    checkKind(handle, this.kind);
    if ((await this.ownPane(handle)) === null) throw notRunning(handle, 'send a nudge');
    const target = `=${handle.name}:`;
    for (const chunk of chunks(sanitize(text))) {
      const r = await this.tmux(
        ['send-keys', '-t', target, '-l', '--', chunk],
        socketOf(handle, this.socket),
      );
      if (r.code !== 0) throw this.failed(handle, 'send a nudge', r.stderr);
      await delay(10);
    }
    if (text !== '') await delay(this.enterDelayMs);
    const r = await this.tmux(['send-keys', '-t', target, 'Enter'], socketOf(handle, this.socket));
    if (r.code !== 0) throw this.failed(handle, 'send a nudge', r.stderr);
  }

  async interrupt(handle: SessionHandle): Promise<void> {
    checkKind(handle, this.kind);
    if ((await this.ownPane(handle)) === null) throw notRunning(handle, 'interrupt');
    const r = await this.tmux(['send-keys', '-t', `=${handle.name}:`, 'C-c'], socketOf(handle, this.socket));
    if (r.code !== 0) throw this.failed(handle, 'interrupt', r.stderr);
  }

  async stop(handle: SessionHandle, graceMs = DEFAULT_STOP_GRACE_MS): Promise<void> {
    checkKind(handle, this.kind);
    const pane = await this.pane(handle.name, socketOf(handle, this.socket));
    const ours = pane !== null && (handle.pid === null || pane.pid === handle.pid);
    if (ours) {
      await terminateSession(pane.pid, graceMs);
      await this.tmux(['kill-session', '-t', `=${handle.name}`], socketOf(handle, this.socket));
    }
    // Processes of an older session under this name (its pid is still their session id).
    if (!ours && handle.pid !== null) {
      if (pidAlive(handle.pid) && environHas(handle.pid, SESSION_ENV, handle.name) === false) return;
      await terminateSession(handle.pid, graceMs);
    }
  }

  attach(handle: SessionHandle): AttachCommand {
    checkKind(handle, this.kind);
    return { command: this.bin, args: ['-L', handle.socket ?? this.socket, 'attach', '-t', handle.name] };
  }

  async capture(handle: SessionHandle, lines?: number): Promise<string> {
    checkKind(handle, this.kind);
    const args = ['capture-pane', '-p', '-J', '-t', `=${handle.name}:`];
    if (lines !== undefined) args.push('-S', `-${lines}`);
    const socket = socketOf(handle, this.socket);
    const r = (await this.pane(handle.name, socket)) === null ? null : await this.tmux(args, socket);
    if (r === null || r.code !== 0) return stripAnsi(tailLines(handle.logFile, lines ?? 50));
    const screen = r.stdout
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n');
    return lastLines(screen, lines ?? Number.MAX_SAFE_INTEGER);
  }

  /** The pane of the session named `name`, or null when there is no such session (or no server). */
  private async pane(name: string, socket = this.socket): Promise<PaneInfo | null> {
    const r = await this.tmux(
      ['display-message', '-p', '-t', `=${name}:`, '#{pane_pid} #{pane_dead} #{window_activity}'],
      socket,
    );
    if (r.code !== 0) return null;
    const [pid, dead, activity] = r.stdout.trim().split(' ').map(Number);
    if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return null;
    return { pid, dead: dead === 1, activity: activity ?? 0 };
  }

  /** The session's pane while it runs the handle's process, else null. */
  private async ownPane(handle: SessionHandle): Promise<PaneInfo | null> {
    const pane = await this.pane(handle.name, socketOf(handle, this.socket));
    if (pane === null || pane.dead) return null;
    if (handle.pid !== null && pane.pid !== handle.pid) return null;
    return pidAlive(pane.pid) ? pane : null;
  }

  private failed(handle: SessionHandle, what: string, stderr: string): RuntimeError {
    return new RuntimeError('runtime.tmux_failed', `cannot ${what} to ${handle.name}: ${stderr.trim()}`, {
      details: { name: handle.name, socket: this.socket },
    });
  }

  private async tmux(
    args: string[],
    socket = this.socket,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const r = await execa(this.bin, ['-L', socket, ...args], {
      reject: false,
      stdin: 'ignore',
      timeout: 15_000,
    });
    if (r.exitCode === undefined && (r.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
      throw new RuntimeError(
        'runtime.tmux_missing',
        `tmux is not installed (${this.bin} not found): install it with \`apt-get install tmux\` (or brew install tmux), or use the subprocess runtime`,
        { cause: r.cause },
      );
    return {
      code: r.exitCode ?? 1,
      stdout: typeof r.stdout === 'string' ? r.stdout : '',
      stderr: typeof r.stderr === 'string' ? r.stderr : '',
    };
  }
}

function socketOf(handle: SessionHandle, fallback: string): string {
  return handle.socket ?? fallback;
}

function launchLine(spec: SessionSpec): string {
  const unset = (spec.unset ?? []).filter((k) => !(k in spec.env));
  const run = niced(spec.command, spec.args, spec.nice);
  const exec = `exec ${shellCommand(run.command, run.args)}`;
  return unset.length === 0 ? exec : `unset ${unset.join(' ')}; ${exec}`;
}

function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\r\n|[\r\n\t]/g, ' ').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

function chunks(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const ch of text) {
    if (current.length + ch.length > CHUNK) {
      out.push(current);
      current = '';
    }
    current += ch;
  }
  if (current !== '') out.push(current);
  return out;
}
