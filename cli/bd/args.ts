import { ValidationError } from '../../beads/errors.js';
import { checkStatus, parsePriority } from '../../beads/validate.js';
import type { BeadStore } from '../../beads/store.types.js';
import { ISSUE_TYPE_ALIASES, READY_SORTS } from '../../beads/types.js';
import type { DepType, ReadySort, Status } from '../../beads/types.js';

/** Splits a comma list, trimming and dropping empty items. */
export function commaList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Commander collector for repeatable, comma-separated options (`-l a -l b,c`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...commaList(value)];
}

/** A priority `0`-`4` or `P0`-`P4`. */
export function priorityArg(value: string): number {
  return parsePriority(value);
}

/** Several priorities, comma-separated. */
export function priorities(values: readonly string[]): number[] {
  return values.map(priorityArg);
}

/** Checks each status against the built-in ones and config `status.custom`; the error lists the valid ones. */
export function statusesArg(values: readonly string[], store: BeadStore): Status[] {
  const customText = store.getConfig('status.custom');
  const custom = customText === null ? [] : commaList(customText);
  return values.map((v) => checkStatus(v, custom));
}

/** An issue type, with Beads' aliases (`feat` -> `feature`, ...) resolved. */
export function issueTypeArg(value: string): string {
  const t = value.trim().toLowerCase();
  if (t === '') throw new ValidationError('issue type must not be empty');
  return ISSUE_TYPE_ALIASES[t] ?? t;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME_RE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An ISO 8601 date (`2026-03-10`, midnight UTC) or date-time (`2026-03-10T12:00:00Z`, or with an offset;
 * no zone means UTC). Returned as RFC 3339 UTC with second precision. Relative dates are not accepted.
 */
export function dateArg(value: string, flag: string): string {
  const v = value.trim();
  let ms: number;
  if (DATE_RE.test(v)) ms = Date.parse(`${v}T00:00:00Z`);
  else if (DATETIME_RE.test(v)) {
    const withT = v.replace(' ', 'T');
    ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(withT) ? withT : `${withT}Z`);
  } else ms = Number.NaN;
  if (Number.isNaN(ms)) {
    throw new ValidationError(
      `${flag} must be an ISO 8601 date (2026-03-10) or date-time (2026-03-10T12:00:00Z), got "${value}"`,
      { value },
    );
  }
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** A non-negative integer (`-e` minutes, `--days`, ...). */
export function nonNegativeInt(value: string, flag: string): number {
  if (!/^\d+$/.test(value.trim())) {
    throw new ValidationError(`${flag} must be a whole number >= 0, got "${value}"`, { value });
  }
  return Number.parseInt(value, 10);
}

/** A positive integer (limits, depths). */
export function positiveInt(value: string, flag: string): number {
  const n = nonNegativeInt(value, flag);
  if (n === 0) throw new ValidationError(`${flag} must be a whole number >= 1, got "${value}"`, { value });
  return n;
}

/** A dependency type: non-empty, at most 50 characters. */
export function depTypeArg(value: string): DepType {
  const t = value.trim();
  if (t === '' || t.length > 50) {
    throw new ValidationError(`dependency type must be 1-50 characters, got "${value}"`, { type: value });
  }
  return t;
}

/** `--deps type:id,type:id` or bare ids (meaning `blocks`). */
export function depsArg(values: readonly string[]): Array<{ type: DepType; id: string }> {
  return values.map((item) => {
    const i = item.indexOf(':');
    if (i === -1) return { type: 'blocks', id: item };
    const type = item.slice(0, i).trim();
    const id = item.slice(i + 1).trim();
    if (type === '' || id === '' || id.includes(':') || type.length > 50) {
      throw new ValidationError(
        `bad --deps entry "${item}": use type:id (e.g. blocks:bd-a1b2) or a bare id, separated by commas`,
        { value: item },
      );
    }
    return { type, id };
  });
}

/** A `ready` sort order. */
export function readySortArg(value: string): ReadySort {
  if (!(READY_SORTS as readonly string[]).includes(value)) {
    throw new ValidationError(`unknown sort "${value}": use one of ${READY_SORTS.join(', ')}`, {
      sort: value,
    });
  }
  return value as ReadySort;
}

const LIST_SORTS = ['priority', 'created', 'updated', 'id'] as const;

/** A `list` sort order. */
export function listSortArg(value: string): (typeof LIST_SORTS)[number] {
  if (!(LIST_SORTS as readonly string[]).includes(value)) {
    throw new ValidationError(`unknown sort "${value}": use one of ${LIST_SORTS.join(', ')}`, {
      sort: value,
    });
  }
  return value as (typeof LIST_SORTS)[number];
}

/** `down` or `up`. */
export function directionArg(value: string): 'down' | 'up' {
  if (value !== 'down' && value !== 'up') {
    throw new ValidationError(`direction must be down or up, got "${value}"`, { direction: value });
  }
  return value;
}
