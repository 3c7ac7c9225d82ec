/** Stable codes of SessionError. */
export type SessionErrorCode =
  'session.bad_agent' | 'crew.bad_name' | 'crew.exists' | 'crew.not_found' | 'crew.clone_failed';

/** Errors about long-lived sessions and crew workspaces. Stable `code`, a message that says what to do. */
export class SessionError extends Error {
  readonly code: SessionErrorCode;
  readonly details: Record<string, unknown>;
  constructor(
    code: SessionErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SessionError';
    this.code = code;
    this.details = options.details ?? {};
  }
}
