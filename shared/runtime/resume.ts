/**
 * An awaited event arrived: resume each journey step waiting for it, once.
 * Events that match no registration, or arrive after the step timed out,
 * change nothing.
 */
import type { AwaitedEvent } from '../contract/tasks.ts';
import { parseEventDetail } from '../events/catalog.ts';
import {
  eventHistoryEntry,
  eventHistoryKey,
  parseCustomerEnvelope,
  receivedEvent,
} from '../events/envelope.ts';
import { matchesPattern } from '../events/pattern.ts';
import { matcherPattern } from '../journey/rules.ts';
import { takeWait, type WaitRegistration, waitsFor } from '../store/waits.ts';
import { resumeParkedWait } from './parts.ts';
import { awaitedFrom } from './awaited.ts';
import { appendHistory } from '../store/history.ts';
import { detailStorageProblem } from '../events/storable.ts';
import type { Runtime } from './runtime.ts';

export type ResumeOutcome =
  | { status: 'handled'; customerId: string; resumed: number; late: number; unmatched: number }
  | { status: 'rejected'; problems: string[] };

export async function resumeWaits(input: unknown, runtime: Runtime): Promise<ResumeOutcome> {
  const parsed = parseCustomerEnvelope(input, runtime.project.events);
  if (!parsed.ok) return { status: 'rejected', problems: parsed.problems };
  const { customerId } = parsed;
  const received = receivedEvent(parsed.event, runtime.now());
  const { event } = received;
  // Written here as well as by record, before reading the registrations: a step that registers
  // meanwhile finds the event in the history, so neither side can miss the other. An event whose
  // time was clamped is left to record (its time of receipt differs here, and the key with it), and
  // so is one whose detail cannot be stored as it is (record keeps it without).
  const storable = detailStorageProblem(event.detail) === undefined;
  if (
    storable &&
    received.clampedFrom === undefined &&
    parseEventDetail(runtime.project.events, event['detail-type'], event.detail).ok
  ) {
    await appendHistory(runtime.store, customerId, eventHistoryEntry(received), eventHistoryKey(event));
  }
  const counts = { resumed: 0, late: 0, unmatched: 0 };
  const now = runtime.now().toISOString();
  const awaited: AwaitedEvent = { eventId: event.id, detailType: event['detail-type'], time: event.time };
  for (const registration of await waitsFor(runtime.store, customerId, event['detail-type'])) {
    if (
      Date.parse(event.time) < Date.parse(awaitedFrom(registration.since)) ||
      !matchesPattern(matcherPattern(registration.event, runtime.project.events), event)
    ) {
      counts.unmatched += 1;
      continue;
    }
    // Step Functions completes a token once, so it is the arbiter between duplicate events; the
    // registration goes only after, so a crash in between leaves it for the retried event.
    const expired = Date.parse(registration.until) < Date.parse(now);
    if (!expired && (await resumeStep(runtime, registration, awaited))) counts.resumed += 1;
    else counts.late += 1;
    await takeWait(runtime.store, registration);
  }
  return { status: 'handled', customerId: customerId, ...counts };
}

/** A Standard execution's token, or a high-volume run's next part (which claims the park itself). */
async function resumeStep(
  runtime: Runtime,
  registration: WaitRegistration,
  awaited: AwaitedEvent,
): Promise<boolean> {
  switch (registration.resumption.kind) {
    case 'token':
      return runtime.workflows.sendTaskSuccess(registration.resumption.taskToken, awaited);
    case 'park':
      return resumeParkedWait(runtime, registration, awaited);
    default: {
      const unknown: never = registration.resumption;
      throw new Error(`Unknown resumption ${JSON.stringify(unknown)}`);
    }
  }
}
