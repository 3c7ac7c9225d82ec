import fs from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_STOP_GRACE_MS,
  NUDGE_FILE_ENV,
  SESSION_ENV,
  type AgentRuntime,
  type AttachCommand,
  type ReadySpec,
  type SessionHandle,
  type SessionSpec,
} from './provider.js';
import { environHas, pidAlive, signalGroup, spawnDetached, terminateSession } from './process.js';
import { fileMtime, nudgeFileFor, promptShows, tailLines } from './session-log.js';
import { checkKind, checkSpec, notRunning, settle } from './session-spec.js';

/** One line of a headless session's nudge file. */
export interface NudgeLine {
  at: string;
  text: string;
}

/**
 * Headless sessions: a detached process (own session and process group, stdin ignored) whose stdout
 * and stderr are appended to the session log, so it keeps running and logging when the daemon dies.
 * Nudges are JSON lines appended to the file named in `GT_NUDGE_FILE`.
 */
export class SubprocessRuntime implements AgentRuntime {
  readonly kind: 'subprocess' | 'scripted' = 'subprocess';

  start(spec: SessionSpec): Promise<SessionHandle> {
    return settle(() => {
      checkSpec(spec);
      const nudgeFile = nudgeFileFor(spec.logFile);
      fs.mkdirSync(path.dirname(nudgeFile), { recursive: true });
      fs.writeFileSync(nudgeFile, '');
      const pid = spawnDetached({
        command: spec.command,
        args: spec.args,
        cwd: spec.cwd,
        env: { ...spec.env, [NUDGE_FILE_ENV]: nudgeFile, [SESSION_ENV]: spec.name },
        logFile: spec.logFile,
        unset: spec.unset ?? [],
        ...(spec.nice === undefined ? {} : { nice: spec.nice }),
      });
      return {
        kind: this.kind,
        name: spec.name,
        pid,
        logFile: spec.logFile,
        startedAt: new Date().toISOString(),
        nudgeFile,
      };
    });
  }

  isAlive(handle: SessionHandle): Promise<boolean> {
    return settle(() => {
      checkKind(handle, this.kind);
      return this.alive(handle);
    });
  }

  isReady(handle: SessionHandle, ready: ReadySpec): Promise<boolean> {
    return settle(() => {
      checkKind(handle, this.kind);
      if (!this.alive(handle)) return false;
      switch (ready.kind) {
        case 'file':
          return fs.existsSync(ready.path);
        case 'delay':
          return Date.now() - Date.parse(handle.startedAt) >= ready.ms;
        case 'prompt':
          return promptShows(tailLines(handle.logFile, 5), ready.prefix);
      }
    });
  }

  lastActivity(handle: SessionHandle): Promise<Date | null> {
    return settle(() => {
      checkKind(handle, this.kind);
      return fileMtime(handle.logFile);
    });
  }

  send(handle: SessionHandle, text: string): Promise<void> {
    return settle(() => {
      checkKind(handle, this.kind);
      if (!this.alive(handle)) throw notRunning(handle, 'send a nudge');
      const line: NudgeLine = { at: new Date().toISOString(), text };
      fs.appendFileSync(handle.nudgeFile ?? nudgeFileFor(handle.logFile), `${JSON.stringify(line)}\n`);
    });
  }

  interrupt(handle: SessionHandle): Promise<void> {
    return settle(() => {
      checkKind(handle, this.kind);
      if (handle.pid === null || !this.alive(handle)) throw notRunning(handle, 'interrupt');
      signalGroup(handle.pid, 'SIGINT');
    });
  }

  stop(handle: SessionHandle, graceMs = DEFAULT_STOP_GRACE_MS): Promise<void> {
    return settle(async () => {
      checkKind(handle, this.kind);
      if (handle.pid === null) return;
      // A live leader without our marker is a reused pid: nothing of ours is left to stop.
      if (pidAlive(handle.pid) && environHas(handle.pid, SESSION_ENV, handle.name) === false) return;
      await terminateSession(handle.pid, graceMs);
    });
  }

  attach(handle: SessionHandle): AttachCommand {
    checkKind(handle, this.kind);
    return { command: 'tail', args: ['-n', '200', '-F', handle.logFile] };
  }

  capture(handle: SessionHandle, lines = 50): Promise<string> {
    return settle(() => {
      checkKind(handle, this.kind);
      return tailLines(handle.logFile, lines);
    });
  }

  private alive(handle: SessionHandle): boolean {
    if (handle.pid === null || !pidAlive(handle.pid)) return false;
    return environHas(handle.pid, SESSION_ENV, handle.name) !== false;
  }
}
