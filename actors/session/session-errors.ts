import { CodedError } from '../coded-error.js';
/** Stable codes of SessionError. */
export type SessionErrorCode =
  'session.bad_agent' | 'crew.bad_name' | 'crew.exists' | 'crew.not_found' | 'crew.clone_failed';

/** Errors about long-lived sessions and crew workspaces. Stable `code`, a message that says what to do. */
export class SessionError extends CodedError<SessionErrorCode> {}
