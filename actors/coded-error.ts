/**
 * The shape of the daemon's errors: a stable `code` (`rig.not_found`, `done.dirty_tree`, ...), a
 * message that says what to do, the facts as `details`, and the underlying `cause`. The CLI prints
 * the code and the message; error replies on the bus carry all three.
 */
export class CodedError<C extends string = string> extends Error {
  readonly code: C;
  readonly details: Record<string, unknown>;
  constructor(
    code: C,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details ?? {};
  }
}
