import { describe, expect, it } from 'vitest';
import { backoffMs, DEFAULT_BACKOFF } from '../../../actors/session/restart-backoff.js';

describe('restart backoff', () => {
  it('waits 1 s, doubling per restart, up to 60 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map((n) => backoffMs(n))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
    expect(DEFAULT_BACKOFF.stableMs).toBe(300_000);
    expect(backoffMs(3, { baseMs: 100, maxMs: 500, stableMs: 1 })).toBe(500);
  });
});
