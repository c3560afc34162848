/**
 * Every customer event on the bus: update the profile and append to the
 * customer's history, once per event id however often EventBridge delivers it.
 */
import {
  type CatalogEventType,
  describeDetailProblems,
  eventCatalog,
  isCatalogEventType,
  parseEventDetail,
} from '../events/catalog.ts';
import { eventHistoryEntry, eventHistoryKey, parseCustomerEnvelope } from '../events/envelope.ts';
import {
  applyEvent,
  type CustomerEvent,
  emptyCustomer,
  type ProfileUpdate,
} from '../customer/profile-update.ts';
import { damagedProfile, type Suppressions, updateCustomer } from '../store/customers.ts';
import { readAddressSuppression } from '../store/suppressions.ts';
import { addressHash } from '../delivery/availability.ts';
import { appendHistory } from '../store/history.ts';
import type { Runtime } from './runtime.ts';

export type RecordOutcome =
  | { status: 'recorded'; customerId: string; changed: string[]; stale: boolean }
  | { status: 'duplicate'; customerId: string }
  /** Kept in the history with its problems, but not applied to the profile. */
  | { status: 'invalid'; customerId: string; problems: string[] }
  /** Not even a customer to file it under: only the logs can tell. */
  | { status: 'rejected'; problems: string[] };

export async function recordEvent(input: unknown, runtime: Runtime): Promise<RecordOutcome> {
  const parsedEnvelope = parseCustomerEnvelope(input);
  if (!parsedEnvelope.ok) return { status: 'rejected', problems: parsedEnvelope.problems };
  const { event, customerId: id } = parsedEnvelope;
  const detailType = event['detail-type'];
  const parsed = parseEventDetail(detailType, event.detail);
  const entry = eventHistoryEntry(event);
  if (!parsed.ok || !isCatalogEventType(detailType)) {
    // parseEventDetail refuses types outside the catalog; the second test only narrows the type.
    const problems = parsed.ok ? [] : describeDetailProblems(parsed.problems);
    await appendHistory(runtime.store, id, { ...entry, problems }, eventHistoryKey(event));
    return { status: 'invalid', customerId: id, problems };
  }
  const customerEvent = toCustomerEvent(detailType, event.time, parsed.detail);
  const applied = await applyToProfile(runtime, id, event.id, customerEvent);
  if (applied.status === 'invalid') {
    await appendHistory(runtime.store, id, { ...entry, problems: applied.problems }, eventHistoryKey(event));
    return applied;
  }
  const appended = await appendHistory(runtime.store, id, entry, eventHistoryKey(event));
  // A profile already updated but a history entry missing means an earlier attempt stopped between the two.
  if (applied.status === 'duplicate' && appended)
    return { status: 'recorded', customerId: id, changed: [], stale: false };
  return applied;
}

function toCustomerEvent(
  detailType: CatalogEventType,
  time: string,
  detail: Record<string, unknown>,
): CustomerEvent {
  if (detailType === 'customer.profile.updated') {
    return { detailType, time, update: profileUpdate(detail) };
  }
  return { detailType, time };
}

function profileUpdate(detail: Record<string, unknown>): ProfileUpdate {
  // Already checked by parseEventDetail; parsing again gives the precise type without a cast.
  return eventCatalog['customer.profile.updated'].detail.parse(detail);
}

/** Apply and write; the applied ids make a redelivery a no-op. */
function applyToProfile(
  runtime: Runtime,
  customerId: string,
  eventId: string,
  event: CustomerEvent,
): Promise<RecordOutcome> {
  return updateCustomer<RecordOutcome>(runtime.store, customerId, async (read) => {
    if (read.found === 'damaged') {
      return { done: { status: 'invalid', customerId, problems: [damagedProfile(read.reason)] } };
    }
    const current = read.found ? read.customer : undefined;
    if (current?.appliedEventIds.includes(eventId) === true)
      return { done: { status: 'duplicate', customerId } };
    const change = applyEvent(current ?? emptyCustomer(customerId), event, runtime.project.settings.timeZone);
    const suppressions = change.changed.includes('email')
      ? await suppressionsForNewEmail(runtime, current?.suppressions ?? {}, change.profile.email)
      : undefined;
    return {
      write: {
        profile: change.profile,
        engagementByHour: change.engagementByHour,
        consentChangedAt: change.consentChangedAt,
        appliedEventIds: [...(current?.appliedEventIds ?? []), eventId],
        ...(suppressions === undefined ? {} : { suppressions }),
      },
      then: { status: 'recorded', customerId, changed: change.changed, stale: change.stale },
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
