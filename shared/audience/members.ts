/**
 * How a broadcast names what it does for one member: the execution name
 * (the same for the same member and run, so a retried batch finds the
 * execution it started before) and the trigger the journey starts with (the
 * same event id for the whole run, so the journey's own entry claim admits a
 * member once per run even if two executions were started).
 */
import { createHash } from 'node:crypto';
import type { TriggerEnvelope } from '../contract/tasks.ts';
import { AUDIENCE_SOURCE, BROADCAST_MEMBER, type BroadcastMember } from '../events/audience-events.ts';

/** At most 80 characters of [A-Za-z0-9_-], as StartExecution takes them. */
export function memberExecutionName(runId: string, customerId: string): string {
  const run = runId.replace(/[^0-9A-Za-z]/g, '');
  const member = createHash('sha256').update(customerId).digest('hex').slice(0, 40);
  return `b${run}-${member}`;
}

export function broadcastEventId(journeyId: string, runId: string): string {
  return `broadcast:${journeyId}:${runId}`;
}

/** What a member's execution starts with: shaped as the EventBridge event a trigger rule would hand it. */
export function memberTrigger(
  member: BroadcastMember,
  account: string,
  region: string,
): TriggerEnvelope & {
  version: string;
  account: string;
  region: string;
  resources: string[];
} {
  return {
    version: '0',
    id: broadcastEventId(member.journeyId, member.run),
    'detail-type': BROADCAST_MEMBER,
    source: AUDIENCE_SOURCE,
    account,
    time: member.scheduledFor,
    region,
    resources: [],
    detail: { ...member },
  };
}

/** The run a member execution belongs to, read back from its name, for progress figures. */
export function runOfExecutionName(name: string): string | undefined {
  const match = /^b(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})-[0-9a-f]{40}$/.exec(name);
  return match === null ? undefined : `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}`;
}
