import { CodedError } from '../coded-error.js';
/** The stable codes of RuntimeError. */
export type RuntimeErrorCode =
  | 'runtime.start_failed'
  | 'runtime.already_running'
  | 'runtime.invalid_spec'
  | 'runtime.wrong_kind'
  | 'runtime.tmux_missing'
  | 'runtime.tmux_failed'
  | 'runtime.not_running'
  | 'runtime.stop_failed'
  | 'runtime.not_ready';

/** Errors of the agent runtimes. Stable `code`, a message that says what to do. */
export class RuntimeError extends CodedError<RuntimeErrorCode> {}
