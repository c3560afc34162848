/** An EventBridge event about one customer, as every event-driven function first reads it. */
import * as z from 'zod';
import type { HistoryEntryOf } from '../customer/history.ts';
import { customerIdSchema } from '../customer/profile.ts';
import { type EventEnvelope, eventEnvelopeSchema } from './catalog.ts';

export type CustomerEnvelope =
  { ok: true; event: EventEnvelope; customerId: string } | { ok: false; problems: string[] };

/** Checks the envelope and the customer id only; the detail is checked against the catalog where it matters. */
export function parseCustomerEnvelope(input: unknown): CustomerEnvelope {
  const envelope = eventEnvelopeSchema.safeParse(input);
  if (!envelope.success) {
    return {
      ok: false,
      problems: envelope.error.issues.map(
        (issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`,
      ),
    };
  }
  const customerId = customerIdSchema.safeParse(envelope.data.detail.customerId);
  if (!customerId.success) {
    return { ok: false, problems: [`detail.customerId: ${z.prettifyError(customerId.error)}`] };
  }
  return { ok: true, event: envelope.data, customerId: customerId.data };
}

/** The event as the customer's history keeps it; record and resume both write it, under `eventHistoryKey`. */
export function eventHistoryEntry(event: EventEnvelope): HistoryEntryOf<'event'> {
  return {
    kind: 'event',
    time: event.time,
    eventId: event.id,
    detailType: event['detail-type'],
    source: event.source,
    detail: event.detail,
  };
}

export function eventHistoryKey(event: EventEnvelope): string {
  return `event#${event.id}`;
}
