/**
 * Every customer event on the bus: update the profile and append to the
 * customer's history, once per event id however often EventBridge delivers it
 * and in whatever order events arrive.
 */
import type { CustomerProfile } from '../customer/profile.ts';
import { PROFILE_UPDATED } from '../events/built-in.ts';
import {
  describeDetailProblems,
  type EventCatalog,
  type EventEnvelope,
  eventDefinition,
  parseEventDetail,
  withCustomerId,
} from '../events/catalog.ts';
import {
  eventHistoryEntry,
  eventHistoryKey,
  parseCustomerEnvelope,
  receiptTime,
  type ReceivedEvent,
  receivedEvent,
} from '../events/envelope.ts';
import { applyEvent, type CustomerEvent, emptyCustomer } from '../customer/profile-update.ts';
import { readProfileUpdate } from '../customer/profile-update-read.ts';
import { damagedProfile, type Suppressions, updateCustomer } from '../store/customers.ts';
import { readAddressSuppression } from '../store/suppressions.ts';
import { addressHash } from '../delivery/availability.ts';
import { detailStorageProblem } from '../events/storable.ts';
import { appendRecordedEvent, claimEventKey } from '../store/history.ts';
import { markRecorded, receiveEvent } from '../store/recorded-events.ts';
import type { Runtime } from './runtime.ts';
import { entrySegments, updateSegmentEntries } from './segment-entry.ts';
import { historyReach } from '../audience/segment.ts';
import { journeysStartedBy } from '../journey/started-by.ts';
import type { HistoryEntryOf } from '../customer/history.ts';
import { SEGMENT_ENTERED } from '../events/audience-events.ts';

export type RecordOutcome =
  | {
      status: 'recorded';
      customerId: string;
      changed: string[];
      /** Fields the update carried that newer updates had already set: left as they were. */
      older: string[];
      /** The producer's time, when it was too far in the future and the receipt time was used instead. */
      clampedFrom?: string;
      /** A profile update's invalid fields, left out while its valid ones were applied. */
      problems?: string[];
    }
  | { status: 'duplicate'; customerId: string }
  /** Kept in the history with its problems, but not applied to the profile. */
  | { status: 'invalid'; customerId: string; problems: string[] }
  /** Not even a customer to file it under: only the logs can tell. */
  | { status: 'rejected'; problems: string[] };

/**
 * Most events change no profile: their history entry is all there is to write, and it is also the
 * claim on the event (one conditional put). A profile update, an event dated in the future (its time is
 * the first receipt's, which a retry must find again) or an event some entry segment's history
 * condition reads goes the longer way: claim, apply, append, evaluate, mark.
 */
export async function recordEvent(input: unknown, runtime: Runtime): Promise<RecordOutcome> {
  const parsedEnvelope = parseCustomerEnvelope(input, runtime.project.events);
  if (!parsedEnvelope.ok) return { status: 'rejected', problems: parsedEnvelope.problems };
  const { customerId: id, event: envelope } = parsedEnvelope;
  const now = runtime.now();
  const received = receivedEvent(envelope, now);
  const plain =
    envelope['detail-type'] !== PROFILE_UPDATED &&
    received.clampedFrom === undefined &&
    !segmentsReadHistory(runtime);
  return plain
    ? recordPlainEvent(runtime, id, input, received, now)
    : recordWithClaim(runtime, id, input, envelope);
}

/** One write: the history entry, with the journeys the event starts, which a copy finds taken. */
async function recordPlainEvent(
  runtime: Runtime,
  id: string,
  input: unknown,
  received: ReceivedEvent,
  now: Date,
): Promise<RecordOutcome> {
  const envelope = received.event;
  const read = readCustomerEvent(runtime.project.events, id, envelope, now);
  const fresh = await appendRecordedEvent(
    runtime.store,
    id,
    historyEntry(runtime, input, received, read),
    eventHistoryKey(envelope),
  );
  if (!fresh) return { status: 'duplicate', customerId: id };
  if (!read.ok) return { status: 'invalid', customerId: id, problems: read.problems };
  return { status: 'recorded', customerId: id, changed: [], older: [] };
}

/** The entry as the history can store it, with every problem met on the way and the journeys it starts. */
function historyEntry(
  runtime: Runtime,
  input: unknown,
  received: ReceivedEvent,
  read: CustomerEventRead,
  problems: readonly string[] = read.problems,
): HistoryEntryOf<'event'> {
  const entry = { ...eventHistoryEntry(received), detail: read.storedDetail };
  // An event the catalog refuses starts nothing: enter turns it away without a trace of its own.
  const starts = read.ok ? journeysStartedBy(runtime.project.journeys, runtime.project.events, input) : [];
  return {
    ...entry,
    ...(problems.length === 0 ? {} : { problems: [...problems] }),
    ...(starts.length === 0 ? {} : { starts }),
  };
}

/**
 * Apply, then append to the history, then mark the event id as recorded. Applying twice changes
 * nothing (each field keeps the time that set it; the history key is the event's), so a retry
 * after a crash between the steps finishes the work instead of doubling it.
 */
async function recordWithClaim(
  runtime: Runtime,
  id: string,
  input: unknown,
  envelope: EventEnvelope,
): Promise<RecordOutcome> {
  const receipt = await receiveEvent(runtime.store, id, envelope.id, runtime.now());
  if (receipt.kind === 'recorded') return { status: 'duplicate', customerId: id };
  // The first receipt, whichever delivery this is: what depends on it comes out the same each time.
  const receivedAt = receipt.firstReceivedAt;
  const received = receivedEvent(envelope, receivedAt);
  const { event, clampedFrom } = received;
  const read = readCustomerEvent(runtime.project.events, id, event, receivedAt);
  const finish = async (problems: readonly string[], profile?: CustomerProfile): Promise<void> => {
    await appendRecordedEvent(
      runtime.store,
      id,
      historyEntry(runtime, input, received, read, problems),
      eventHistoryKey(event),
    );
    // Filed under its receipt time: a copy delivered once the producer's time is no longer ahead would
    // take the one-put way and file it again under that time, but finds this claim there.
    if (clampedFrom !== undefined) {
      await claimEventKey(runtime.store, id, clampedFrom, eventHistoryKey(event));
    }
    // An entry announced by record itself changes no profile: evaluating again would only cost reads.
    if (event['detail-type'] !== SEGMENT_ENTERED) await updateSegmentEntries(runtime, id, event.id, profile);
    await markRecorded(runtime.store, id, event.id, runtime.now());
  };
  if (!read.ok) {
    await finish(read.problems);
    return { status: 'invalid', customerId: id, problems: read.problems };
  }
  // Only a profile update changes the profile; any other event is its history entry alone.
  const { outcome: applied, profile } =
    read.event.kind === 'other'
      ? {
          outcome: { status: 'recorded', customerId: id, changed: [], older: [] } satisfies RecordOutcome,
          profile: undefined,
        }
      : await applyToProfile(runtime, id, read.event);
  if (applied.status === 'invalid') {
    await finish(applied.problems);
    return applied;
  }
  // Also after a duplicate: the copy that applied it may have stopped before these two writes.
  // A profile update with some invalid fields keeps them in the history, named in its problems.
  await finish(read.problems, profile);
  if (applied.status !== 'recorded') return applied;
  return {
    ...applied,
    ...(clampedFrom === undefined ? {} : { clampedFrom }),
    ...(read.problems.length === 0 ? {} : { problems: read.problems }),
  };
}

/**
 * Whether some entry segment reads the history: then any event may move a customer into it, and the
 * event takes the longer way, whose claim is only marked once the segments were evaluated.
 */
function segmentsReadHistory(runtime: Runtime): boolean {
  return entrySegments(runtime).some((segment) => (historyReach(segment) ?? 0) > 0);
}

type CustomerEventRead = (
  { ok: true; event: CustomerEvent; problems: string[] } | { ok: false; problems: string[] }
) & {
  /** The detail as the history can store it: one DynamoDB cannot hold is kept out, or cut to what applied. */
  storedDetail: Record<string, unknown>;
};

/**
 * The event as the profile takes it. A profile update keeps every valid field even when others are
 * invalid or cannot be stored (an opt-out must not be lost to a badly written phone number or a
 * CRM's deep attribute); any other event applies whole or not at all.
 */
function readCustomerEvent(
  catalog: EventCatalog,
  customerId: string,
  event: EventEnvelope,
  receivedAt: Date,
): CustomerEventRead {
  const { id, time, detail } = event;
  const detailType = event['detail-type'];
  const unstorable = detailStorageProblem(detail);
  // Recorded without its detail (the customer id aside): failing to store it would fail every retry
  // until EventBridge gave up.
  const storedDetail =
    unstorable === undefined ? detail : withCustomerId(catalog, detailType, {}, customerId);
  if (detailType === PROFILE_UPDATED) {
    const read = readProfileUpdate(detail);
    const problems = unstorable === undefined ? read.problems : [unstorable, ...read.problems];
    if (!read.ok) return { ok: false, problems, storedDetail };
    const update = {
      kind: 'profile-update',
      id,
      time,
      receivedAt: receiptTime(receivedAt),
      update: read.update,
    } as const;
    // Of a detail that cannot be stored whole, what was applied is kept.
    return {
      ok: true,
      event: update,
      problems,
      storedDetail: unstorable === undefined ? detail : { ...read.update },
    };
  }
  if (unstorable !== undefined) return { ok: false, problems: [unstorable], storedDetail };
  const parsed = parseEventDetail(catalog, detailType, detail);
  if (!parsed.ok) return { ok: false, problems: describeDetailProblems(parsed.problems), storedDetail };
  const engagement = eventDefinition(catalog, detailType)?.engagement ?? true;
  return { ok: true, event: { kind: 'other', id, time, engagement }, problems: [], storedDetail };
}

/** Merge the event into the profile, field by field, and write it if nobody wrote in between. */
/**
 * Applies the event to the profile, and tells the profile as it now stands (undefined for a damaged
 * one): the segment entries evaluate it without reading it again.
 */
async function applyToProfile(
  runtime: Runtime,
  customerId: string,
  event: CustomerEvent,
): Promise<{ outcome: RecordOutcome; profile: CustomerProfile | undefined }> {
  // Set by each attempt of the update: the last one is the attempt that wrote, or found nothing to do.
  let profile: CustomerProfile | undefined;
  const outcome = await updateCustomer<RecordOutcome>(runtime.store, customerId, async (read) => {
    profile = read.found === true ? read.customer.profile : undefined;
    if (read.found === 'damaged') {
      return { done: { status: 'invalid', customerId, problems: [damagedProfile(read.reason)] } };
    }
    const current = read.found ? read.customer : undefined;
    const change = applyEvent(current ?? emptyCustomer(customerId), event);
    // A concurrent copy of this event got here first (EventBridge delivers at least once).
    if (change.repeated) return { done: { status: 'duplicate', customerId } };
    const suppressions = change.changed.includes('email')
      ? await suppressionsForNewEmail(runtime, current?.suppressions ?? {}, change.profile.email)
      : undefined;
    profile = change.profile;
    return {
      write: {
        profile: change.profile,
        fieldStamps: change.fieldStamps,
        ...(suppressions === undefined ? {} : { suppressions }),
      },
      then: { status: 'recorded', customerId, changed: change.changed, older: change.older },
    };
  });
  return { outcome, profile };
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
