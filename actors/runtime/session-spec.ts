import fs from 'node:fs';
import path from 'node:path';
import type { SessionHandle, SessionSpec, RuntimeKind } from './provider.js';
import { resolveExecutable } from './process.js';
import { RuntimeError } from './runtime-errors.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks a spec before anything is started: a usable name, an existing cwd, valid env keys and a
 * command that resolves to an executable (through `env.PATH` or this process's PATH).
 */
export function checkSpec(spec: SessionSpec): void {
  if (!NAME.test(spec.name))
    throw new RuntimeError(
      'runtime.invalid_spec',
      `session name ${JSON.stringify(spec.name)} is not usable: use letters, digits, "_" and "-"`,
      { details: { name: spec.name } },
    );
  for (const key of [...Object.keys(spec.env), ...(spec.unset ?? [])])
    if (!ENV_KEY.test(key))
      throw new RuntimeError(
        'runtime.invalid_spec',
        `environment variable name ${JSON.stringify(key)} is invalid`,
        {
          details: { name: spec.name, key },
        },
      );
  if (spec.nice !== undefined && !(Number.isInteger(spec.nice) && spec.nice >= 0 && spec.nice <= 19))
    throw new RuntimeError(
      'runtime.invalid_spec',
      `niceness ${String(spec.nice)} is not usable: use a whole number from 0 to 19`,
      { details: { name: spec.name, nice: spec.nice } },
    );
  if (!path.isAbsolute(spec.logFile))
    throw new RuntimeError(
      'runtime.invalid_spec',
      `the session log must be an absolute path: ${spec.logFile}`,
      {
        details: { name: spec.name, logFile: spec.logFile },
      },
    );
  let isDir = false;
  try {
    isDir = fs.statSync(spec.cwd).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir)
    throw new RuntimeError(
      'runtime.start_failed',
      `cannot start ${spec.name}: ${spec.cwd} is not a directory`,
      {
        details: { name: spec.name, cwd: spec.cwd },
      },
    );
  const pathValue = spec.env['PATH'] ?? process.env['PATH'];
  if (resolveExecutable(spec.command, pathValue, spec.cwd) === null)
    throw new RuntimeError(
      'runtime.start_failed',
      `cannot start ${spec.name}: command not found or not executable: ${spec.command} (install it or fix PATH)`,
      { details: { name: spec.name, command: spec.command } },
    );
}

/** Throws `runtime.wrong_kind` when a handle of another adapter is passed in. */
export function checkKind(handle: SessionHandle, kind: RuntimeKind): void {
  if (handle.kind !== kind)
    throw new RuntimeError(
      'runtime.wrong_kind',
      `session ${handle.name} is a ${handle.kind} session, not a ${kind} one: use createRuntime('${handle.kind}')`,
      { details: { name: handle.name, kind: handle.kind } },
    );
}

/** The `runtime.not_running` error for a session that is gone. */
export function notRunning(handle: SessionHandle, what: string): RuntimeError {
  return new RuntimeError(
    'runtime.not_running',
    `cannot ${what}: session ${handle.name} is not running (start it again)`,
    { details: { name: handle.name, kind: handle.kind, pid: handle.pid } },
  );
}

/** Runs `fn` and turns its result or throw into a promise (for methods whose work is synchronous). */
export function settle<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
