/**
 * Who entered which journey, read from a customer's history. An event from
 * the bus is its own entry into the journeys it starts (`starts`, written by
 * record), unless enter turned it away (a `not-entered` naming the event); a
 * broadcast's member has an `entered` entry of its own.
 */
import type { HistoryEntry } from './history.ts';

export interface Entrance {
  journeyId: string;
  time: string;
  /** The event that started it; undefined for a broadcast's member. */
  eventId?: string;
  /** Known for a broadcast's member only: a bus event is entered before its execution is named. */
  executionId?: string;
}

export function entrancesOf(entries: readonly HistoryEntry[]): Entrance[] {
  const refused = new Set<string>();
  for (const entry of entries) {
    // A redelivered copy's refusal leaves the entry the event made standing.
    if (
      entry.kind === 'journey' &&
      entry.action === 'not-entered' &&
      entry.eventId !== undefined &&
      entry.copy !== true
    ) {
      refused.add(`${entry.journeyId}#${entry.eventId}`);
    }
  }
  return entries.flatMap((entry): Entrance[] => {
    if (entry.kind === 'journey' && entry.action === 'entered') {
      return [{ journeyId: entry.journeyId, time: entry.time, executionId: entry.executionId }];
    }
    if (entry.kind !== 'event') return [];
    return (entry.starts ?? [])
      .filter((journeyId) => !refused.has(`${journeyId}#${entry.eventId}`))
      .map((journeyId) => ({ journeyId, time: entry.time, eventId: entry.eventId }));
  });
}
