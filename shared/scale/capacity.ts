/**
 * How many entries a second the account's quotas let a journey take in, sustained: each quota's
 * value over the journey's demand on it per entry. A rate quota's demand is what one entry uses of it
 * (StartExecution calls, transitions, write units...); a level quota's is what one entry holds of it
 * times how long (Little's law: open executions = entries/s x lifetime). The smallest bound binds.
 *
 * Every journey of the account shares the same quotas: accountCapacity takes them together.
 */
import { type QuotaId, type QuotaOverrides, QUOTA_IDS, quotaValue, US_EAST_1_QUOTAS } from './quotas.ts';
import type { EntryUsage, Target } from './usage.ts';

/** What one entry demands of a quota, on its target. */
export function quotaDemand(usage: EntryUsage, id: QuotaId): number {
  const standard = usage.target === 'standard';
  switch (id) {
    case 'sfn-standard-starts':
      return usage.standardStarts;
    case 'sfn-open-executions':
      // An execution is open for the whole of the entry's life.
      return standard ? usage.lifetimeSeconds : 0;
    case 'sfn-transitions':
      return usage.transitions;
    case 'sfn-express-starts':
      return usage.expressStarts;
    case 'scheduler-invocations':
      return usage.schedulerInvocations;
    case 'scheduler-creates':
      return usage.schedulesCreated;
    case 'scheduler-schedules':
      // A parked run holds one schedule (deleted once it has fired): for about its whole life.
      return standard ? 0 : usage.lifetimeSeconds;
    case 'eventbridge-put-events':
      // One PutEvents call per event: producers may batch up to 10, which only helps.
      return usage.customEvents;
    case 'eventbridge-invocations':
      return usage.ruleInvocations;
    case 'lambda-concurrency':
      return usage.lambdaSeconds;
    case 'dynamodb-table-writes':
      return usage.dynamodbWriteUnits;
    case 'dynamodb-table-reads':
      return usage.dynamodbReadUnits;
    case 'dynamodb-sent-index-writes':
      return usage.dynamodbIndexWriteUnits;
    case 'ses-send-rate':
      return usage.messagesByChannel.email ?? 0;
    case 'sns-opt-out-checks':
      return usage.messagesByChannel.sms ?? 0;
    default: {
      const unreachable: never = id;
      throw new Error(`Unknown quota ${String(unreachable)}`);
    }
  }
}

export interface QuotaBound {
  quota: QuotaId;
  value: number;
  demandPerEntry: number;
  entriesPerSecond: number;
}

export interface Capacity {
  journeyId: string;
  target: Target;
  /** Every quota the journey uses and that has a value, loosest last. */
  bounds: QuotaBound[];
  entriesPerSecond: number;
  /** The quota that binds (the first of equals, in QUOTA_IDS order). */
  binding: QuotaId;
  messagesPerEntry: number;
  messagesPerSecond: number;
}

function boundsOf(
  demand: (id: QuotaId) => number,
  overrides: QuotaOverrides,
): { bounds: QuotaBound[]; binding: QuotaId; entriesPerSecond: number } {
  const bounds: QuotaBound[] = [];
  for (const quota of QUOTA_IDS) {
    const value = quotaValue(quota, overrides);
    const demandPerEntry = demand(quota);
    if (value === undefined || demandPerEntry <= 0) continue;
    bounds.push({ quota, value, demandPerEntry, entriesPerSecond: value / demandPerEntry });
  }
  // Stable: equals keep QUOTA_IDS order.
  bounds.sort((a, b) => a.entriesPerSecond - b.entriesPerSecond);
  const first = bounds[0];
  if (first === undefined) throw new Error('No quota bounds this journey: it uses nothing');
  return { bounds, binding: first.quota, entriesPerSecond: first.entriesPerSecond };
}

/** One journey alone in the account. */
export function journeyCapacity(usage: EntryUsage, overrides: QuotaOverrides = {}): Capacity {
  const { bounds, binding, entriesPerSecond } = boundsOf((id) => quotaDemand(usage, id), overrides);
  return {
    journeyId: usage.journeyId,
    target: usage.target,
    bounds,
    entriesPerSecond,
    binding,
    messagesPerEntry: usage.messages,
    messagesPerSecond: entriesPerSecond * usage.messages,
  };
}

export interface AccountCapacity {
  target: Target;
  /** Entries a second of every journey together, each journey taking an equal share (or `weights`). */
  entriesPerSecond: number;
  messagesPerSecond: number;
  binding: QuotaId;
  bounds: QuotaBound[];
  /** Messages per entry over the mix. */
  messagesPerEntry: number;
}

/**
 * All the journeys at once, sharing the account's quotas, entries split by `weights` (default: the
 * same rate for each): one "mixed entry" demands the weighted mean of their demands.
 */
export function accountCapacity(
  usages: readonly EntryUsage[],
  overrides: QuotaOverrides = {},
  weights: readonly number[] = usages.map(() => 1),
): AccountCapacity {
  const target = usages[0]?.target;
  if (target === undefined) throw new Error('No journeys to take together');
  if (usages.some((usage) => usage.target !== target)) throw new Error('Journeys of one target only');
  const totalWeight = weights.reduce((sum, weight) => sum + weight, 0);
  const share = (index: number): number => (weights[index] ?? 0) / totalWeight;
  const mixed = (value: (usage: EntryUsage) => number): number =>
    usages.reduce((sum, usage, index) => sum + share(index) * value(usage), 0);
  const { bounds, binding, entriesPerSecond } = boundsOf(
    (id) => mixed((usage) => quotaDemand(usage, id)),
    overrides,
  );
  const messagesPerEntry = mixed((usage) => usage.messages);
  return {
    target,
    entriesPerSecond,
    messagesPerSecond: entriesPerSecond * messagesPerEntry,
    binding,
    bounds,
    messagesPerEntry,
  };
}

export interface QuotaIncrease {
  quota: QuotaId;
  /** The value now (default or given); undefined for a channel's, unknown. */
  from: number | undefined;
  /** What the goal needs at least. */
  needed: number;
  /** `needed` rounded up to two significant figures: what to ask for. */
  askFor: number;
  adjustable: boolean;
}

/**
 * What the account needs for `messagesPerSecond` with this mix: every quota whose value is below
 * what the goal demands of it (and every channel quota the mix uses, whose value is the account's).
 */
export function quotasForMessages(
  usages: readonly EntryUsage[],
  messagesPerSecond: number,
  overrides: QuotaOverrides = {},
  weights: readonly number[] = usages.map(() => 1),
): { entriesPerSecond: number; increases: QuotaIncrease[] } {
  const account = accountCapacity(usages, overrides, weights);
  if (account.messagesPerEntry <= 0) return { entriesPerSecond: 0, increases: [] };
  const entriesPerSecond = messagesPerSecond / account.messagesPerEntry;
  const totalWeight = weights.reduce((sum, weight) => sum + weight, 0);
  const increases: QuotaIncrease[] = [];
  for (const quota of QUOTA_IDS) {
    const demand = usages.reduce(
      (sum, usage, index) => sum + ((weights[index] ?? 0) / totalWeight) * quotaDemand(usage, quota),
      0,
    );
    if (demand <= 0) continue;
    const needed = entriesPerSecond * demand;
    const from = quotaValue(quota, overrides);
    const definition = US_EAST_1_QUOTAS[quota];
    // A hair of rounding (2,000.0000000000002 needed of 2,000) is no shortfall.
    if (from !== undefined && from >= needed * (1 - 1e-9)) continue;
    increases.push({ quota, from, needed, askFor: roundUp(needed), adjustable: definition.adjustable });
  }
  return { entriesPerSecond, increases };
}

/** Up to two significant figures, never below the value: 11,574 -> 12,000. */
export function roundUp(value: number): number {
  if (value <= 0) return 0;
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(value)) - 1);
  return Math.ceil(value / magnitude - 1e-9) * magnitude;
}
