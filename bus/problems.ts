import { SUBJECT_ROOT, parseSubject } from './subjects.js';

/**
 * Event tokens that mean a person must look: an agent or actor that stopped making progress
 * (`stalled`, `stuck`, `dead`, `crashed`, `timeout`), work that did not go through (`failed`,
 * `rejected`, `conflict`, `blocked`), something handed up to a person (`escalated`), or a plain `error`.
 */
export const PROBLEM_EVENTS: ReadonlySet<string> = new Set([
  'stalled',
  'stuck',
  'dead',
  'crashed',
  'timeout',
  'failed',
  'rejected',
  'conflict',
  'blocked',
  'escalated',
  'error',
]);

/** Body `severity` values that make any message a problem. */
export const PROBLEM_SEVERITIES: ReadonlySet<string> = new Set([
  'warn',
  'warning',
  'error',
  'fatal',
  'critical',
]);

/** The parts of a message the problem predicate looks at; `envelope` is null when it is not valid. */
export interface ProblemCandidate {
  subject: string;
  envelope: { type: string; body: unknown } | null;
}

/** True when `token` is a problem event token, alone or as a `_` suffix (`merge_failed`, `mr_conflict`). */
export function isProblemToken(token: string): boolean {
  if (PROBLEM_EVENTS.has(token)) return true;
  const i = token.lastIndexOf('_');
  return i > 0 && PROBLEM_EVENTS.has(token.slice(i + 1));
}

/**
 * Why a message is a problem (`gt feed --problems`), or null when it is not. In order:
 *
 * 1. it is not a valid envelope but was sent on a town subject (`gt.…`): a broken sender
 *    (`"invalid message"`); raw traffic outside `gt.` (request replies on `_INBOX.`) is not a problem;
 * 2. its event token is a problem token (see `PROBLEM_EVENTS`, also as a `_` suffix): the last token
 *    of an event subject `gt.<town>.evt.<entity>.<event>`, or the last token of the envelope type
 *    (`polecat.stalled`, `mr.merge_failed`) (`event "stalled"`);
 * 3. its body has `severity` `warn`, `warning`, `error`, `fatal` or `critical` (`severity "warn"`).
 */
export function problemReason(candidate: ProblemCandidate): string | null {
  const { subject, envelope } = candidate;
  if (envelope === null) {
    return subject === SUBJECT_ROOT || subject.startsWith(`${SUBJECT_ROOT}.`) ? 'invalid message' : null;
  }
  const parsed = parseSubject(subject);
  if (parsed?.kind === 'evt' && isProblemToken(parsed.event)) return `event "${parsed.event}"`;
  const typeEvent = envelope.type.slice(envelope.type.lastIndexOf('.') + 1);
  if (isProblemToken(typeEvent)) return `event "${typeEvent}"`;
  const body = envelope.body;
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const severity = (body as { severity?: unknown }).severity;
    if (typeof severity === 'string' && PROBLEM_SEVERITIES.has(severity.toLowerCase()))
      return `severity "${severity}"`;
  }
  return null;
}

/** True when a person must look at this message; see `problemReason` for the rules. */
export function isProblem(candidate: ProblemCandidate): boolean {
  return problemReason(candidate) !== null;
}
