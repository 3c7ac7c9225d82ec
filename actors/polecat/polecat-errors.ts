/** Errors of polecats and `gt done`: a stable `code`, a message that says what to do, and facts. */
export class PolecatError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PolecatError';
    this.code = code;
    this.details = options.details ?? {};
  }
}
