import { ValidationError } from './errors.js';
import { ISSUE_TYPE_ALIASES, ISSUE_TYPES, STATUSES } from './types.js';

/** Parses a priority: an integer 0-4 or `P0`-`P4`. */
export function parsePriority(value: string | number): number {
  const text = String(value).trim();
  const m = /^[Pp]?([0-4])$/.exec(text);
  if (!m)
    throw new ValidationError(`priority must be 0-4 or P0-P4, got ${text}`, { field: 'priority', value });
  return Number(m[1]);
}

/** Checks a numeric priority. */
export function checkPriority(p: unknown, id?: string): number {
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 4) {
    throw new ValidationError(
      `priority must be an integer 0-4, got ${JSON.stringify(p)}${id ? ` (${id})` : ''}`,
      {
        field: 'priority',
        value: p,
        ...(id ? { id } : {}),
      },
    );
  }
  return p;
}

/** Checks a title: non-empty after trimming, at most 500 characters. */
export function checkTitle(title: unknown, id?: string): string {
  if (typeof title !== 'string' || title.trim() === '') {
    throw new ValidationError(`title is required and may not be blank${id ? ` (${id})` : ''}`, {
      field: 'title',
      value: title,
      ...(id ? { id } : {}),
    });
  }
  if (title.length > 500) {
    throw new ValidationError(`title must be at most 500 characters, got ${title.length}`, {
      field: 'title',
      ...(id ? { id } : {}),
    });
  }
  return title;
}

/** Checks a status against the built-in ones and the custom list (config `status.custom`). */
export function checkStatus(status: unknown, custom: readonly string[], id?: string): string {
  if (
    typeof status === 'string' &&
    ((STATUSES as readonly string[]).includes(status) || custom.includes(status))
  ) {
    return status;
  }
  const allowed = [...STATUSES, ...custom].join(', ');
  throw new ValidationError(
    `unknown status ${JSON.stringify(status)}${id ? ` (${id})` : ''}: use one of ${allowed}`,
    {
      field: 'status',
      value: status,
      ...(id ? { id } : {}),
    },
  );
}

/** Resolves an issue type (aliases included) against built-ins and custom types (config `types.custom`). */
export function checkIssueType(type: string, custom: readonly string[]): string {
  const t = ISSUE_TYPE_ALIASES[type] ?? type;
  if ((ISSUE_TYPES as readonly string[]).includes(t) || custom.includes(t)) return t;
  throw new ValidationError(
    `unknown issue type "${type}": use one of ${[...ISSUE_TYPES, ...custom].join(', ')}`,
    {
      field: 'issue_type',
      value: type,
    },
  );
}

/** Checks a label: non-empty, no whitespace at the ends, no commas. */
export function checkLabel(label: string): string {
  if (label.trim() === '' || label !== label.trim() || label.includes(',')) {
    throw new ValidationError(
      `invalid label ${JSON.stringify(label)}: labels are non-empty, without commas or surrounding spaces`,
      {
        field: 'label',
        value: label,
      },
    );
  }
  return label;
}

/** Checks a dependency type: non-empty, at most 50 characters. */
export function checkDepType(type: string): string {
  if (type.trim() === '' || type.length > 50 || /\s/.test(type)) {
    throw new ValidationError(`invalid dependency type ${JSON.stringify(type)}`, {
      field: 'type',
      value: type,
    });
  }
  return type;
}

/** Checks an estimate in minutes. */
export function checkEstimate(minutes: unknown): number {
  if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < 0) {
    throw new ValidationError(
      `estimated_minutes must be a non-negative integer, got ${JSON.stringify(minutes)}`,
      {
        field: 'estimated_minutes',
        value: minutes,
      },
    );
  }
  return minutes;
}

/** Checks a metadata value: a JSON object. */
export function checkMetadata(m: unknown): Record<string, unknown> {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) {
    throw new ValidationError('metadata must be a JSON object', { field: 'metadata', value: m });
  }
  return m as Record<string, unknown>;
}

/** Checks an id prefix: lowercase letters, digits and hyphens, starting with a letter or digit. */
export function checkPrefix(prefix: string): string {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(prefix) || prefix.endsWith('-')) {
    throw new ValidationError(`invalid prefix "${prefix}": use lowercase letters, digits and inner hyphens`, {
      field: 'prefix',
      value: prefix,
    });
  }
  return prefix;
}

/** The names in a custom list config value (`status.custom` / `types.custom`: `name[:category],...`). */
export function parseCustomList(value: string | null): string[] {
  return value === null
    ? []
    : value
        .split(',')
        .map((s) => s.trim().split(':')[0] ?? '')
        .filter((s) => s !== '');
}
