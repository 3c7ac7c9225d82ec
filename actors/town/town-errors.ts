/** Errors about a town (its files, its daemon). Stable `code`, a message that says what to do. */
export class TownError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TownError';
    this.code = code;
    this.details = options.details ?? {};
  }
}
