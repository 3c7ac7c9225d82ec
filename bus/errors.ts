/**
 * Errors of the bus. Each has a stable `code` (carried in error replies), says whether a retry may
 * succeed (`retryable`), and keeps the underlying `cause`.
 */
export class BusError extends Error {
  /** Stable, namespaced code, e.g. `bus.invalid_message`. */
  readonly code: string;
  /** True when the same request may succeed later (a timeout, a town that is starting). */
  readonly retryable: boolean;
  /** Structured facts about the failure, sent in error replies. */
  readonly details: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details ?? {};
  }
}

/** A message or one of its fields failed validation. `field` names the first failing field path. */
export class InvalidMessageError extends BusError {
  readonly field: string;
  constructor(field: string, reason: string, options: { cause?: unknown } = {}) {
    super('bus.invalid_message', `invalid message: field "${field}" ${reason}`, {
      ...options,
      details: { field, reason },
    });
    this.field = field;
  }
}

/** A subject, subject token or address is malformed. */
export class InvalidSubjectError extends BusError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('bus.invalid_subject', message, { details });
  }
}

/** Nobody answers a town's command subjects: its daemon is down. */
export class TownNotRunningError extends BusError {
  readonly town: string;
  constructor(town: string, options: { cause?: unknown } = {}) {
    super('bus.town_not_running', `town ${town} is not running: start it with \`gt up\``, {
      ...options,
      retryable: true,
      details: { town },
    });
    this.town = town;
  }
}

/** A request got no reply within its timeout. */
export class RequestTimeoutError extends BusError {
  constructor(subject: string, timeoutMs: number, options: { cause?: unknown } = {}) {
    super(
      'bus.request_timeout',
      `no reply on ${subject} within ${timeoutMs} ms: check the daemon with \`gt status\` and retry`,
      { ...options, retryable: true, details: { subject, timeoutMs } },
    );
  }
}

/** Any other failure of a request (connection closed, permission denied, ...). */
export class RequestFailedError extends BusError {
  constructor(subject: string, reason: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super('bus.request_failed', `request on ${subject} failed: ${reason}`, {
      ...options,
      details: { subject },
    });
  }
}

/** The responder answered with an error reply; carries the remote code and details. */
export class RemoteError extends BusError {
  constructor(code: string, message: string, retryable: boolean, details: Record<string, unknown>) {
    super(code, message, { retryable, details });
  }
}

/** The nats-server binary is not installed (or not at the configured path). */
export class NatsServerMissingError extends BusError {
  constructor(binary: string, options: { cause?: unknown } = {}) {
    super(
      'bus.nats_server_missing',
      `nats-server not found at "${binary}": install it with \`apt-get install nats-server\` ` +
        '(or configure the town with external NATS URLs)',
      { ...options, details: { binary } },
    );
  }
}

/** The nats-server child exited or did not become ready in time. */
export class NatsServerStartError extends BusError {
  constructor(message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super('bus.nats_server_start_failed', message, options);
  }
}

/** Operation on a bus connection that is closing or closed. */
export class BusClosedError extends BusError {
  constructor(operation: string) {
    super('bus.closed', `cannot ${operation}: the bus connection is closed; open a new one with connectBus`);
  }
}
