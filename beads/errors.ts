/**
 * Errors of the Beads store. Each has a stable `code` (what scripts branch on, printed by `bd --json`),
 * a message that says what to do, and the underlying `cause` when there is one.
 */
export class BeadsError extends Error {
  /** Stable, namespaced code, e.g. `bead.not_found`. */
  readonly code: string;
  /** Structured facts about the failure, for JSON output. */
  readonly details: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details ?? {};
  }
}

/** A field value or argument is not acceptable. Nothing was changed. */
export class ValidationError extends BeadsError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('bead.invalid', message, { details });
  }
}

/** No bead has this id (or no unique bead matches this partial id). */
export class NotFoundError extends BeadsError {
  readonly id: string;
  constructor(id: string) {
    super('bead.not_found', `no bead with id "${id}": check the id with \`bd list\` or \`bd search\``, {
      details: { id },
    });
    this.id = id;
  }
}

/** A partial id matches several beads. */
export class AmbiguousIdError extends BeadsError {
  constructor(partial: string, candidates: string[]) {
    super(
      'bead.ambiguous_id',
      `"${partial}" matches ${candidates.length} beads (${candidates.slice(0, 5).join(', ')}${candidates.length > 5 ? ', ...' : ''}): give more of the id`,
      { details: { id: partial, candidates } },
    );
  }
}

/** Adding this blocking edge would close a cycle. */
export class CycleError extends BeadsError {
  constructor(from: string, to: string, path: string[]) {
    super(
      'dep.cycle',
      `adding ${from} -> ${to} would create a blocking cycle (${path.join(' -> ')}): remove one of those edges first`,
      { details: { from, to, path } },
    );
  }
}

/** The bead is claimed by another actor. */
export class AlreadyClaimedError extends BeadsError {
  constructor(id: string, assignee: string) {
    super('bead.already_claimed', `${id} is already claimed by ${assignee}`, { details: { id, assignee } });
  }
}

/** The bead is in a status that cannot be claimed (only open beads can). */
export class NotClaimableError extends BeadsError {
  constructor(id: string, status: string) {
    super('bead.not_claimable', `${id} cannot be claimed: its status is ${status} (only open beads can be)`, {
      details: { id, status },
    });
  }
}

/** A state change is refused by a guard (close with open blockers, reopen of an open bead, ...). */
export class GuardError extends BeadsError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, { details });
  }
}

/** An import line (or file) was refused. The import changed nothing. */
export class ImportError extends BeadsError {
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, reason: string, cause?: unknown) {
    super('import.bad_line', `${file}:${line}: ${reason}`, { cause, details: { file, line, reason } });
    this.file = file;
    this.line = line;
  }
}

/** The store directory is missing or not initialised. */
export class NoStoreError extends BeadsError {
  constructor(dir: string) {
    super('store.not_found', `no beads store found from ${dir}: run \`bd init\` first (or pass --db)`, {
      details: { dir },
    });
  }
}
