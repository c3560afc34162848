/** Nearest-rank percentiles (shared/report/percentile): the report's p50 and p95 are always one of the samples. */
import { describe, expect, it } from 'vitest';
import { nearestRank } from '../../shared/report/percentile.ts';

describe('nearest-rank percentiles', () => {
  it('answers one of the samples, at rank ⌈p/100 × n⌉', () => {
    const samples = [50, 15, 40, 20, 35];
    expect(nearestRank(samples, 30)).toBe(20);
    expect(nearestRank(samples, 40)).toBe(20);
    expect(nearestRank(samples, 50)).toBe(35);
    expect(nearestRank(samples, 100)).toBe(50);
    const oneToTen = Array.from({ length: 10 }, (_, index) => index + 1);
    expect(nearestRank(oneToTen, 50)).toBe(5);
    expect(nearestRank(oneToTen, 95)).toBe(10);
    expect(nearestRank([7], 95)).toBe(7);
  });

  it('has no percentile of nothing', () => {
    expect(nearestRank([], 50)).toBeUndefined();
  });
});
