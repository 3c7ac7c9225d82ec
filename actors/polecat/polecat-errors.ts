import { CodedError } from '../coded-error.js';
/** Errors of polecats and `gt done`: a stable `code`, a message that says what to do, and facts. */
export class PolecatError extends CodedError {}
