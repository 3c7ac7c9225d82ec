/** How to tell that a freshly started agent session accepts input. */
export type ReadySpec =
  /** The last non-empty line of the screen (tmux) or log (headless) contains `prefix`. */
  | { kind: 'prompt'; prefix: string; timeoutMs?: number }
  /** The session is alive and was started at least `ms` ago. */
  | { kind: 'delay'; ms: number }
  /** The file at `path` exists (the agent writes it when it is ready). */
  | { kind: 'file'; path: string };

/** What to run as one agent session. */
export interface SessionSpec {
  /** Unique per town, e.g. "web-nux": letters, digits, `_` and `-`. */
  name: string;
  cwd: string;
  command: string;
  args: string[];
  /** Added to the daemon's environment. */
  env: Record<string, string>;
  /** Inherited variables the agent must not see (e.g. NODE_OPTIONS, CLAUDECODE). */
  unset?: readonly string[];
  /** The session log; output is appended to it. */
  logFile: string;
  ready: ReadySpec;
  /**
   * Scheduling niceness of the agent and everything it starts (0 to 19; default 0): worker sessions
   * run below the daemon, so a saturated machine still merges, supervises and answers the CLI.
   */
  nice?: number;
}

/** The adapters. */
export type RuntimeKind = 'tmux' | 'subprocess' | 'scripted';

/**
 * Identifies a running session so that a restarted daemon can find it again: plain JSON, persisted in
 * machine snapshots. `pid` is the agent process (the tmux pane's process, or the headless process
 * group leader).
 */
export interface SessionHandle {
  kind: RuntimeKind;
  name: string;
  pid: number | null;
  logFile: string;
  /** ISO time the session was started. */
  startedAt: string;
  /** The tmux socket name (`tmux -L <socket>`), tmux sessions only. */
  socket?: string;
  /** The JSONL file that `send` appends to, headless sessions only. */
  nudgeFile?: string;
}

/** What a person runs in their terminal to watch (tmux: and drive) a session. */
export interface AttachCommand {
  command: string;
  args: string[];
}

/** The one provider interface for agent sessions (tmux, subprocess, scripted). */
export interface AgentRuntime {
  readonly kind: RuntimeKind;
  /** Starts the session; `runtime.start_failed` when it cannot, `runtime.already_running` on a live name. */
  start(spec: SessionSpec): Promise<SessionHandle>;
  /** True while the agent process itself runs (not only its tmux session). */
  isAlive(handle: SessionHandle): Promise<boolean>;
  /** One check of `ready` (no waiting; see waitReady). */
  isReady(handle: SessionHandle, ready: ReadySpec): Promise<boolean>;
  /** The last time the session produced output, or null when unknown. */
  lastActivity(handle: SessionHandle): Promise<Date | null>;
  /** The nudge: types `text` and Enter (tmux), or appends it to the nudge file (headless). */
  send(handle: SessionHandle, text: string): Promise<void>;
  /** Ctrl-C (tmux) or SIGINT to the process group (headless). */
  interrupt(handle: SessionHandle): Promise<void>;
  /** Idempotent: SIGTERM, then SIGKILL after `graceMs`; afterwards no process of the session is left. */
  stop(handle: SessionHandle, graceMs?: number): Promise<void>;
  /** The command a person runs to attach (tmux) or follow the log read-only (headless). */
  attach(handle: SessionHandle): AttachCommand;
  /** The screen (tmux) or the log tail (headless); the last `lines` lines when given. */
  capture(handle: SessionHandle, lines?: number): Promise<string>;
}

/** The environment variable that carries the session name into the agent (also its identity check). */
export const SESSION_ENV = 'GT_RUNTIME_SESSION';

/** The environment variable that tells a headless agent where its nudges arrive. */
export const NUDGE_FILE_ENV = 'GT_NUDGE_FILE';

/** Default grace between SIGTERM and SIGKILL in `stop`. */
export const DEFAULT_STOP_GRACE_MS = 5_000;

export { RuntimeError, type RuntimeErrorCode } from './runtime-errors.js';
