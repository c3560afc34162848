/**
 * How an event changes a customer: a profile update merges field by field,
 * in whatever order updates arrive.
 *
 * EventBridge does not keep order, and producers' clocks drift. So each
 * field (a contact, each channel's consent, each attribute, each tag) keeps
 * the time of the update that last set it, and an update changes only the
 * fields it is newer for. Removing an attribute or a tag keeps its time too,
 * so an older "add" cannot bring it back.
 */
import type { ProfileUpdate } from '../events/built-in.ts';
import {
  type Channel,
  channelSchema,
  consentOnEveryChannel,
  type ConsentStatus,
  type CustomerProfile,
  type JsonValue,
} from './profile.ts';

export type { ProfileUpdate };

/** An event already checked against the catalog; a profile update carries its parsed detail. */
export type CustomerEvent =
  | {
      kind: 'profile-update';
      time: string;
      id: string;
      /** When Waymark received it: an opt-in never counts from later than that. */
      receivedAt: string;
      update: ProfileUpdate;
    }
  | {
      kind: 'other';
      time: string;
      id: string;
      /** The customer caused it (the event file's `x-waymark.engagement`, true unless it says false). */
      engagement: boolean;
    };

/** Who set a field and when: the update's time, and the event (or click) that carried it. */
export interface FieldStamp {
  at: string;
  by: string;
}

/**
 * Stamps by field path: `email`, `phone`, `push`, `timeZone`, `locale`, `consent.<channel>`,
 * `attributes.<name>`, `tags.<tag>`. A path without a stamp was never set by a timed update.
 */
export type FieldStamps = Record<string, FieldStamp>;

export interface CustomerState {
  profile: CustomerProfile;
  engagementByHour: number[];
  fieldStamps: FieldStamps;
}

export interface ProfileChange extends CustomerState {
  /** Profile fields this event changed, for the history and the logs (names only, never values). */
  changed: string[];
  /** Fields the update carried that a newer update had already set: kept as they were. */
  older: string[];
  /** Every field the update carried was already set by this very update: a redelivery, nothing to write. */
  repeated: boolean;
}

/** One field an update sets (undefined: removes an attribute or a tag), as a path and a value. */
export type FieldChange =
  | { path: 'email' | 'phone' | 'timeZone' | 'locale'; value: string }
  | { path: 'push'; value: NonNullable<CustomerProfile['push']> }
  | { path: 'consent'; channel: Channel; value: ConsentStatus }
  | { path: 'attribute'; name: string; value: JsonValue | undefined }
  | { path: 'tag'; tag: string; present: boolean };

export function emptyCustomer(customerId: string): CustomerState {
  return {
    profile: {
      customerId,
      consent: consentOnEveryChannel('unknown'),
      attributes: {},
      tags: [],
    },
    engagementByHour: new Array<number>(24).fill(0),
    fieldStamps: {},
  };
}

/** When a channel's consent last changed, by whatever changed it (a profile event, an unsubscribe click). */
export function consentChangedAt(stamps: FieldStamps, channel: Channel): string | undefined {
  return stamps[`consent.${channel}`]?.at;
}

export function applyEvent(state: CustomerState, event: CustomerEvent): ProfileChange {
  // Any other event leaves the profile as it is: the hours the customer acts in are read from the
  // history when a preferred-hour wait needs them (engagement-hours.ts), not counted on every event.
  if (event.kind === 'other') return { ...state, changed: [], older: [], repeated: false };
  const merged = mergeFields(
    state,
    fieldChanges(event.update),
    { at: event.time, by: event.id },
    event.receivedAt,
  );
  return { ...merged, engagementByHour: state.engagementByHour };
}

/** The fields a profile update carries: only those present; attribute null removes one. */
export function fieldChanges(update: ProfileUpdate): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const path of ['email', 'phone', 'timeZone', 'locale'] as const) {
    const value = update[path];
    if (value !== undefined) changes.push({ path, value });
  }
  if (update.push !== undefined) changes.push({ path: 'push', value: update.push });
  for (const channel of channelSchema.options) {
    const value = update.consent?.[channel];
    if (value !== undefined) changes.push({ path: 'consent', channel, value });
  }
  for (const [name, value] of Object.entries(update.attributes ?? {})) {
    // JSON has no "remove": null is how a producer deletes an attribute.
    changes.push({ path: 'attribute', name, value: value === null ? undefined : value });
  }
  for (const tag of update.tags?.add ?? []) changes.push({ path: 'tag', tag, present: true });
  for (const tag of update.tags?.remove ?? []) changes.push({ path: 'tag', tag, present: false });
  return changes;
}

/**
 * Sets each field the stamp is newer for (or as new: the later arrival wins a tie), except that an
 * opt-out is never replaced by an opt-in of the same instant. An opt-in counts from `receivedAt` at
 * the latest: dated a few minutes ahead by a producer's clock, it would otherwise outrank an opt-out
 * the customer sent after it arrived. Pure: the caller writes the result.
 */
export function mergeFields(
  { profile, engagementByHour, fieldStamps }: CustomerState,
  changes: readonly FieldChange[],
  stamp: FieldStamp,
  receivedAt?: string,
): ProfileChange {
  const next: CustomerProfile = {
    ...profile,
    consent: { ...profile.consent },
    attributes: { ...profile.attributes },
    tags: [...profile.tags],
  };
  const stamps: FieldStamps = { ...fieldStamps };
  const changed: string[] = [];
  const older: string[] = [];
  let repeats = 0;
  const at = Date.parse(stamp.at);
  const optInAt =
    receivedAt !== undefined && Date.parse(receivedAt) < at ? { ...stamp, at: receivedAt } : stamp;
  for (const change of changes) {
    const path = fieldPath(change);
    const optIn = change.path === 'consent' && change.value !== 'opted-out';
    const own = optIn ? optInAt : stamp;
    const ownAt = Date.parse(own.at);
    const previous = stamps[path];
    // Against the stamps as read: a second change to one path within this update is not a repeat.
    const stored = fieldStamps[path];
    if (stored?.by === own.by && stored.at === own.at) {
      repeats += 1;
      continue;
    }
    const previousAt = previous === undefined ? Number.NEGATIVE_INFINITY : Date.parse(previous.at);
    const keepsOptOut =
      change.path === 'consent' &&
      ownAt === previousAt &&
      change.value !== 'opted-out' &&
      next.consent[change.channel] === 'opted-out';
    // Tags are reported as one field: a tag's name may say more about a person than a log should.
    const reported = change.path === 'tag' ? 'tags' : path;
    if (ownAt < previousAt || keepsOptOut) {
      older.push(reported);
      continue;
    }
    setField(next, change);
    stamps[path] = own;
    changed.push(reported);
    // The newest stamp on the profile: an opt-in capped at its receipt counts from there here too.
    if (next.updatedAt === undefined || Date.parse(next.updatedAt) < ownAt) next.updatedAt = own.at;
  }
  return {
    profile: next,
    engagementByHour,
    fieldStamps: stamps,
    changed: unique(changed),
    older: unique(older),
    repeated: changes.length > 0 && repeats === changes.length,
  };
}

function fieldPath(change: FieldChange): string {
  switch (change.path) {
    case 'email':
    case 'phone':
    case 'timeZone':
    case 'locale':
    case 'push':
      return change.path;
    case 'consent':
      return `consent.${change.channel}`;
    case 'attribute':
      return `attributes.${change.name}`;
    case 'tag':
      return `tags.${change.tag}`;
    default: {
      const unreachable: never = change;
      throw new Error(`Unknown field change ${JSON.stringify(unreachable)}`);
    }
  }
}

function setField(profile: CustomerProfile, change: FieldChange): void {
  switch (change.path) {
    case 'email':
    case 'phone':
    case 'timeZone':
    case 'locale':
      profile[change.path] = change.value;
      return;
    case 'push':
      profile.push = change.value;
      return;
    case 'consent':
      profile.consent[change.channel] = change.value;
      return;
    case 'attribute':
      if (change.value === undefined) delete profile.attributes[change.name];
      else profile.attributes[change.name] = change.value;
      return;
    case 'tag':
      profile.tags = change.present
        ? mergeTags(profile.tags, [change.tag], [])
        : mergeTags(profile.tags, [], [change.tag]);
      return;
    default: {
      const unreachable: never = change;
      throw new Error(`Unknown field change ${JSON.stringify(unreachable)}`);
    }
  }
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Tags with `add` added and `remove` taken away, each once, in the order they came. */
export function mergeTags(
  tags: readonly string[],
  add: readonly string[],
  remove: readonly string[],
): string[] {
  const removed = new Set(remove);
  return [...new Set([...tags, ...add])].filter((tag) => !removed.has(tag));
}
