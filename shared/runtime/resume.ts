/**
 * An awaited event arrived: resume each journey step waiting for it, once.
 * Events that match no registration, or arrive after the step timed out,
 * change nothing.
 */
import { z } from 'zod';
import type { AwaitedEvent } from '../contract/tasks.ts';
import { customerIdSchema } from '../customer/profile.ts';
import { eventEnvelopeSchema, parseEventDetail } from '../events/catalog.ts';
import { matchesPattern } from '../events/pattern.ts';
import { matcherPattern } from '../journey/compile.ts';
import { takeWait, waitsFor } from '../store/waits.ts';
import { appendHistory } from '../store/history.ts';
import type { HistoryEntryOf } from '../customer/history.ts';
import type { Runtime } from './runtime.ts';

export type ResumeOutcome =
  | { status: 'handled'; customerId: string; resumed: number; late: number; unmatched: number }
  | { status: 'rejected'; problems: string[] };

export async function resumeWaits(input: unknown, runtime: Runtime): Promise<ResumeOutcome> {
  const parsed = eventEnvelopeSchema.safeParse(input);
  if (!parsed.success)
    return { status: 'rejected', problems: parsed.error.issues.map((issue) => issue.message) };
  const event = parsed.data;
  const customerId = customerIdSchema.safeParse(event.detail.customerId);
  if (!customerId.success)
    return { status: 'rejected', problems: [`detail.customerId: ${z.prettifyError(customerId.error)}`] };
  // Written here as well as by record, before reading the registrations: a step that registers
  // meanwhile finds the event in the history, so neither side can miss the other.
  if (parseEventDetail(event['detail-type'], event.detail).ok) {
    const entry: HistoryEntryOf<'event'> = {
      kind: 'event',
      time: event.time,
      eventId: event.id,
      detailType: event['detail-type'],
      source: event.source,
      detail: event.detail,
    };
    await appendHistory(runtime.store, customerId.data, entry, `event#${event.id}`);
  }
  const counts = { resumed: 0, late: 0, unmatched: 0 };
  const now = runtime.now().toISOString();
  const awaited: AwaitedEvent = { eventId: event.id, detailType: event['detail-type'], time: event.time };
  for (const registration of await waitsFor(runtime.store, customerId.data, event['detail-type'])) {
    if (
      Date.parse(event.time) < Date.parse(registration.since) ||
      !matchesPattern(matcherPattern(registration.event), event)
    ) {
      counts.unmatched += 1;
      continue;
    }
    // Step Functions completes a token once, so it is the arbiter between duplicate events; the
    // registration goes only after, so a crash in between leaves it for the retried event.
    const expired = Date.parse(registration.until) < Date.parse(now);
    if (!expired && (await runtime.workflows.sendTaskSuccess(registration.taskToken, awaited)))
      counts.resumed += 1;
    else counts.late += 1;
    await takeWait(runtime.store, registration);
  }
  return { status: 'handled', customerId: customerId.data, ...counts };
}
