import { describe, expect, it } from 'vitest';
import { formatTimestamp } from '../../beads/time.js';

describe('formatTimestamp', () => {
  it('writes RFC 3339 UTC at second precision, right across second boundaries', () => {
    const base = Date.UTC(2026, 11, 3, 10, 59, 59);
    for (const [ms, text] of [
      [base, '2026-12-03T10:59:59Z'],
      [base + 999, '2026-12-03T10:59:59Z'],
      [base + 1000, '2026-12-03T11:00:00Z'],
      [base + 999, '2026-12-03T10:59:59Z'],
      [-1, '1969-12-31T23:59:59Z'],
      [0, '1970-01-01T00:00:00Z'],
      [base + 1500, '2026-12-03T11:00:00Z'],
    ] as const)
      expect(formatTimestamp(new Date(ms))).toBe(text);
  });

  it('refuses an invalid date', () => {
    expect(() => formatTimestamp(new Date(Number.NaN))).toThrow(RangeError);
  });
});
