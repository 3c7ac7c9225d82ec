import { BeadsError } from '../../beads/errors.js';
import type { Bead, Comment, Dependency } from '../../beads/types.js';

/** Beads' JSON schema version, injected into single-object results and errors. */
export const SCHEMA_VERSION = 1;

/** A usage error (bad arguments): exit 2. `code` is `usage.<what>`. */
export class UsageError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'UsageError';
    this.code = code.startsWith('usage.') ? code : `usage.${code}`;
  }
}

/** Writes exactly one JSON document on stdout. Objects get `schema_version` first; arrays are raw. */
export function printJson(value: unknown): void {
  const doc =
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? { schema_version: SCHEMA_VERSION, ...(value as Record<string, unknown>) }
      : value;
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}

/** Writes lines of human output on stdout. */
export function printLines(lines: readonly string[]): void {
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
}

/** One line per bead: `bd-a1b2 [P1] [bug] open  Fix login  @alice`. */
export function beadLine(b: Bead): string {
  const who = b.assignee !== undefined && b.assignee !== '' ? `  @${b.assignee}` : '';
  const labels = b.labels !== undefined && b.labels.length > 0 ? `  #${b.labels.join(' #')}` : '';
  return `${b.id} [P${b.priority}] [${b.issue_type}] ${b.status}  ${b.title}${who}${labels}`;
}

/** Bead lines, or a note when there are none. */
export function beadList(beads: readonly Bead[], empty = 'No beads found.'): string[] {
  return beads.length === 0 ? [empty] : beads.map(beadLine);
}

function depLine(d: Dependency, direction: 'down' | 'up'): string {
  return direction === 'down' ? `  -> ${d.depends_on_id} (${d.type})` : `  <- ${d.issue_id} (${d.type})`;
}

/** A comment as `[time] author: text`. */
export function commentLine(c: Comment): string {
  return `[${c.created_at}] ${c.author}: ${c.text}`;
}

const SHOWN_FIELDS: ReadonlyArray<[keyof Bead, string]> = [
  ['owner', 'Owner'],
  ['created_at', 'Created'],
  ['created_by', 'Created by'],
  ['updated_at', 'Updated'],
  ['started_at', 'Started'],
  ['closed_at', 'Closed'],
  ['close_reason', 'Close reason'],
  ['due_at', 'Due'],
  ['defer_until', 'Deferred until'],
  ['estimated_minutes', 'Estimate (min)'],
  ['external_ref', 'External ref'],
  ['sender', 'From'],
  ['compaction_level', 'Compaction level'],
];

const TEXT_FIELDS: ReadonlyArray<[keyof Bead, string]> = [
  ['description', 'Description'],
  ['design', 'Design'],
  ['acceptance_criteria', 'Acceptance criteria'],
  ['notes', 'Notes'],
];

/** The full human view of one bead: fields, labels, dependencies both ways, comments. */
export function beadDetail(b: Bead, dependents: readonly Dependency[]): string[] {
  const lines = [
    `${b.id}: ${b.title}`,
    `Status: ${b.status}  Priority: P${b.priority}  Type: ${b.issue_type}`,
  ];
  if (b.assignee !== undefined) lines.push(`Assignee: ${b.assignee}`);
  for (const [key, label] of SHOWN_FIELDS) {
    const v = b[key];
    if (v !== undefined && v !== '')
      lines.push(`${label}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  }
  if (b.ephemeral === true) lines.push('Ephemeral: yes');
  if (b.labels !== undefined && b.labels.length > 0) lines.push(`Labels: ${b.labels.join(', ')}`);
  for (const [key, label] of TEXT_FIELDS) {
    const v = b[key];
    if (typeof v === 'string' && v !== '') lines.push('', `${label}:`, ...v.split('\n').map((l) => `  ${l}`));
  }
  const deps = b.dependencies ?? [];
  if (deps.length > 0) lines.push('', 'Depends on:', ...deps.map((d) => depLine(d, 'down')));
  if (dependents.length > 0) lines.push('', 'Dependents:', ...dependents.map((d) => depLine(d, 'up')));
  const comments = b.comments ?? [];
  if (comments.length > 0)
    lines.push('', `Comments (${comments.length}):`, ...comments.map((c) => `  ${commentLine(c)}`));
  return lines;
}

/** Any of our error classes: an Error with a stable string `code` (BeadsError, BusError, TownError...). */
function hasCode(err: unknown): err is Error & { code: string } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string';
}

/** Exit code and the stderr text for an error; the JSON shape when `json`. */
export function renderError(err: unknown, json: boolean): { exitCode: number; text: string } {
  let code: string;
  let message: string;
  let exitCode = 1;
  let extra = '';
  if (err instanceof UsageError) {
    code = err.code;
    message = err.message;
    exitCode = 2;
  } else if (err instanceof BeadsError || hasCode(err)) {
    code = err.code;
    message = err.message;
  } else {
    code = 'internal';
    message = err instanceof Error ? err.message : String(err);
    if (process.env['BD_DEBUG'] === '1' && err instanceof Error && err.stack !== undefined)
      extra = `\n${err.stack}`;
  }
  if (json) {
    return {
      exitCode,
      text: `${JSON.stringify({ schema_version: SCHEMA_VERSION, error: message, code })}${extra}\n`,
    };
  }
  return { exitCode, text: `Error: ${message}${extra}\n` };
}
