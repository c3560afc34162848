/**
 * Nearest-rank percentiles: the p-th percentile of n sorted samples is the one at rank ⌈p/100 × n⌉
 * (1-based). Always one of the samples, never an interpolation, so "p95 = 3600 s" means some
 * customer really waited an hour; with few samples p95 is simply the largest.
 */

/** undefined for no samples: a percentile of nothing is not 0. */
export function nearestRank(samples: readonly number[], percent: number): number | undefined {
  if (samples.length === 0) return undefined;
  if (!(percent > 0 && percent <= 100)) throw new RangeError(`A percentile is in (0, 100]; got ${percent}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((percent / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
