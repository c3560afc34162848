/**
 * Segment entry: after an event changed a customer's profile or history,
 * each segment an active journey enters on is evaluated again; a customer
 * newly in it gets one `waymark.segment.entered` event on the bus, which the
 * journey's rule starts from. A customer who left is marked out, so coming
 * back later enters again.
 */
import type { CustomerProfile } from '../customer/profile.ts';
import { createHash } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { historyReach, isMember, type Segment } from '../audience/segment.ts';
import { AUDIENCE_SOURCE, SEGMENT_ENTERED } from '../events/audience-events.ts';
import { isAudienceTrigger } from '../journey/schema.ts';
import { audienceTriggerKind } from '../journey/trigger.ts';
import { readCustomer } from '../store/customers.ts';
import { readConditionHistory } from '../store/history.ts';
import { enterSegment, leaveSegment } from '../store/segment-members.ts';
import { customerKey, SORT } from '../store/table.ts';
import type { Runtime } from './runtime.ts';

/** The segments some active journey enters on. */
export function entrySegments(runtime: Runtime): Segment[] {
  const ids = new Set(
    runtime.project.journeys.flatMap((journey) =>
      journey.status === 'active' &&
      isAudienceTrigger(journey.trigger) &&
      audienceTriggerKind(journey.trigger) === 'enter'
        ? [journey.trigger.segment]
        : [],
    ),
  );
  return [...ids].sort().flatMap((id) => {
    const segment = runtime.project.segments.get(id);
    return segment === undefined ? [] : [segment];
  });
}

export interface SegmentChanges {
  entered: string[];
  left: string[];
}

/**
 * Runs before the event is marked recorded: a crash in between makes EventBridge's retry do it again,
 * and the retry, carrying the same event id, re-sends the same entry event (same id) at most.
 */
export async function updateSegmentEntries(
  runtime: Runtime,
  customerId: string,
  causeEventId: string,
  /** The profile the caller just wrote (or found current): not read again. */
  known?: CustomerProfile,
): Promise<SegmentChanges> {
  const segments = entrySegments(runtime);
  if (segments.length === 0) return { entered: [], left: [] };
  const profile = known ?? (await currentProfile(runtime, customerId));
  if (profile === undefined) return { entered: [], left: [] };
  const now = runtime.now();
  const reach = Math.max(0, ...segments.map((segment) => historyReach(segment) ?? 0));
  const history = await readConditionHistory(runtime.store, customerId, reach, now);
  const current = await currentMemberships(runtime, customerId);
  const changes: SegmentChanges = { entered: [], left: [] };
  for (const segment of segments) {
    const member = isMember(segment, { profile, history }, now);
    if (!member) {
      if (current.has(segment.id)) {
        await leaveSegment(runtime.store, customerId, segment.id);
        changes.left.push(segment.id);
      }
      continue;
    }
    if (current.has(segment.id) && current.get(segment.id) !== causeEventId) continue;
    const entryId = entryEventId(customerId, segment.id, causeEventId);
    if (!(await enterSegment(runtime.store, customerId, segment.id, now, causeEventId, entryId))) continue;
    if (runtime.publisher === undefined)
      throw new Error('Segment entries need the bus: this function was not given an event publisher.');
    await runtime.publisher.publish({
      id: entryId,
      detailType: SEGMENT_ENTERED,
      source: AUDIENCE_SOURCE,
      time: now.toISOString(),
      detail: { customerId, segment: segment.id, entryId },
    });
    changes.entered.push(segment.id);
  }
  return changes;
}

/** The same entry, caused by the same event, always has the same id: a redelivery enters nobody twice. */
function entryEventId(customerId: string, segmentId: string, causeEventId: string): string {
  return createHash('sha256')
    .update(`${customerId}\n${segmentId}\n${causeEventId}`)
    .digest('hex')
    .slice(0, 36);
}

/** The entry segments the customer is marked in, with the event that let them in. */
async function currentMemberships(runtime: Runtime, customerId: string): Promise<Map<string, string>> {
  const result = await runtime.store.db.send(
    new QueryCommand({
      TableName: runtime.store.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': customerKey(customerId), ':prefix': SORT.segmentPrefix },
      ConsistentRead: true,
    }),
  );
  return new Map(
    (result.Items ?? []).flatMap((item) =>
      typeof item.sk === 'string'
        ? [
            [
              item.sk.slice(SORT.segmentPrefix.length),
              typeof item.byEventId === 'string' ? item.byEventId : '',
            ],
          ]
        : [],
    ),
  );
}

async function currentProfile(runtime: Runtime, customerId: string): Promise<CustomerProfile | undefined> {
  const read = await readCustomer(runtime.store, customerId);
  return read.found === true ? read.customer.profile : undefined;
}
