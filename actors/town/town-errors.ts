import { CodedError } from '../coded-error.js';
/** Errors about a town (its files, its daemon). Stable `code`, a message that says what to do. */
export class TownError extends CodedError {}
