import { CodedError } from '../coded-error.js';
/** Stable codes of RigError. */
export type RigErrorCode =
  | 'rig.not_found'
  | 'rig.exists'
  | 'rig.bad_name'
  | 'rig.bad_prefix'
  | 'rig.bad_option'
  | 'rig.not_a_git_repo'
  | 'rig.no_default_branch'
  | 'rig.has_hooked_work'
  | 'rig.bad_config';

/** Errors about a rig (its files, its repository). Stable `code`, a message that says what to do. */
export class RigError extends CodedError<RigErrorCode> {}
