import { InvalidSubjectError } from './errors.js';

/** Every subject starts with this root token: `gt.<town>.…`. */
export const SUBJECT_ROOT = 'gt';

const TOWN_RE = /^[a-z0-9-]+$/;
const BAD_TOKEN_RE = /[.*>\s]/;

/** Kinds of subjects under a town root. */
export type SubjectKind = 'cmd' | 'evt' | 'mail' | 'nudge' | 'hb';

/** A parsed subject. */
export type ParsedSubject =
  | { kind: 'cmd'; town: string; verb: string }
  | { kind: 'evt'; town: string; entity: string; event: string }
  | { kind: 'mail'; town: string; tokens: string[] }
  | { kind: 'nudge'; town: string; agent: string }
  | { kind: 'hb'; town: string; actor: string };

/** Throws InvalidSubjectError unless `town` matches `[a-z0-9-]+`. */
export function assertTown(town: string): void {
  if (!TOWN_RE.test(town)) {
    throw new InvalidSubjectError(`invalid town name "${town}": use lowercase letters, digits and "-" only`, {
      town,
    });
  }
}

/** Throws InvalidSubjectError if `token` is empty or contains `.`, `*`, `>` or whitespace. */
export function assertToken(token: string, what = 'token'): void {
  if (token.length === 0) {
    throw new InvalidSubjectError(`invalid subject ${what}: it is empty`, { token });
  }
  if (BAD_TOKEN_RE.test(token)) {
    throw new InvalidSubjectError(
      `invalid subject ${what} "${token}": it may not contain ".", "*", ">" or whitespace`,
      { token },
    );
  }
}

/** Splits a dotted name (`bead.create`) and validates every token. */
function dottedTokens(name: string, what: string): string[] {
  const tokens = name.split('.');
  for (const t of tokens) assertToken(t, what);
  return tokens;
}

/** `gt.<town>.cmd.<verb>`; `verb` may be dotted (`bead.create`). */
export function cmd(town: string, verb: string): string {
  assertTown(town);
  dottedTokens(verb, 'verb');
  return `${SUBJECT_ROOT}.${town}.cmd.${verb}`;
}

/** `gt.<town>.evt.<entity>.<event>`; `entity` and `event` are single tokens. */
export function evt(town: string, entity: string, event: string): string {
  assertTown(town);
  assertToken(entity, 'entity');
  assertToken(event, 'event');
  return `${SUBJECT_ROOT}.${town}.evt.${entity}.${event}`;
}

/** `gt.<town>.mail.<tokens>`: tokens come from `addressToSubjectTokens`. */
export function mail(town: string, tokens: readonly string[]): string {
  assertTown(town);
  if (tokens.length === 0) throw new InvalidSubjectError('invalid mail subject: the address has no path');
  for (const t of tokens) assertToken(t, 'address token');
  return `${SUBJECT_ROOT}.${town}.mail.${tokens.join('.')}`;
}

/** `gt.<town>.nudge.<agent>`. */
export function nudge(town: string, agent: string): string {
  assertTown(town);
  assertToken(agent, 'agent');
  return `${SUBJECT_ROOT}.${town}.nudge.${agent}`;
}

/** `gt.<town>.hb.<actor>`. */
export function hb(town: string, actor: string): string {
  assertTown(town);
  assertToken(actor, 'actor');
  return `${SUBJECT_ROOT}.${town}.hb.${actor}`;
}

/** Parses a concrete subject (no wildcards); null when it is not a well-formed town subject. */
export function parseSubject(subject: string): ParsedSubject | null {
  const parts = subject.split('.');
  const [root, town, kind, ...rest] = parts;
  if (root !== SUBJECT_ROOT || town === undefined || kind === undefined) return null;
  if (!TOWN_RE.test(town)) return null;
  if (rest.length === 0 || rest.some((t) => t.length === 0 || BAD_TOKEN_RE.test(t))) return null;
  switch (kind) {
    case 'cmd':
      return { kind: 'cmd', town, verb: rest.join('.') };
    case 'evt': {
      const [entity, event] = rest;
      if (rest.length !== 2 || entity === undefined || event === undefined) return null;
      return { kind: 'evt', town, entity, event };
    }
    case 'mail':
      return { kind: 'mail', town, tokens: rest };
    case 'nudge':
    case 'hb': {
      const [name] = rest;
      if (rest.length !== 1 || name === undefined) return null;
      return kind === 'nudge' ? { kind, town, agent: name } : { kind, town, actor: name };
    }
    default:
      return null;
  }
}

/** Observer patterns. `town` defaults to every town (`*`). */
export const patterns = {
  /** Everything under a town (or every town): `gt.<town>.>`. */
  all: (town?: string): string => `${SUBJECT_ROOT}.${wild(town)}.>`,
  /** Every command: `gt.<town>.cmd.>`. */
  commands: (town?: string): string => `${SUBJECT_ROOT}.${wild(town)}.cmd.>`,
  /** Every event: `gt.<town>.evt.>` (`gt.*.evt.>` for all towns). */
  events: (town?: string): string => `${SUBJECT_ROOT}.${wild(town)}.evt.>`,
  /** Every mail delivery: `gt.<town>.mail.>`. */
  mail: (town?: string): string => `${SUBJECT_ROOT}.${wild(town)}.mail.>`,
  /** Every nudge: `gt.<town>.nudge.*`. */
  nudges: (town?: string): string => `${SUBJECT_ROOT}.${wild(town)}.nudge.*`,
  /** Every heartbeat: `gt.<town>.hb.*`. */
  heartbeats: (town?: string): string => `${SUBJECT_ROOT}.${wild(town)}.hb.*`,
} as const;

function wild(town: string | undefined): string {
  if (town === undefined) return '*';
  assertTown(town);
  return town;
}
