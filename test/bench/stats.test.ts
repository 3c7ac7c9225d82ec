import { describe, it, expect } from 'vitest';
import { formatMs, formatRate, formatTable, percentile, sample } from '../../bench/stats.js';

describe('bench stats', () => {
  it('computes nearest-rank percentiles without reordering the input', () => {
    const samples = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
    expect(percentile(samples, 50)).toBe(5);
    expect(percentile(samples, 99)).toBe(10);
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile([42], 99)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
    expect(samples[0]).toBe(5);
  });

  it('samples one duration per run', () => {
    const seen: number[] = [];
    const durations = sample(4, (i) => seen.push(i));
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(durations).toHaveLength(4);
    expect(durations.every((d) => d >= 0)).toBe(true);
  });

  it('formats figures and aligns table columns', () => {
    expect(formatMs(2.414)).toBe('2.41 ms');
    expect(formatMs(1234)).toBe('1.23 s');
    expect(formatRate(12345.6)).toBe('12,346/s');
    const table = formatTable(
      ['a', 'bb'],
      [
        ['xxx', 'y'],
        ['z', 'wwww'],
      ],
    ).split('\n');
    expect(table).toEqual(['a    bb', '---  ----', 'xxx  y', 'z    wwww']);
  });
});
