/**
 * Trigger to first message, per execution: from the trigger event's own time when the history holds
 * it, else from the execution's `entered` entry (a broadcast member's); to the execution's earliest
 * message. The trigger event is the latest event at or before the entry (or, with no entry, the first
 * message) and at most a day earlier that lists the journey in `starts`; an event recorded before
 * events listed their starts counts when the journey's trigger matches it.
 */
import type { HistoryEntryOf } from '../customer/history.ts';
import type { EventCatalog } from '../events/catalog.ts';
import { matchesPattern } from '../events/pattern.ts';
import { matcherPattern } from '../journey/rules.ts';
import type { Journey } from '../journey/schema.ts';
import { triggerMatcher } from '../journey/trigger.ts';
import type { CustomerOverview } from '../store/overview.ts';
import { nearestRank } from './percentile.ts';
import type { LatencySummary } from './types.ts';

/** EventBridge retries a target for up to a day: a trigger event older than that did not start this execution. */
const TRIGGER_LOOKBACK_MS = 24 * 3600 * 1000;

export interface Latency {
  journeyId: string;
  seconds: number;
  fromTrigger: boolean;
}

/** Every execution's latency that the history can time, customer by customer. */
export function executionLatencies(
  customers: readonly CustomerOverview[],
  journeys: readonly Journey[],
  events: EventCatalog,
): Latency[] {
  const latencies: Latency[] = [];
  for (const customer of customers) {
    const firstMessage = new Map<string, { journeyId: string; at: number }>();
    const entered = new Map<string, number>();
    const triggers: HistoryEntryOf<'event'>[] = [];
    for (const { entry } of customer.history) {
      if (entry.kind === 'event') triggers.push(entry);
      if (entry.kind === 'journey' && entry.action === 'entered')
        entered.set(entry.executionId, Date.parse(entry.time));
      if (entry.kind !== 'message') continue;
      const at = Date.parse(entry.time);
      const known = firstMessage.get(entry.executionId);
      if (known === undefined || at < known.at)
        firstMessage.set(entry.executionId, { journeyId: entry.journeyId, at });
    }
    for (const [executionId, { journeyId, at: messageAt }] of firstMessage) {
      const enteredAt = entered.get(executionId);
      const journey = journeys.find((candidate) => candidate.id === journeyId);
      const triggerAt = triggerEventTime(journeyId, journey, triggers, enteredAt ?? messageAt, events);
      const startedAt = triggerAt ?? enteredAt;
      if (startedAt === undefined) continue;
      latencies.push({
        journeyId,
        seconds: Math.max(0, (messageAt - startedAt) / 1000),
        fromTrigger: triggerAt !== undefined,
      });
    }
  }
  return latencies;
}

/** The latest event that started the journey, at or before `before` and at most a day earlier. */
function triggerEventTime(
  journeyId: string,
  journey: Journey | undefined,
  history: readonly HistoryEntryOf<'event'>[],
  before: number,
  events: EventCatalog,
): number | undefined {
  const pattern = journey === undefined ? undefined : matcherPattern(triggerMatcher(journey.trigger), events);
  let latest: number | undefined;
  for (const event of history) {
    const at = Date.parse(event.time);
    if (at > before || at < before - TRIGGER_LOOKBACK_MS) continue;
    if (latest !== undefined && at <= latest) continue;
    const started =
      event.starts !== undefined
        ? event.starts.includes(journeyId)
        : pattern !== undefined &&
          matchesPattern(pattern, {
            'detail-type': event.detailType,
            source: event.source,
            detail: event.detail,
          });
    if (started) latest = at;
  }
  return latest;
}

export function latencySummary(latencies: readonly Latency[]): LatencySummary {
  const seconds = latencies.map((latency) => latency.seconds);
  return {
    samples: latencies.length,
    p50Seconds: nearestRank(seconds, 50) ?? null,
    p95Seconds: nearestRank(seconds, 95) ?? null,
    fromTriggerEvent: latencies.filter((latency) => latency.fromTrigger).length,
  };
}
