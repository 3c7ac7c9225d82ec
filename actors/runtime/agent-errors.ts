import { CodedError } from '../coded-error.js';
/**
 * Errors about agent presets and their configuration (`agent.unknown`, `agent.builtin`,
 * `agent.is_default`, `agent.bad_name`, `agent.context_tracked`, ...). Stable `code`, a message that
 * says what to do.
 */
export class AgentError extends CodedError {}
