/** Whether an awaited event is in the history already: it came before the wait was registered. */
import type { AwaitedEvent } from '../contract/tasks.ts';
import { matchesPattern } from '../events/pattern.ts';
import { matcherPattern } from '../journey/rules.ts';
import type { EventMatcher } from '../journey/schema.ts';
import { readHistory } from '../store/history.ts';
import type { Runtime } from './runtime.ts';

/**
 * When a wait's events count from: the second it began. EventBridge gives event times in whole
 * seconds, so an event in the very second the wait began (12:00:00) must not read as before it
 * (12:00:00.500).
 */
export function awaitedFrom(since: string): string {
  const time = Date.parse(since);
  return Number.isNaN(time) ? since : new Date(Math.floor(time / 1000) * 1000).toISOString();
}

export async function awaitedEventSince(
  runtime: Runtime,
  customerId: string,
  matcher: EventMatcher,
  since: string,
): Promise<AwaitedEvent | undefined> {
  const history = await readHistory(
    runtime.store,
    customerId,
    awaitedFrom(since),
    runtime.now().toISOString(),
  );
  const pattern = matcherPattern(matcher, runtime.project.events);
  for (const { entry } of history) {
    if (entry.kind !== 'event' || entry.problems !== undefined) continue;
    const envelope = { 'detail-type': entry.detailType, source: entry.source, detail: entry.detail };
    if (matchesPattern(pattern, envelope)) {
      return { eventId: entry.eventId, detailType: entry.detailType, time: entry.time };
    }
  }
  return undefined;
}
