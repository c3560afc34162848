/**
 * Trigger to first message, per execution: from the trigger event's own time when the history holds
 * it (the latest event before the `entered` entry that the journey's trigger matches, at most a day
 * earlier, EventBridge's longest retry), else from the `entered` entry; to the earliest message of
 * the execution. shared/report/report.ts gathers the entries and first messages as it reads the history.
 */
import type { HistoryEntryOf } from '../customer/history.ts';
import type { EventCatalog } from '../events/catalog.ts';
import { matchesPattern } from '../events/pattern.ts';
import { matcherPattern } from '../journey/rules.ts';
import type { Journey } from '../journey/schema.ts';
import { triggerMatcher } from '../journey/trigger.ts';
import { nearestRank } from './percentile.ts';
import type { LatencySummary } from './types.ts';

/** EventBridge retries a target for up to a day: a trigger event older than that did not start this execution. */
const TRIGGER_LOOKBACK_MS = 24 * 3600 * 1000;

export interface Latency {
  seconds: number;
  fromTrigger: boolean;
}

/** One journey's executions as the report tallied them. */
export interface FirstMessageTally {
  journey: Journey | undefined;
  /** By execution id: who entered, and when (epoch ms). */
  entered: ReadonlyMap<string, { customerId: string; at: number }>;
  /** By execution id: its earliest message (epoch ms). */
  firstMessageAt: ReadonlyMap<string, number>;
}

export function firstMessageLatencies(
  tally: FirstMessageTally,
  eventsByCustomer: ReadonlyMap<string, readonly HistoryEntryOf<'event'>[]>,
  events: EventCatalog,
): Latency[] {
  const latencies: Latency[] = [];
  for (const [executionId, { customerId, at: enteredAt }] of tally.entered) {
    const firstMessageAt = tally.firstMessageAt.get(executionId);
    if (firstMessageAt === undefined) continue;
    const triggerAt =
      tally.journey === undefined
        ? undefined
        : triggerEventTime(tally.journey, eventsByCustomer.get(customerId) ?? [], enteredAt, events);
    const startedAt = triggerAt ?? enteredAt;
    latencies.push({
      seconds: Math.max(0, (firstMessageAt - startedAt) / 1000),
      fromTrigger: triggerAt !== undefined,
    });
  }
  return latencies;
}

/** The latest event the trigger matches, at or before the entry and at most a day earlier. */
function triggerEventTime(
  journey: Journey,
  history: readonly HistoryEntryOf<'event'>[],
  enteredAt: number,
  events: EventCatalog,
): number | undefined {
  const pattern = matcherPattern(triggerMatcher(journey.trigger), events);
  let latest: number | undefined;
  for (const event of history) {
    const at = Date.parse(event.time);
    if (at > enteredAt || at < enteredAt - TRIGGER_LOOKBACK_MS) continue;
    if (latest !== undefined && at <= latest) continue;
    const envelope = { 'detail-type': event.detailType, source: event.source, detail: event.detail };
    if (matchesPattern(pattern, envelope)) latest = at;
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
