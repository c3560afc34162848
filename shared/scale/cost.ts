/**
 * A month's bill for a journey at a volume (entries a month), by service. Per journey the free tiers
 * are left out: they are the account's, once a month, whatever runs in it, so a journey's cost is
 * what it adds. accountMonthlyCost applies them once to the sum.
 *
 * SES and SNS (the messages themselves, priced per channel and country) are apart: the same on both
 * targets. Also left out: DynamoDB storage, CloudWatch Logs, X-Ray, KMS.
 */
import { type Prices, US_EAST_1_PRICES } from './prices.ts';
import type { EntryUsage } from './usage.ts';

export const COST_SERVICES = ['stepFunctions', 'scheduler', 'lambda', 'dynamodb', 'eventbridge'] as const;
export type CostService = (typeof COST_SERVICES)[number];

export const SERVICE_LABELS: Readonly<Record<CostService, string>> = {
  stepFunctions: 'Step Functions',
  scheduler: 'Scheduler',
  lambda: 'Lambda',
  dynamodb: 'DynamoDB',
  eventbridge: 'EventBridge',
};

export interface MonthlyCost {
  entriesPerMonth: number;
  /** USD a month by service. */
  byService: Record<CostService, number>;
  total: number;
  /** The lines behind each service, for the docs and the tests: what times what. */
  lines: { service: CostService; item: string; quantity: number; unitPrice: number; usd: number }[];
}

/** The month's cost of `entriesPerMonth` entries each using `usage`, without free tiers. */
export function monthlyCost(
  usage: EntryUsage,
  entriesPerMonth: number,
  prices: Prices = US_EAST_1_PRICES,
): MonthlyCost {
  const n = entriesPerMonth;
  const lines: MonthlyCost['lines'] = [];
  const line = (service: CostService, item: string, quantity: number, unitPrice: number): void => {
    if (quantity > 0) lines.push({ service, item, quantity, unitPrice, usd: quantity * unitPrice });
  };
  line('stepFunctions', 'Standard state transitions', usage.transitions * n, prices.standardTransition);
  line('stepFunctions', 'Express requests', usage.expressStarts * n, prices.expressRequest);
  line('stepFunctions', 'Express GB-seconds', usage.expressGbSeconds * n, prices.expressGbSecond);
  line('scheduler', 'Scheduler invocations', usage.schedulerInvocations * n, prices.schedulerInvocation);
  line('lambda', 'Lambda requests', usage.lambdaInvocations * n, prices.lambdaRequest);
  line('lambda', 'Lambda GB-seconds (Arm)', usage.lambdaGbSeconds * n, prices.lambdaArmGbSecond);
  line(
    'dynamodb',
    'DynamoDB write request units',
    (usage.dynamodbWriteUnits + usage.dynamodbIndexWriteUnits) * n,
    prices.dynamodbWriteUnit,
  );
  line('dynamodb', 'DynamoDB read request units', usage.dynamodbReadUnits * n, prices.dynamodbReadUnit);
  line('eventbridge', 'EventBridge custom events', usage.customEvents * n, prices.customEvent);
  const byService: Record<CostService, number> = {
    stepFunctions: 0,
    scheduler: 0,
    lambda: 0,
    dynamodb: 0,
    eventbridge: 0,
  };
  for (const { service, usd } of lines) byService[service] += usd;
  const total = COST_SERVICES.reduce((sum, service) => sum + byService[service], 0);
  return { entriesPerMonth, byService, total, lines };
}

/**
 * Several journeys in one account, each at its own volume: the sum, with the month's free tiers
 * taken off once (Standard transitions, Scheduler invocations; Lambda's free tier is left out, as
 * it does not apply under some Savings Plans and is small at these volumes).
 */
export function accountMonthlyCost(
  journeys: readonly { usage: EntryUsage; entriesPerMonth: number }[],
  prices: Prices = US_EAST_1_PRICES,
): { beforeFreeTiers: number; freeTiers: number; total: number } {
  const costs = journeys.map(({ usage, entriesPerMonth }) => monthlyCost(usage, entriesPerMonth, prices));
  const beforeFreeTiers = costs.reduce((sum, cost) => sum + cost.total, 0);
  const transitions = journeys.reduce((sum, j) => sum + j.usage.transitions * j.entriesPerMonth, 0);
  const invocations = journeys.reduce((sum, j) => sum + j.usage.schedulerInvocations * j.entriesPerMonth, 0);
  const freeTiers =
    Math.min(transitions, prices.standardFreeTransitions) * prices.standardTransition +
    Math.min(invocations, prices.schedulerFreeInvocations) * prices.schedulerInvocation;
  return { beforeFreeTiers, freeTiers, total: beforeFreeTiers - freeTiers };
}

/** Standard's cost over high-volume's, for the same journey and volume; undefined when high-volume costs nothing. */
export function costRatio(standard: MonthlyCost, highVolume: MonthlyCost): number | undefined {
  return highVolume.total === 0 ? undefined : standard.total / highVolume.total;
}
