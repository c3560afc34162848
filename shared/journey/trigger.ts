/**
 * What starts a journey, as one event matcher whatever the trigger: an event
 * trigger is its own matcher; an audience trigger starts on the runtime's own
 * event for its segment (a broadcast member, or a segment entry). Everything
 * downstream (the state machine's input, references to `event.*`, templates,
 * entry and dedupe) then treats both alike.
 */
import { AUDIENCE_SOURCE, BROADCAST_MEMBER, SEGMENT_ENTERED } from '../events/audience-events.ts';
import { type AudienceTrigger, type EventMatcher, isAudienceTrigger, type Trigger } from './schema.ts';

export type AudienceTriggerKind = 'once' | 'recurring' | 'enter';

export function audienceTriggerKind(trigger: AudienceTrigger): AudienceTriggerKind {
  if (trigger.on !== undefined) return 'enter';
  return trigger.cron === undefined ? 'once' : 'recurring';
}

// Built once per trigger object: matchers are compared by identity when patterns are cached.
const matchers = new WeakMap<AudienceTrigger, EventMatcher>();

export function triggerMatcher(trigger: Trigger): EventMatcher {
  if (!isAudienceTrigger(trigger)) return trigger;
  const known = matchers.get(trigger);
  if (known !== undefined) return known;
  const matcher: EventMatcher = {
    event: audienceTriggerKind(trigger) === 'enter' ? SEGMENT_ENTERED : BROADCAST_MEMBER,
    source: AUDIENCE_SOURCE,
    filter: { segment: [trigger.segment] },
  };
  matchers.set(trigger, matcher);
  return matcher;
}

/** Broadcasts are started by a schedule, not by a rule on the bus. */
export function isBroadcastTrigger(trigger: Trigger): trigger is AudienceTrigger {
  return isAudienceTrigger(trigger) && audienceTriggerKind(trigger) !== 'enter';
}

/** How a trigger reads in lists and logs. */
export function describeTrigger(trigger: Trigger): string {
  if (!isAudienceTrigger(trigger)) return trigger.event;
  switch (audienceTriggerKind(trigger)) {
    case 'enter':
      return `entering segment ${trigger.segment}`;
    case 'once':
      return `segment ${trigger.segment} at ${trigger.at ?? ''} (${trigger.timeZone ?? 'settings zone'})`;
    case 'recurring':
      return `segment ${trigger.segment} on "${trigger.cron ?? ''}" (${trigger.timeZone ?? 'settings zone'})`;
  }
}
