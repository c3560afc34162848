/**
 * How an event changes a customer: a profile update merges its fields, and
 * every event the customer caused counts toward their engagement hours (the
 * local hours they tend to act in, which the preferred-hour wait uses).
 */
import type { CatalogEventType, EventDetail } from '../events/catalog.ts';
import { localParts } from '../time/zone.ts';
import type { Channel, CustomerProfile } from './profile.ts';

export type ProfileUpdate = EventDetail<'customer.profile.updated'>;

/** An event already checked against the catalog; a profile update carries its parsed detail. */
export type CustomerEvent =
  | { detailType: 'customer.profile.updated'; time: string; update: ProfileUpdate }
  | { detailType: Exclude<CatalogEventType, 'customer.profile.updated'>; time: string };

/** When each channel's consent last changed, by whatever changed it (a profile event, an unsubscribe click). */
export type ConsentChangedAt = Partial<Record<Channel, string>>;

export interface CustomerState {
  profile: CustomerProfile;
  engagementByHour: number[];
  consentChangedAt: ConsentChangedAt;
}

export interface ProfileChange extends CustomerState {
  /** Profile fields this event changed, for the history and the logs (names only, never values). */
  changed: string[];
  /** A profile update older than the profile's last one: recorded, not applied. */
  stale: boolean;
}

// Events a system sends about the customer rather than ones the customer caused.
const NOT_ENGAGEMENT: ReadonlySet<CatalogEventType> = new Set([
  'customer.profile.updated',
  'retargeting.audience.requested',
]);

export function emptyCustomer(customerId: string): CustomerState {
  return {
    profile: {
      customerId,
      consent: { email: 'unknown', sms: 'unknown', push: 'unknown' },
      attributes: {},
      tags: [],
    },
    engagementByHour: new Array<number>(24).fill(0),
    consentChangedAt: {},
  };
}

export function applyEvent(
  state: CustomerState,
  event: CustomerEvent,
  fallbackTimeZone: string,
): ProfileChange {
  const engagementByHour = [...state.engagementByHour];
  if (!NOT_ENGAGEMENT.has(event.detailType)) {
    const hour = localParts(new Date(event.time), state.profile.timeZone ?? fallbackTimeZone).hour;
    engagementByHour[hour] = (engagementByHour[hour] ?? 0) + 1;
  }
  if (!('update' in event)) {
    return { ...state, engagementByHour, changed: [], stale: false };
  }
  const lastUpdate =
    state.profile.updatedAt === undefined ? Number.NEGATIVE_INFINITY : Date.parse(state.profile.updatedAt);
  if (Date.parse(event.time) < lastUpdate) {
    return { ...state, engagementByHour, changed: [], stale: true };
  }
  return { ...mergeProfileUpdate(state, event.update, event.time), engagementByHour, stale: false };
}

/** Only the fields present change; attributes merge key by key (null removes one); tags are added or removed. */
function mergeProfileUpdate(
  { profile, consentChangedAt }: CustomerState,
  update: ProfileUpdate,
  time: string,
): { profile: CustomerProfile; consentChangedAt: ConsentChangedAt; changed: string[] } {
  const consentTimes: ConsentChangedAt = { ...consentChangedAt };
  const next: CustomerProfile = {
    ...profile,
    consent: { ...profile.consent },
    attributes: { ...profile.attributes },
    tags: [...profile.tags],
    updatedAt: time,
  };
  const changed: string[] = [];
  if (update.email !== undefined) next.email = update.email;
  if (update.phone !== undefined) next.phone = update.phone;
  if (update.push !== undefined) next.push = update.push;
  if (update.timeZone !== undefined) next.timeZone = update.timeZone;
  if (update.locale !== undefined) next.locale = update.locale;
  for (const field of ['email', 'phone', 'push', 'timeZone', 'locale'] as const) {
    if (update[field] !== undefined) changed.push(field);
  }
  for (const channel of ['email', 'sms', 'push'] as const) {
    const status = update.consent?.[channel];
    const lastChange = consentTimes[channel];
    // A consent older than the last change (say, an unsubscribe click) must not undo it.
    if (status !== undefined && (lastChange === undefined || Date.parse(time) >= Date.parse(lastChange))) {
      next.consent[channel] = status;
      consentTimes[channel] = time;
      changed.push(`consent.${channel}`);
    }
  }
  for (const [name, value] of Object.entries(update.attributes ?? {})) {
    // JSON has no "remove": null is how a producer deletes an attribute.
    if (value === null) delete next.attributes[name];
    else next.attributes[name] = value;
    changed.push(`attributes.${name}`);
  }
  const add = update.tags?.add ?? [];
  const remove = new Set(update.tags?.remove ?? []);
  if (add.length > 0 || remove.size > 0) {
    next.tags = mergeTags(next.tags, add, [...remove]);
    changed.push('tags');
  }
  return { profile: next, consentChangedAt: consentTimes, changed };
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
