/**
 * Stable random splits. The state machine hashes "customer/journey/step"
 * with States.Hash (SHA-256, lowercase hex) and compares the hash as a
 * string with thresholds; this module computes the same thresholds and the
 * same assignment in code, for simulation and tests.
 */
import { createHash } from 'node:crypto';

/** Hex digits of the hash compared: 2^32 buckets, far finer than whole percents. */
const THRESHOLD_DIGITS = 8;
const BUCKETS = 2 ** 32;

export function splitKey(customerId: string, journeyId: string, stepId: string): string {
  return `${customerId}/${journeyId}/${stepId}`;
}

export function splitHash(customerId: string, journeyId: string, stepId: string): string {
  return createHash('sha256')
    .update(splitKey(customerId, journeyId, stepId), 'utf8')
    .digest('hex');
}

/** One threshold per path but the last: a hash below threshold i (and not below i-1) takes path i. */
export function splitThresholds(weights: readonly number[]): string[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const thresholds: string[] = [];
  let cumulative = 0;
  for (const weight of weights.slice(0, -1)) {
    cumulative += weight;
    const bucket = Math.min(BUCKETS - 1, Math.floor((cumulative / total) * BUCKETS));
    thresholds.push(bucket.toString(16).padStart(THRESHOLD_DIGITS, '0'));
  }
  return thresholds;
}

/** The index of the path a customer takes, exactly as the compiled Choice decides. */
export function splitPathIndex(hash: string, weights: readonly number[]): number {
  const thresholds = splitThresholds(weights);
  const index = thresholds.findIndex((threshold) => hash < threshold);
  return index === -1 ? weights.length - 1 : index;
}
