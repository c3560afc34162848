/**
 * What each function call of a journey costs: its DynamoDB requests, read from the code (file and
 * function named beside each), and its assumed duration. The requests are counts the benches can
 * check (bench/event-requests.bench.ts); the request units they are billed as depend on item sizes,
 * which are assumptions (ItemBytes), measured once on the local engine: a customer in one journey
 * with email and phone had a 1.5 KB customer item, 3.7 KB after five journeys; history items
 * 0.5 KB on average, 0.8 KB at most.
 */
import type { Channel } from '../customer/profile.ts';

/** What a request touches, for its size: the customer item, a history entry, a park, a small item. */
export type ItemKind = 'customer' | 'history' | 'park' | 'small';

export interface ItemBytes {
  /** Profile, consent, ledger, journey places: every write to it is billed on its whole size. */
  customer: number;
  history: number;
  /** The execution state a high-volume park keeps (trigger event, values, step results). */
  park: number;
  /** Wait registrations, message pointers, the figures' execution markers, index copies. */
  small: number;
  /** What one history Query reads (eventually consistent): a branch's window, an awaited event's. */
  historyQuery: number;
  /** The preferred hour's Query: up to 500 events of 90 days. */
  engagementQuery: number;
}

export const ASSUMED_ITEM_BYTES: ItemBytes = {
  customer: 1536,
  history: 800,
  park: 1536,
  small: 500,
  historyQuery: 4096,
  engagementQuery: 16_384,
};

/** DynamoDB requests of one call. */
export interface Requests {
  /** Strongly consistent GetItems, by the item read (a projection is billed on the whole item). */
  gets: ItemKind[];
  /** Eventually consistent Queries, by the bytes each reads. */
  queries: ('historyQuery' | 'engagementQuery')[];
  /** PutItem and UpdateItem, by the item written. */
  writes: ItemKind[];
  /** Copies into the bySentDay index (message entries only): billed writes of their own. */
  indexWrites: number;
  /**
   * The figures function's UpdateItem on the execution's marker, one per history entry that claims
   * a fact (a message, a system call's delivered engagement, a broadcast member's entry): batched
   * per stream batch, but an execution's entries are hours apart, so one each (docs/panel.md).
   */
  markerWrites: number;
}

const none: Requests = { gets: [], queries: [], writes: [], indexWrites: 0, markerWrites: 0 };

function requests(parts: Partial<Requests>): Requests {
  return { ...none, ...parts };
}

/** The Lambda functions a journey's entry calls. */
export type FunctionName = 'record' | 'steps' | 'deliver' | 'finish' | 'preferences';

/** One call of a function, as the model counts it. */
export type Call =
  | { kind: 'record' }
  | { kind: 'enter'; readsProfile: boolean; trigger: TriggerKind }
  | { kind: 'evaluate' }
  | { kind: 'schedule'; preferredHour: boolean }
  | { kind: 'updateProfile' }
  | { kind: 'awaitEvent' }
  | { kind: 'deliver'; channel: Channel; system: boolean; finishes: boolean }
  /** SES's delivery event for an email, which the preferences function files in the history. */
  | { kind: 'deliveryReport' }
  | { kind: 'finishOnEvent'; freedByStep: boolean }
  | { kind: 'finishTask' }
  | { kind: 'park'; awaits: boolean }
  | { kind: 'resume'; afterAwait: boolean }
  | { kind: 'recordFailure' };

/** How an entry starts: an event on the bus (yours or a segment entry), or a broadcast's member. */
export type TriggerKind = 'event' | 'segment-entry' | 'broadcast';

export type CallKind = Call['kind'];

/** Assumed warm durations at 1,024 MB on Arm, in ms: one SDK round trip is about 8 to 15 ms in-region. */
export const ASSUMED_DURATION_MS: Readonly<Record<CallKind | 'deliverSystem', number>> = {
  record: 25,
  enter: 30,
  evaluate: 40,
  schedule: 40,
  updateProfile: 45,
  awaitEvent: 35,
  // A read, a ledger write, the SES or SNS call (the longest part), the history write.
  deliver: 120,
  // A webhook waits on another company's endpoint (settings allow up to its timeoutSeconds).
  deliverSystem: 300,
  deliveryReport: 25,
  finishOnEvent: 15,
  finishTask: 30,
  park: 60,
  resume: 45,
  recordFailure: 25,
};

export function functionOf(call: Call): FunctionName {
  switch (call.kind) {
    case 'record':
      return 'record';
    case 'deliver':
      return 'deliver';
    case 'finishOnEvent':
      return 'finish';
    case 'deliveryReport':
      return 'preferences';
    case 'enter':
    case 'evaluate':
    case 'schedule':
    case 'updateProfile':
    case 'awaitEvent':
    case 'finishTask':
    case 'park':
    case 'resume':
    case 'recordFailure':
      return 'steps';
    default: {
      const unreachable: never = call;
      throw new Error(`Unknown call ${JSON.stringify(unreachable)}`);
    }
  }
}

export function durationMs(
  call: Call,
  durations: Readonly<Record<CallKind | 'deliverSystem', number>>,
): number {
  return call.kind === 'deliver' && call.system ? durations.deliverSystem : durations[call.kind];
}

/** The DynamoDB requests of one call on the normal path (a first attempt, no condition refused). */
export function requestsOf(call: Call): Requests {
  switch (call.kind) {
    case 'record':
      // recordPlainEvent (shared/runtime/record.ts): the history entry is also the claim, one
      // conditional put. A profile update or an event dated ahead takes the longer way (not counted).
      return requests({ writes: ['history'] });
    case 'enter':
      return requests({
        // isGenuineTrigger: a segment entry is checked against the member item.
        gets: [
          ...(call.trigger === 'segment-entry' ? (['small'] as const) : []),
          // Values read from the profile (enter, shared/runtime/steps.ts).
          ...(call.readsProfile ? (['customer'] as const) : []),
        ],
        // admit (shared/store/journeys.ts): one conditional UpdateItem on the customer item; a
        // broadcast member, which never went through record, gets its `entered` entry here.
        writes: ['customer', ...(call.trigger === 'broadcast' ? (['history'] as const) : [])],
        markerWrites: call.trigger === 'broadcast' ? 1 : 0,
      });
    case 'evaluate':
      // readCustomer, then readBranchHistory: one Query of the conditions' window.
      return requests({ gets: ['customer'], queries: ['historyQuery'] });
    case 'schedule':
      // readCustomer; a preferred hour also reads the recent events (readRecentEvents, one Query).
      return requests({ gets: ['customer'], queries: call.preferredHour ? ['engagementQuery'] : [] });
    case 'updateProfile':
      // updateCustomer: read, conditional write; then the journey's own history entry.
      return requests({ gets: ['customer'], writes: ['customer', 'history'] });
    case 'awaitEvent':
      // registerWait (shared/store/waits.ts), then readHistory since the step began.
      return requests({ writes: ['small'], queries: ['historyQuery'] });
    case 'deliver':
      return deliverRequests(call);
    case 'deliveryReport':
      // handlePreferenceEvent (shared/runtime/preferences.ts) for SES's Delivery event: the profile
      // read, the `delivered` engagement entry (which claims a figures fact). The request bench
      // counts these 2 beside the event's own 5.
      return requests({ gets: ['customer'], writes: ['history'], markerWrites: 1 });
    case 'finishOnEvent':
      // finishExecution (shared/runtime/finish.ts): nothing when the last send freed the place;
      // otherwise release and the end's history entry.
      return call.freedByStep ? none : requests({ writes: ['customer', 'history'] });
    case 'finishTask':
      // The finish task (steps.ts) of Express and high-volume runs: release, and the end's entry.
      return requests({ writes: ['customer', 'history'] });
    case 'park':
      // park (shared/runtime/parts.ts): the park item, one conditional put (writePark), then the
      // run's place (readMembership, a GetItem of the customer item); a waitForEvent also registers
      // (registerWait) and reads the history for an event that came first (awaitedEventSince, one
      // Query). Then CreateSchedule, which is no DynamoDB request.
      return call.awaits
        ? requests({ gets: ['customer'], writes: ['park', 'small'], queries: ['historyQuery'] })
        : requests({ gets: ['customer'], writes: ['park'] });
    case 'resume':
      // resume (parts.ts): the claim, one conditional UpdateItem that answers the park (ReturnValues
      // ALL_NEW: no read of its own), then the run's place (readMembership, a GetItem of the customer
      // item: a projection is billed on the whole item). After a waitForEvent the registration goes
      // (takeWait, a DeleteItem).
      return requests({
        gets: ['customer'],
        writes: ['park', ...(call.afterAwait ? (['small'] as const) : [])],
      });
    case 'recordFailure':
      return requests({ writes: ['history'] });
    default: {
      const unreachable: never = call;
      throw new Error(`Unknown call ${JSON.stringify(unreachable)}`);
    }
  }
}

/**
 * deliver (shared/runtime/deliver.ts), a message sent at the first try: readCustomer, the ledger's
 * conditional write (which also frees the place when the step `finishes`), the message's history
 * entry with its index copy; SMS and WhatsApp add the receipt pointer. A call that feeds a system
 * (deliverToSystem) has no ledger: it reads its earlier entry, writes the message and a delivered
 * engagement entry, and frees the place with a write of its own when it finishes.
 */
function deliverRequests(call: Extract<Call, { kind: 'deliver' }>): Requests {
  if (call.system) {
    return requests({
      gets: ['customer', 'history'],
      writes: ['history', 'history', ...(call.finishes ? (['customer'] as const) : [])],
      indexWrites: 1,
      markerWrites: 2,
    });
  }
  const pointer = call.channel === 'sms' || call.channel === 'whatsapp';
  return requests({
    gets: ['customer'],
    writes: ['customer', 'history', ...(pointer ? (['small'] as const) : [])],
    indexWrites: 1,
    markerWrites: 1,
  });
}

/** Read and write request units of these requests, at these item sizes. */
export function requestUnits(request: Requests, bytes: ItemBytes): { reads: number; writes: number } {
  const kb = (size: number, unit: number): number => Math.max(1, Math.ceil(size / unit));
  const reads =
    request.gets.reduce((sum, item) => sum + kb(bytes[item], 4096), 0) +
    request.queries.reduce((sum, query) => sum + kb(bytes[query], 4096) / 2, 0);
  const writes =
    request.writes.reduce((sum, item) => sum + kb(bytes[item], 1024), 0) +
    request.indexWrites * kb(bytes.history, 1024) +
    request.markerWrites * kb(bytes.small, 1024);
  return { reads, writes };
}

/** Request counts (what the request bench counts; the figures' marker writes are the stream's). */
export function requestCounts(request: Requests): { reads: number; writes: number } {
  return {
    reads: request.gets.length + request.queries.length,
    writes: request.writes.length + request.markerWrites,
  };
}
