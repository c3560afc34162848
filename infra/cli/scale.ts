/**
 * `waymark cost --volume` and `waymark capacity`: the scale model (shared/scale/) as text tables, for
 * every journey on both targets, Standard and high-volume.
 */
import {
  accountCapacity,
  type Capacity,
  journeyCapacity,
  quotasForMessages,
  type QuotaIncrease,
} from '../../shared/scale/capacity.ts';
import {
  accountMonthlyCost,
  COST_SERVICES,
  costRatio,
  monthlyCost,
  SERVICE_LABELS,
} from '../../shared/scale/cost.ts';
import { type JourneyUsages, usageOn } from '../../shared/scale/project.ts';
import {
  QUOTA_IDS,
  type QuotaId,
  type QuotaOverrides,
  quotaValue,
  US_EAST_1_QUOTAS,
} from '../../shared/scale/quotas.ts';
import { ASSUMPTIONS, TARGETS } from '../../shared/scale/usage.ts';
import type { Volume } from '../../shared/scale/volume.ts';
import { type Column, formatTable } from './table.ts';

const figure = (header: string): Column => ({ header, align: 'right' });

/** A count with thousands separators and at most `digits` decimals. */
export function formatNumber(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'unbounded';
  return value.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: digits });
}

function usd(value: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
}

/** Entries or messages a second: two decimals under 100, whole numbers above. */
function perSecond(value: number): string {
  return formatNumber(value, value < 100 ? 2 : 0);
}

function ratio(value: number | undefined): string {
  return value === undefined ? '-' : `${value.toFixed(1)}x`;
}

export function costAtVolumeText(journeys: readonly JourneyUsages[], volume: Volume): string {
  const rows: string[][] = [];
  const ratios: string[][] = [];
  for (const journey of journeys) {
    const costs = TARGETS.map((target) => monthlyCost(usageOn(journey, target), volume.entriesPerMonth));
    for (const [index, target] of TARGETS.entries()) {
      const cost = costs[index];
      if (cost === undefined) continue;
      rows.push([
        journey.journeyId,
        target,
        ...COST_SERVICES.map((service) => usd(cost.byService[service])),
        usd(cost.total),
      ]);
    }
    const [standard, highVolume] = costs;
    if (standard === undefined || highVolume === undefined) continue;
    const orchestration = (cost: typeof standard): number =>
      cost.byService.stepFunctions + cost.byService.scheduler;
    // What each target adds to the work both do (the same functions and writes): its orchestration,
    // and what it calls and writes beyond the other (on high-volume, the parks and their claims).
    const own = (cost: typeof standard): number =>
      orchestration(cost) +
      COST_SERVICES.filter((service) => service !== 'stepFunctions' && service !== 'scheduler').reduce(
        (sum, service) =>
          sum +
          cost.byService[service] -
          Math.min(standard.byService[service], highVolume.byService[service]),
        0,
      );
    const dominant = [...COST_SERVICES]
      .sort((a, b) => highVolume.byService[b] - highVolume.byService[a])
      .slice(0, 2)
      .map((service) => SERVICE_LABELS[service]);
    ratios.push([
      journey.journeyId,
      ratio(costRatio(standard, highVolume)),
      ratio(
        orchestration(highVolume) === 0 ? undefined : orchestration(standard) / orchestration(highVolume),
      ),
      ratio(own(highVolume) === 0 ? undefined : own(standard) / own(highVolume)),
      dominant.join(', '),
    ]);
  }
  const account = TARGETS.map((target) =>
    accountMonthlyCost(
      journeys.map((journey) => ({
        usage: usageOn(journey, target),
        entriesPerMonth: volume.entriesPerMonth,
      })),
    ),
  );
  const lines = [
    `Monthly cost at ${formatNumber(volume.entriesPerMonth)} entries a month per journey (${volume.text}),` +
      ' us-east-1, USD, longest path:',
    '',
    formatTable(
      [
        { header: 'journey' },
        { header: 'target' },
        ...COST_SERVICES.map((service) => figure(SERVICE_LABELS[service])),
        figure('total'),
      ],
      rows,
    ),
    formatTable(
      [
        { header: 'journey' },
        figure('Standard / high-volume'),
        figure('Step Functions + Scheduler only'),
        figure('what the target adds'),
        { header: 'high-volume mostly' },
      ],
      ratios,
    ),
    `All ${journeys.length} journeys together, the month's free tiers taken once: Standard ` +
      `${usd(account[0]?.total ?? 0)}, high-volume ${usd(account[1]?.total ?? 0)}.`,
    'Excluded: SES and SNS (the messages themselves, the same on both targets: docs/channels.md), DynamoDB',
    'storage, CloudWatch Logs, X-Ray, KMS. No free tier per journey. Lambda on Arm at 1,024 MB with assumed',
    'durations, DynamoDB items of 1.5 KB (customer) and 0.8 KB (history): docs/scale.md.',
  ];
  return `${lines.join('\n')}\n`;
}

export interface CapacityOptions {
  overrides: QuotaOverrides;
  /** Messages a second the account should reach: what it takes is printed. */
  goal: number;
}

function capacityRow(
  capacity: Pick<Capacity, 'journeyId' | 'bounds' | 'entriesPerSecond' | 'binding' | 'messagesPerSecond'>,
  messagesPerEntry: number,
): string[] {
  const next = capacity.bounds[1];
  return [
    capacity.journeyId,
    perSecond(capacity.entriesPerSecond),
    formatNumber(messagesPerEntry, 2),
    perSecond(capacity.messagesPerSecond),
    capacity.binding,
    next === undefined ? '-' : `${next.quota} ${perSecond(next.entriesPerSecond)}`,
  ];
}

function increaseLine(increase: QuotaIncrease): string {
  const quota = US_EAST_1_QUOTAS[increase.quota];
  const to = `${formatNumber(increase.askFor)} ${quota.unit}`;
  if (quota.channel === true) return `  ${increase.quota}: at least ${to} (the account's own: ask AWS)`;
  const from = increase.from === undefined ? 'unknown' : formatNumber(increase.from);
  const how = quota.adjustable ? '' : `: not a quota, ${quota.remedy ?? 'a design change'}`;
  return `  ${increase.quota}: ${from} -> ${to}${how}`;
}

/** The quotas the tables name: id, console name, default, service. */
function legend(ids: ReadonlySet<QuotaId>, overrides: QuotaOverrides): string[] {
  return QUOTA_IDS.filter((id) => ids.has(id)).map((id) => {
    const quota = US_EAST_1_QUOTAS[id];
    const value = quotaValue(id, overrides);
    const now = value === undefined ? "the account's own" : `${formatNumber(value)} ${quota.unit}`;
    return `  ${id}: ${quota.service}, "${quota.name}", ${now}${quota.adjustable ? '' : ', not adjustable'}`;
  });
}

export function capacityText(journeys: readonly JourneyUsages[], options: CapacityOptions): string {
  const lines: string[] = [
    'Sustained entries and messages a second each journey could take alone in one account and region, the',
    'quota that binds first and the next bound; then all journeys together, sharing the quotas.',
  ];
  const named = new Set<QuotaId>();
  for (const target of TARGETS) {
    const usages = journeys.map((journey) => usageOn(journey, target));
    const capacities = usages.map((usage) => journeyCapacity(usage, options.overrides));
    const rows = capacities.map((capacity, index) => capacityRow(capacity, usages[index]?.messages ?? 0));
    const account = accountCapacity(usages, options.overrides);
    rows.push(
      capacityRow(
        {
          journeyId: `all ${usages.length}, equal rates`,
          bounds: account.bounds,
          entriesPerSecond: account.entriesPerSecond,
          binding: account.binding,
          messagesPerSecond: account.messagesPerSecond,
        },
        account.messagesPerEntry,
      ),
    );
    for (const capacity of [...capacities, account]) named.add(capacity.binding);
    const goal = quotasForMessages(usages, options.goal, options.overrides);
    for (const increase of goal.increases) named.add(increase.quota);
    lines.push(
      '',
      `${target === 'standard' ? 'Standard' : 'High-volume'}:`,
      formatTable(
        [
          { header: 'journey' },
          figure('entries/s'),
          figure('msgs/entry'),
          figure('messages/s'),
          { header: 'binding quota' },
          { header: 'next bound (entries/s)' },
        ],
        rows,
      ).trimEnd(),
    );
    if (goal.entriesPerSecond > 0) {
      lines.push(
        `${formatNumber(options.goal)} messages/s (${perSecond(goal.entriesPerSecond)} entries/s at equal rates) needs:`,
        ...(goal.increases.length === 0 ? ['  no quota raised.'] : goal.increases.map(increaseLine)),
      );
    }
  }
  lines.push(
    '',
    'Quotas named above (us-east-1 defaults unless given; all: waymark capacity --quotas):',
    ...legend(named, options.overrides),
    '',
    'Lifetime (open executions, schedules held): the longest waits summed over any path.',
    `Lambda time: ${durationsText()}.`,
    "SES and SNS rates are the account's own: --ses-rate <emails/s>, --quota sns-opt-out-checks=<n>;",
    'SMS and WhatsApp origination rates are apart (docs/sending.md). Override any quota with',
    '--quota <id or console name>=<value>.',
  );
  return `${lines.join('\n')}\n`;
}

function durationsText(): string {
  const ms = ASSUMPTIONS.durationsMs;
  return (
    `record ${ms.record} ms, enter ${ms.enter}, deliver ${ms.deliver} (webhook ${ms.deliverSystem}), park ${ms.park},` +
    ` resume ${ms.resume},\nfinish ${ms.finishTask} (${ms.finishOnEvent} on Standard's end event), each at ${ASSUMPTIONS.lambdaMemoryMb} MB on Arm`
  );
}

export function quotasText(overrides: QuotaOverrides): string {
  const rows = Object.values(US_EAST_1_QUOTAS).map((quota) => {
    const value = quotaValue(quota.id, overrides);
    return [
      quota.id,
      quota.service,
      quota.name,
      value === undefined ? 'yours' : formatNumber(value),
      quota.unit,
      quota.adjustable ? 'yes' : 'no',
    ];
  });
  return formatTable(
    [
      { header: 'id' },
      { header: 'service' },
      { header: 'name (Service Quotas)' },
      figure('value'),
      { header: 'unit' },
      { header: 'adjustable' },
    ],
    rows,
  );
}
