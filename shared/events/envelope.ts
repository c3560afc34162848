/** An EventBridge event about one customer, as every event-driven function first reads it. */
import type { HistoryEntryOf } from '../customer/history.ts';
import { type EventCatalog, type EventEnvelope, eventEnvelopeSchema, readCustomerId } from './catalog.ts';

export type CustomerEnvelope =
  { ok: true; event: EventEnvelope; customerId: string } | { ok: false; problems: string[] };

/**
 * Checks the envelope and the customer id only, read where the event type keeps it; the detail is
 * checked against the catalog where it matters.
 */
export function parseCustomerEnvelope(input: unknown, catalog: EventCatalog): CustomerEnvelope {
  const envelope = eventEnvelopeSchema.safeParse(input);
  if (!envelope.success) {
    return {
      ok: false,
      problems: envelope.error.issues.map(
        (issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`,
      ),
    };
  }
  const customer = readCustomerId(catalog, envelope.data['detail-type'], envelope.data.detail);
  if (!customer.ok) return { ok: false, problems: [customer.problem] };
  return { ok: true, event: envelope.data, customerId: customer.customerId };
}

/** How far ahead of its receipt an event's time may be before it is taken as the producer's clock drifting. */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

/** An event as Waymark counts it: at its own time, or at its receipt when that time lay too far ahead. */
export interface ReceivedEvent {
  event: EventEnvelope;
  /** The producer's time, when it was more than FUTURE_TOLERANCE_MS after the receipt. */
  clampedFrom?: string;
}

/**
 * Producers' clocks drift: an event dated more than a few minutes in the future counts at the time it
 * was received. Otherwise one update dated next year would outrank every real update (an opt-out
 * among them) until then. Record and resume both read events through this, so both file an event
 * under the same time.
 */
export function receivedEvent(event: EventEnvelope, receivedAt: Date): ReceivedEvent {
  const time = Date.parse(event.time);
  if (Number.isNaN(time) || time <= receivedAt.getTime() + FUTURE_TOLERANCE_MS) return { event };
  return { event: { ...event, time: receiptTime(receivedAt) }, clampedFrom: event.time };
}

/**
 * A time of receipt as events are dated: EventBridge writes event times to the second, so an event
 * received during a second counts from its start, and an opt-out dated that second is not older.
 */
export function receiptTime(receivedAt: Date): string {
  return new Date(Math.floor(receivedAt.getTime() / 1000) * 1000).toISOString();
}

/** The event as the customer's history keeps it; record and resume both write it, under `eventHistoryKey`. */
export function eventHistoryEntry({ event, clampedFrom }: ReceivedEvent): HistoryEntryOf<'event'> {
  return {
    kind: 'event',
    time: event.time,
    eventId: event.id,
    detailType: event['detail-type'],
    source: event.source,
    detail: event.detail,
    ...(clampedFrom === undefined ? {} : { clampedFrom }),
  };
}

export function eventHistoryKey(event: EventEnvelope): string {
  return `event#${event.id}`;
}
