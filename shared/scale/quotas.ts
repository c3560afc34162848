/**
 * The account's quotas that bound how many customers a second the journeys can take in, us-east-1
 * defaults, each under the name AWS's Service Quotas console gives it (or the documentation's, where
 * the console's could not be checked: "(?)"). All of them are per account and region: every journey
 * of a stage, and anything else in the account, shares them.
 *
 * A quota is either a rate (so much a second) or a level (so much open at once: executions,
 * schedules, concurrent Lambda invocations). Each journey's demand on it per entry is worked out in
 * usage.ts; capacity.ts divides.
 */

import { SENT_INDEX } from '../store/table.ts';

export const QUOTA_IDS = [
  'sfn-standard-starts',
  'sfn-open-executions',
  'sfn-transitions',
  'sfn-express-starts',
  'scheduler-invocations',
  'scheduler-creates',
  'scheduler-schedules',
  'eventbridge-put-events',
  'eventbridge-invocations',
  'lambda-concurrency',
  'dynamodb-table-writes',
  'dynamodb-table-reads',
  'dynamodb-sent-index-writes',
  'ses-send-rate',
  'sns-opt-out-checks',
] as const;
export type QuotaId = (typeof QUOTA_IDS)[number];

export interface Quota {
  id: QuotaId;
  /** As the Service Quotas console (or, marked (?), the service's documentation) names it. */
  name: string;
  service: string;
  /** A rate per second, or a level held at once. */
  kind: 'rate' | 'level';
  /** us-east-1 default; undefined: the account's own, unknown until given (SES, SNS). */
  value: number | undefined;
  /** What one unit is, for the CLI. */
  unit: string;
  /** Raised through Service Quotas or a support case; false: a hard limit or a design constant. */
  adjustable: boolean;
  /**
   * A channel's limit: it depends on the account's sending setup, so it bounds messages only when
   * given a value (--ses-rate, --quota); SMS and WhatsApp origination rates are apart altogether.
   */
  channel?: true;
  /** What raises a limit that is no quota. */
  remedy?: string;
  /** Where the figure was checked. */
  source: string;
}

export const US_EAST_1_QUOTAS: Readonly<Record<QuotaId, Quota>> = {
  'sfn-standard-starts': {
    id: 'sfn-standard-starts',
    name: 'StartExecution throttle token refill rate per second',
    service: 'Step Functions (Standard)',
    kind: 'rate',
    value: 300,
    unit: 'StartExecution/s',
    adjustable: true,
    source:
      'Step Functions developer guide, "Quotas related to API action throttling" (bucket 1,300, refill 300 in us-east-1)',
  },
  'sfn-open-executions': {
    id: 'sfn-open-executions',
    name: 'Maximum open executions per account (?)',
    service: 'Step Functions (Standard)',
    kind: 'level',
    value: 1_000_000,
    unit: 'open executions',
    adjustable: true,
    source:
      'Step Functions developer guide, "Quotas related to accounts": 1,000,000, can be raised to millions; not Express',
  },
  'sfn-transitions': {
    id: 'sfn-transitions',
    name: 'StateTransition throttle token refill rate per second (?)',
    service: 'Step Functions (Standard)',
    kind: 'rate',
    value: 5_000,
    unit: 'transitions/s',
    adjustable: true,
    source:
      'Step Functions developer guide, "Quotas related to state throttling" (bucket 5,000, refill 5,000 in us-east-1; new accounts lower)',
  },
  'sfn-express-starts': {
    id: 'sfn-express-starts',
    name: 'StartExecution throttle token refill rate per second, Express (?)',
    service: 'Step Functions (Express)',
    kind: 'rate',
    value: 6_000,
    unit: 'StartExecution/s',
    adjustable: true,
    source:
      'Step Functions developer guide, "Quotas for Express Workflows", API action throttling (6,000/6,000) (?)',
  },
  'scheduler-invocations': {
    id: 'scheduler-invocations',
    name: 'Invocations throttle limit',
    service: 'EventBridge Scheduler',
    kind: 'rate',
    value: 1_000,
    unit: 'invocations/s',
    adjustable: true,
    source:
      'EventBridge Scheduler user guide, "Quotas for Amazon EventBridge Scheduler": 1,000 TPS, adjustable to tens of thousands',
  },
  'scheduler-creates': {
    id: 'scheduler-creates',
    name: 'CreateSchedule request rate',
    service: 'EventBridge Scheduler',
    kind: 'rate',
    value: 5_000,
    unit: 'CreateSchedule/s',
    adjustable: true,
    source:
      'EventBridge Scheduler quotas page (English, current): 5,000 in us-east-1; older translations say 1,000',
  },
  'scheduler-schedules': {
    id: 'scheduler-schedules',
    name: 'Number of schedules',
    service: 'EventBridge Scheduler',
    kind: 'level',
    value: 10_000_000,
    unit: 'schedules',
    adjustable: true,
    source: 'EventBridge Scheduler quotas page: 10,000,000 per Region, adjustable to billions',
  },
  'eventbridge-put-events': {
    id: 'eventbridge-put-events',
    name: 'PutEvents throttle limit in transactions per second',
    service: 'EventBridge',
    kind: 'rate',
    value: 10_000,
    unit: 'PutEvents requests/s',
    adjustable: true,
    source:
      'EventBridge user guide, "Amazon EventBridge quotas": us-east-1 10,000 per second, account-wide (all buses)',
  },
  'eventbridge-invocations': {
    id: 'eventbridge-invocations',
    name: 'Invocations throttle limit in transactions per second',
    service: 'EventBridge',
    kind: 'rate',
    value: 18_750,
    unit: 'rule target invocations/s',
    adjustable: true,
    source:
      'EventBridge user guide, "Amazon EventBridge quotas": us-east-1 18,750 per second; past it, delayed, not dropped',
  },
  'lambda-concurrency': {
    id: 'lambda-concurrency',
    name: 'Concurrent executions',
    service: 'Lambda',
    kind: 'level',
    value: 1_000,
    unit: 'concurrent invocations',
    adjustable: true,
    source:
      'Lambda developer guide, "Lambda quotas": 1,000 per Region, adjustable (not checked with search this time)',
  },
  'dynamodb-table-writes': {
    id: 'dynamodb-table-writes',
    name: 'Table-level write throughput limit',
    service: 'DynamoDB',
    kind: 'rate',
    value: 40_000,
    unit: 'WRU/s',
    adjustable: true,
    source:
      'DynamoDB developer guide, "DynamoDB maximum throughput for on-demand tables": on-demand bounded by the 40,000 table-level quota',
  },
  'dynamodb-table-reads': {
    id: 'dynamodb-table-reads',
    name: 'Table-level read throughput limit',
    service: 'DynamoDB',
    kind: 'rate',
    value: 40_000,
    unit: 'RRU/s',
    adjustable: true,
    source: 'DynamoDB developer guide, same page',
  },
  'dynamodb-sent-index-writes': {
    id: 'dynamodb-sent-index-writes',
    name: `bySentDay index: ${SENT_INDEX.shards} write shards x 1,000 WRU/s per partition`,
    service: 'DynamoDB (design)',
    kind: 'rate',
    value: SENT_INDEX.shards * 1_000,
    unit: 'message entries/s',
    adjustable: false,
    remedy: 'more shards: SENT_INDEX.shards in shared/store/table.ts, 1,000 a second each',
    source:
      'Not a quota: each partition takes at most 1,000 write units a second (DynamoDB guide, "warm throughput" scenarios), ' +
      `and the sent-messages index keys a day's messages by ${SENT_INDEX.shards} shards (SENT_INDEX.shards, shared/store/table.ts); a throttled ` +
      'index write fails the table write (AWS re:Post, "dynamodb-gsi-throttling-table"). More shards raise it.',
  },
  'ses-send-rate': {
    id: 'ses-send-rate',
    name: 'Sending rate (the account’s maximum send rate)',
    service: 'SES',
    kind: 'rate',
    value: undefined,
    unit: 'emails/s',
    adjustable: true,
    channel: true,
    source: "Each account's own (GetAccount, SendQuota.MaxSendRate); give it with --ses-rate",
  },
  'sns-opt-out-checks': {
    id: 'sns-opt-out-checks',
    name: 'CheckIfPhoneNumberIsOptedOut request rate (?)',
    service: 'SNS',
    kind: 'rate',
    value: undefined,
    unit: 'SMS/s',
    adjustable: true,
    channel: true,
    source:
      'deliver calls CheckIfPhoneNumberIsOptedOut before every SMS (shared/runtime/deliver.ts); its throttle is in the SNS ' +
      'endpoints-and-quotas page, not confirmed here: give it with --quota sns-opt-out-checks=<n>',
  },
};

/** Values that replace the defaults (a `--quota` or `--ses-rate`); a quota left out keeps its default. */
export type QuotaOverrides = Partial<Record<QuotaId, number>>;

/** The value a quota has with these overrides; undefined: a channel's, not given. */
export function quotaValue(id: QuotaId, overrides: QuotaOverrides = {}): number | undefined {
  return overrides[id] ?? US_EAST_1_QUOTAS[id].value;
}

export function isQuotaId(name: string): name is QuotaId {
  return QUOTA_IDS.some((id) => id === name);
}

/** The quota a `--quota` names: its id, or its console name (without "(?)"), in any case. */
export function findQuota(name: string): QuotaId | undefined {
  const wanted = name.trim().toLowerCase();
  if (isQuotaId(wanted)) return wanted;
  return QUOTA_IDS.find((id) => US_EAST_1_QUOTAS[id].name.replace(/ \(\?\)$/, '').toLowerCase() === wanted);
}

/** `name=value` pairs; a problem names the pair and what was expected. */
export function parseQuotaOverrides(
  pairs: readonly string[],
): { ok: true; overrides: QuotaOverrides } | { ok: false; problem: string } {
  const overrides: QuotaOverrides = {};
  for (const pair of pairs) {
    const at = pair.lastIndexOf('=');
    const name = at < 0 ? '' : pair.slice(0, at);
    if (name.trim() === '') {
      return {
        ok: false,
        problem: `--quota ${pair}: expected name=value, for example sfn-open-executions=10000000`,
      };
    }
    const id = findQuota(name);
    if (id === undefined) {
      return { ok: false, problem: `--quota ${pair}: no quota "${name}"; one of ${QUOTA_IDS.join(', ')}` };
    }
    const value = positiveNumber(pair.slice(at + 1));
    if (value === undefined)
      return { ok: false, problem: `--quota ${pair}: the value must be a positive number` };
    overrides[id] = value;
  }
  return { ok: true, overrides };
}

/** A positive finite number, thousands separators (`,` or `_`) allowed; undefined otherwise. */
export function positiveNumber(text: string): number | undefined {
  const plain = text.trim().replaceAll(',', '').replaceAll('_', '');
  if (!/^\d+(\.\d+)?(e\d+)?$/i.test(plain)) return undefined;
  const value = Number(plain);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}
