import { InvalidSubjectError } from './errors.js';
import { assertToken, assertTown } from './subjects.js';

/** An actor's address: a town and a path inside it (`alpha/web/polecats/nux`). */
export interface Address {
  town: string;
  path: string[];
}

const SINGLE_ROOTS = new Set(['mayor', 'deacon', 'boot', 'overseer']);
const RIG_LEAVES = new Set(['witness', 'refinery']);
const RIG_GROUPS = new Set(['polecats', 'crew']);
const NAME_RE = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * True when `path` is a known role path: mayor, deacon, boot, overseer, dogs/<name>,
 * <rig>/witness, <rig>/refinery, <rig>/polecats/<name>, <rig>/crew/<name>.
 */
export function isKnownPath(path: readonly string[]): boolean {
  const [a, b, c] = path;
  if (a === undefined || !path.every((t) => NAME_RE.test(t))) return false;
  if (path.length === 1) return SINGLE_ROOTS.has(a);
  if (path.length === 2) return a === 'dogs' ? b !== undefined : !isReserved(a) && RIG_LEAVES.has(b ?? '');
  if (path.length === 3) return !isReserved(a) && RIG_GROUPS.has(b ?? '') && c !== undefined;
  return false;
}

function isReserved(rig: string): boolean {
  return SINGLE_ROOTS.has(rig) || rig === 'dogs';
}

/**
 * Parses `alpha/mayor`, `alpha/web/polecats/nux`, or a bare local path (`web/witness`, `mayor`),
 * which resolves to `localTown`. The first segment is a town when the rest is a known role path and
 * the whole is not itself one. Throws InvalidSubjectError (code `bus.invalid_subject`) otherwise.
 */
export function parseAddress(text: string, localTown: string): Address {
  assertTown(localTown);
  const segments = text.trim().split('/');
  if (segments.some((s) => s.length === 0)) {
    throw new InvalidSubjectError(`invalid address "${text}": empty segment; write e.g. alpha/web/witness`, {
      address: text,
    });
  }
  for (const s of segments) assertToken(s, 'address segment');
  const [first, ...rest] = segments;
  if (first !== undefined && rest.length > 0 && !isKnownPath(segments) && isKnownPath(rest)) {
    assertTown(first);
    return { town: first, path: rest };
  }
  if (isKnownPath(segments)) return { town: localTown, path: segments };
  throw new InvalidSubjectError(
    `unknown address "${text}": use [town/]mayor, deacon, boot, overseer, dogs/<name>, <rig>/witness, ` +
      '<rig>/refinery, <rig>/polecats/<name> or <rig>/crew/<name>',
    { address: text },
  );
}

/** `town/path…`, always fully qualified. */
export function formatAddress(address: Address): string {
  return [address.town, ...address.path].join('/');
}

/** Tokens after `gt.<town>.mail.` for this address (its path segments). */
export function addressToSubjectTokens(address: Address): string[] {
  for (const s of address.path) assertToken(s, 'address segment');
  return [...address.path];
}

/** The address behind a mail subject's tokens, or null when they are not a known path. */
export function subjectTokensToAddress(town: string, tokens: readonly string[]): Address | null {
  return isKnownPath(tokens) ? { town, path: [...tokens] } : null;
}
