import { hash } from 'node:crypto';

/** Bytes of SHA-256 taken for each id length (Beads' idgen: 3->2, 4->3, 5->4, 6->4, 7->5, 8->5). */
const BYTES_FOR_LENGTH: Readonly<Record<number, number>> = { 3: 2, 4: 3, 5: 4, 6: 4, 7: 5, 8: 5 };

export const MIN_HASH_LENGTH = 3;
export const MAX_HASH_LENGTH = 8;
/** Maximum child depth of hierarchical ids (`bd-a.1.2.3`). */
export const MAX_CHILD_DEPTH = 3;

/** The hash part of a Beads id: SHA-256 of `title|description|creator|nanos|nonce`, base36, length chars. */
export function hashIdPart(
  title: string,
  description: string,
  creator: string,
  createdAtNanos: bigint,
  nonce: number,
  length: number,
): string {
  const bytes = BYTES_FOR_LENGTH[length];
  if (bytes === undefined) throw new RangeError(`id hash length must be 3..8, got ${length}`);
  // Hex output costs less than a Buffer. At most 5 bytes: 40 bits, exact in a double.
  const digest = hash('sha256', `${title}|${description}|${creator}|${createdAtNanos}|${nonce}`, 'hex');
  const n = Number.parseInt(digest.slice(0, 2 * bytes), 16);
  return n.toString(36).padStart(length, '0').slice(-length);
}

/** Smallest length in [min, max] whose birthday collision probability for n ids is at most maxProb. */
export function adaptiveLength(
  n: number,
  min = MIN_HASH_LENGTH,
  max = MAX_HASH_LENGTH,
  maxProb = 0.25,
): number {
  for (let len = min; len <= max; len++) {
    const space = 36 ** len;
    if (1 - Math.exp(-(n * n) / (2 * space)) <= maxProb) return len;
  }
  return max;
}

/**
 * Generates a hash id not taken yet: lengths from the adaptive one up to 8, nonces 0..9 each.
 * Returns null when every candidate is taken.
 */
export function generateHashId(
  prefix: string,
  seed: { title: string; description: string; creator: string; createdAtNanos: bigint },
  topLevelCount: number,
  isTaken: (id: string) => boolean,
): string | null {
  for (let len = adaptiveLength(topLevelCount); len <= MAX_HASH_LENGTH; len++) {
    for (let nonce = 0; nonce < 10; nonce++) {
      const id = `${prefix}-${hashIdPart(seed.title, seed.description, seed.creator, seed.createdAtNanos, nonce, len)}`;
      if (!isTaken(id)) return id;
    }
  }
  return null;
}

/** The number of hierarchical child segments of an id (`bd-a.1.2` has 2; `my.project-abc` has 0). */
export function childDepth(id: string): number {
  let depth = 0;
  const parts = id.split('.');
  for (let i = parts.length - 1; i > 0; i--) {
    if (!/^\d+$/.test(parts[i] ?? '')) break;
    depth++;
  }
  return depth;
}

/** The numeric last segment of a direct child id of parent, or null. */
export function childNumber(parent: string, id: string): number | null {
  if (!id.startsWith(`${parent}.`)) return null;
  const rest = id.slice(parent.length + 1);
  return /^\d+$/.test(rest) ? Number(rest) : null;
}
