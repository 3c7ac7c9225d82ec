/**
 * Errors about agent presets and their configuration (`agent.unknown`, `agent.builtin`,
 * `agent.is_default`, `agent.bad_name`, `agent.context_tracked`, ...). Stable `code`, a message that
 * says what to do.
 */
export class AgentError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentError';
    this.code = code;
    this.details = options.details ?? {};
  }
}
