/**
 * Every customer event on the bus: update the profile and append to the
 * customer's history, once per event id however often EventBridge delivers it
 * and in whatever order events arrive.
 */
import {
  type CatalogEventType,
  describeDetailProblems,
  eventCatalog,
  isCatalogEventType,
  parseEventDetail,
} from '../events/catalog.ts';
import {
  eventHistoryEntry,
  eventHistoryKey,
  parseCustomerEnvelope,
  receivedEvent,
} from '../events/envelope.ts';
import {
  applyEvent,
  type CustomerEvent,
  emptyCustomer,
  type ProfileUpdate,
} from '../customer/profile-update.ts';
import { damagedProfile, type Suppressions, updateCustomer } from '../store/customers.ts';
import { readAddressSuppression } from '../store/suppressions.ts';
import { addressHash } from '../delivery/availability.ts';
import { detailStorageProblem } from '../events/storable.ts';
import { appendHistory } from '../store/history.ts';
import { markRecorded, wasRecorded } from '../store/recorded-events.ts';
import type { Runtime } from './runtime.ts';

export type RecordOutcome =
  | {
      status: 'recorded';
      customerId: string;
      changed: string[];
      /** Fields the update carried that newer updates had already set: left as they were. */
      older: string[];
      /** The producer's time, when it was too far in the future and the receipt time was used instead. */
      clampedFrom?: string;
    }
  | { status: 'duplicate'; customerId: string }
  /** Kept in the history with its problems, but not applied to the profile. */
  | { status: 'invalid'; customerId: string; problems: string[] }
  /** Not even a customer to file it under: only the logs can tell. */
  | { status: 'rejected'; problems: string[] };

/**
 * Apply, then append to the history, then mark the event id as recorded. Applying twice changes
 * nothing (each field keeps the time that set it; the history key is the event's), so a retry
 * after a crash between the steps finishes the work instead of doubling it.
 */
export async function recordEvent(input: unknown, runtime: Runtime): Promise<RecordOutcome> {
  const parsedEnvelope = parseCustomerEnvelope(input);
  if (!parsedEnvelope.ok) return { status: 'rejected', problems: parsedEnvelope.problems };
  const { customerId: id } = parsedEnvelope;
  const receivedAt = runtime.now();
  const received = receivedEvent(parsedEnvelope.event, receivedAt);
  const { event, clampedFrom } = received;
  const detailType = event['detail-type'];
  const parsed = parseEventDetail(detailType, event.detail);
  const entry = eventHistoryEntry(received);
  const unstorable = detailStorageProblem(event.detail);
  if (unstorable !== undefined) {
    // Recorded without its detail: failing here would fail every retry until EventBridge gave up.
    const kept = { ...entry, detail: { customerId: id }, problems: [unstorable] };
    await appendHistory(runtime.store, id, kept, eventHistoryKey(event));
    return { status: 'invalid', customerId: id, problems: [unstorable] };
  }
  if (!parsed.ok || !isCatalogEventType(detailType)) {
    // parseEventDetail refuses types outside the catalog; the second test only narrows the type.
    const problems = parsed.ok ? [] : describeDetailProblems(parsed.problems);
    await appendHistory(runtime.store, id, { ...entry, problems }, eventHistoryKey(event));
    return { status: 'invalid', customerId: id, problems };
  }
  if (await wasRecorded(runtime.store, id, event.id, receivedAt))
    return { status: 'duplicate', customerId: id };
  const customerEvent = toCustomerEvent(detailType, event.id, event.time, parsed.detail);
  const applied = await applyToProfile(runtime, id, customerEvent);
  if (applied.status === 'invalid') {
    await appendHistory(runtime.store, id, { ...entry, problems: applied.problems }, eventHistoryKey(event));
    return applied;
  }
  // Also after a duplicate: the copy that applied it may have stopped before these two writes.
  await appendHistory(runtime.store, id, entry, eventHistoryKey(event));
  await markRecorded(runtime.store, id, event.id, receivedAt);
  return applied.status === 'recorded' && clampedFrom !== undefined ? { ...applied, clampedFrom } : applied;
}

function toCustomerEvent(
  detailType: CatalogEventType,
  id: string,
  time: string,
  detail: Record<string, unknown>,
): CustomerEvent {
  if (detailType === 'customer.profile.updated') {
    return { detailType, id, time, update: profileUpdate(detail) };
  }
  return { detailType, id, time };
}

function profileUpdate(detail: Record<string, unknown>): ProfileUpdate {
  // Already checked by parseEventDetail; parsing again gives the precise type without a cast.
  return eventCatalog['customer.profile.updated'].detail.parse(detail);
}

/** Merge the event into the profile, field by field, and write it if nobody wrote in between. */
function applyToProfile(runtime: Runtime, customerId: string, event: CustomerEvent): Promise<RecordOutcome> {
  return updateCustomer<RecordOutcome>(runtime.store, customerId, async (read) => {
    if (read.found === 'damaged') {
      return { done: { status: 'invalid', customerId, problems: [damagedProfile(read.reason)] } };
    }
    const current = read.found ? read.customer : undefined;
    const change = applyEvent(current ?? emptyCustomer(customerId), event, runtime.project.settings.timeZone);
    // A concurrent copy of this event got here first (EventBridge delivers at least once).
    if (change.repeated) return { done: { status: 'duplicate', customerId } };
    const suppressions = change.changed.includes('email')
      ? await suppressionsForNewEmail(runtime, current?.suppressions ?? {}, change.profile.email)
      : undefined;
    return {
      write: {
        profile: change.profile,
        engagementByHour: change.engagementByHour,
        fieldStamps: change.fieldStamps,
        ...(suppressions === undefined ? {} : { suppressions }),
      },
      then: { status: 'recorded', customerId, changed: change.changed, older: change.older },
    };
  });
}

/** A new email that bounced or drew a complaint before (for anyone, even an erased customer) stays suppressed. */
async function suppressionsForNewEmail(
  runtime: Runtime,
  current: Suppressions,
  email: string | undefined,
): Promise<Suppressions | undefined> {
  if (email === undefined) return undefined;
  const suppression = await readAddressSuppression(runtime.store, addressHash(email));
  return suppression === undefined ? undefined : { ...current, email: suppression };
}
