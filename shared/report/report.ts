/**
 * The full report (`waymark report --full`), from every customer as stored. Pure: the callers read,
 * this counts.
 *
 * The journeys, steps, attribution, engagement and not-sent figures are the counters' own: each
 * customer's history goes through the same counting as the figures function's batches
 * (shared/figures/recount.ts), so the full report and the pages agree by construction. Only this
 * report adds what needs each customer read whole:
 * - trigger to first message (shared/report/first-message.ts): per execution, from the trigger event
 *   (the latest event listing the journey in `starts`, at most a day before) or else its `entered`
 *   entry, to its earliest message;
 * - preference compliance (shared/report/compliance.ts): consent replayed from the history;
 * - coordination (shared/report/coordination.ts): messages by customer-day in the profile's zone;
 * - send rates reached (shared/report/send-rates.ts): the most message entries in any one second.
 */
import type { EventCatalog } from '../events/catalog.ts';
import { type Channel, perChannel } from '../customer/profile.ts';
import type { Journey } from '../journey/schema.ts';
import { countedSums, countHistory } from '../figures/recount.ts';
import { countedReport, emptyStepCounts, graphOrder } from '../figures/report.ts';
import type { CustomerOverview } from '../store/overview.ts';
import { checkCompliance } from './compliance.ts';
import { checkCoordination } from './coordination.ts';
import { executionLatencies, latencySummary } from './first-message.ts';
import { type ConfiguredSendRates, sendRateRows } from './send-rates.ts';
import type { ExecutionPosition, FullReport } from './types.ts';

export { emptyStepCounts, graphOrder };

export interface ReportInput {
  customers: readonly CustomerOverview[];
  /** The project's event types: where each keeps the customer id, for matching triggers. */
  events: EventCatalog;
  journeys: readonly Journey[];
  executions: readonly ExecutionPosition[];
  now: Date;
  /** Journeys whose executions were read only up to a limit, as the reader reports them. */
  executionsLimited?: readonly string[];
  /** settings.sendRates, shown beside the rate each channel reached; undefined: none shown. */
  sendRates?: ConfiguredSendRates;
}

export function buildReport(input: ReportInput): FullReport {
  const sums = countedSums(countHistory(input.customers));
  const counted = countedReport({
    all: sums.all,
    journeys: sums.journeys,
    definitions: input.journeys,
    executions: input.executions,
    ...(input.executionsLimited === undefined ? {} : { executionsLimited: input.executionsLimited }),
    now: input.now,
  });
  const latencies = executionLatencies(input.customers, input.journeys, input.events);
  const sendTimes: Record<Channel, number[]> = perChannel((): number[] => []);
  for (const customer of input.customers) {
    for (const { entry } of customer.history) {
      if (entry.kind === 'message') sendTimes[entry.channel].push(Date.parse(entry.time));
    }
  }
  return {
    ...counted,
    basis: 'full',
    sources: {
      ...counted.sources,
      customers: input.customers.length,
      damagedProfiles: input.customers.filter((customer) => customer.customer.found === 'damaged').length,
    },
    journeys: counted.journeys.map((journey) => ({
      ...journey,
      firstMessage: latencySummary(latencies.filter((latency) => latency.journeyId === journey.journeyId)),
    })),
    firstMessage: latencySummary(latencies),
    compliance: checkCompliance(input.customers),
    coordination: checkCoordination(input.customers, counted.notSent),
    sendRates: sendRateRows(sendTimes, input.sendRates),
  };
}
