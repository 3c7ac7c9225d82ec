/**
 * A script that cannot be run: unreadable, not JSON, or not a valid script (`script.invalid`, naming
 * the step and the field), or no script found at all (`script.missing`). The agent exits 2, having
 * done nothing.
 */
export class ScriptError extends Error {
  readonly code: string;
  /** The step, 1-based, dotted inside `once` (`"2.1"`), when the error is about one step. */
  readonly step: string | undefined;
  /** The offending field of that step, when known. */
  readonly field: string | undefined;
  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; step?: string; field?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ScriptError';
    this.code = code;
    this.step = options.step;
    this.field = options.field;
  }
}

/** A step that ran and failed (`step.failed`): the agent prints why and exits 1. */
export class StepError extends Error {
  readonly code = 'step.failed';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StepError';
  }
}

/** The agent's town could not be asked (`gt prime` failed or printed something unreadable). */
export class PrimeError extends Error {
  readonly code = 'prime.failed';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PrimeError';
  }
}

/** Thrown to end the agent with `exitCode` and nothing more (a `crash` step, the default `fix`). */
export class AgentExit extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, reason: string) {
    super(reason);
    this.name = 'AgentExit';
    this.exitCode = exitCode;
  }
}
