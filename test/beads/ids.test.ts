import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { adaptiveLength, childDepth, generateHashId, hashIdPart } from '../../beads/ids.js';

describe('hash ids as Beads makes them', () => {
  it('takes the first bytes of SHA-256 of title|description|creator|nanos|nonce, in base36', () => {
    const digest = createHash('sha256').update('Fix login|broken|alice|1700000000000000000|0').digest();
    const n = (digest[0]! << 16) | (digest[1]! << 8) | digest[2]!; // 3 bytes for length 4
    const expected = n.toString(36).padStart(4, '0').slice(-4);
    expect(hashIdPart('Fix login', 'broken', 'alice', 1_700_000_000_000_000_000n, 0, 4)).toBe(expected);
    expect(hashIdPart('Fix login', 'broken', 'alice', 1_700_000_000_000_000_000n, 1, 4)).not.toBe(expected);
  });

  it('reads up to five digest bytes exactly (lengths 7 and 8)', () => {
    for (const [length, bytes] of [
      [6, 4],
      [7, 5],
      [8, 5],
    ] as const) {
      for (let nonce = 0; nonce < 50; nonce++) {
        const digest = createHash('sha256').update(`t|d|c|42|${nonce}`).digest();
        let n = 0n;
        for (let i = 0; i < bytes; i++) n = (n << 8n) | BigInt(digest[i]!);
        const expected = n.toString(36).padStart(length, '0').slice(-length);
        expect(hashIdPart('t', 'd', 'c', 42n, nonce, length)).toBe(expected);
      }
    }
  });

  it('grows the length with the number of top-level beads (25 % birthday bound)', () => {
    const boundary = (len: number) => {
      let n = 0;
      while (adaptiveLength(n + 1) <= len) n++;
      return n;
    };
    expect(adaptiveLength(0)).toBe(3);
    expect(boundary(3)).toBe(163);
    expect(boundary(4)).toBe(983);
    expect(boundary(5)).toBe(5898);
    expect(boundary(6)).toBe(35389);
    expect(adaptiveLength(10_000_000)).toBe(8);
  });

  it('retries nonces, then longer ids, when a candidate is taken', () => {
    const taken = new Set<string>();
    const seed = { title: 't', description: '', creator: 'c', createdAtNanos: 1n };
    for (let i = 0; i < 12; i++) {
      const id = generateHashId('bd', seed, 0, (x) => taken.has(x));
      expect(id).not.toBeNull();
      expect(taken.has(id as string)).toBe(false);
      taken.add(id as string);
    }
    expect([...taken].filter((id) => id.length === 'bd-'.length + 4)).toHaveLength(2);
  });

  it('counts only all-digit segments as hierarchy', () => {
    expect(childDepth('bd-a3f8')).toBe(0);
    expect(childDepth('bd-a3f8.1.2')).toBe(2);
    expect(childDepth('my.project-abc')).toBe(0);
  });
});
