/**
 * How many customers a segment holds now, read through the store: the
 * profile items page by page (a Scan filtered on the profile's sort key, as
 * a broadcast reads them), each profile judged by `isMember`, the history
 * read only for segments that look at it. One read serves several segments,
 * so the panel sizes every segment with one Scan. What is kept is counts and
 * customer ids: no address leaves this module.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { isAudienceTrigger, type Journey } from '../journey/schema.ts';
import { type AudienceTriggerKind, audienceTriggerKind } from '../journey/trigger.ts';
import { isRecord } from '../json.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { StoreContext } from '../store/context.ts';
import { parseCustomerItem } from '../store/customers.ts';
import { readConditionHistory } from '../store/history.ts';
import { SORT } from '../store/table.ts';
import { historyReach, isMember, type Segment } from './segment.ts';

/** Profiles read per Scan page: as many as a broadcast's scan reads at once. */
export const PREVIEW_PAGE_ITEMS = 500;
/** History reads in flight at once, for segments that look at the history. */
const HISTORY_READS_IN_FLIGHT = 16;
/** Members listed by default: enough to recognise the audience. */
export const DEFAULT_SAMPLE_SIZE = 10;
/** The zone key of members whose profile names no time zone (a broadcast then uses the settings' zone). */
export const NO_ZONE = '';

export interface MemberSample {
  customerId: string;
  /** The profile's time zone; undefined when it names none. */
  timeZone?: string;
}

export interface SegmentPreview {
  segmentId: string;
  /** Members now. */
  count: number;
  /** Profiles read (members or not), damaged ones included. */
  scanned: number;
  /** Stored profiles that do not parse: left out of every segment. */
  damaged: number;
  /** The members with the smallest customer ids, in id order, at most the sample size. */
  sample: MemberSample[];
  /** Members by the time zone their profile names (`NO_ZONE` for none), zones in name order. */
  byZone: Record<string, number>;
  /** How far back the history was read for this segment, in seconds; undefined: not read. */
  historySeconds?: number;
}

export interface PreviewOptions {
  /** The instant membership is judged at (a local engine's virtual time). */
  now: Date;
  /** Members listed in each preview's sample; default 10, 0 for none. */
  sampleSize?: number;
  /** Profiles per Scan page; default PREVIEW_PAGE_ITEMS. */
  pageItems?: number;
}

/** One segment's size, its members by zone and a sample of their ids. */
export async function previewSegment(
  store: StoreContext,
  segment: Segment,
  options: PreviewOptions,
): Promise<SegmentPreview> {
  const [preview] = await previewSegments(store, [segment], options);
  if (preview === undefined) throw new Error(`No preview for segment ${segment.id}.`);
  return preview;
}

/** Several segments in one Scan of the profiles; previews in the order of `segments`. */
export async function previewSegments(
  store: StoreContext,
  segments: readonly Segment[],
  options: PreviewOptions,
): Promise<SegmentPreview[]> {
  const sampleSize = Math.max(0, options.sampleSize ?? DEFAULT_SAMPLE_SIZE);
  const reaches = segments.map((segment) => historyReach(segment));
  const longestReach = Math.max(0, ...reaches.map((reach) => reach ?? 0));
  const readsHistory = reaches.some((reach) => reach !== undefined);
  const tallies = segments.map((segment) => newTally(segment.id));
  let scanned = 0;
  let damaged = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await store.db.send(
      new ScanCommand({
        TableName: store.table,
        Limit: options.pageItems ?? PREVIEW_PAGE_ITEMS,
        ExclusiveStartKey: startKey,
        FilterExpression: 'sk = :profile',
        ExpressionAttributeValues: { ':profile': SORT.profile },
      }),
    );
    const items = page.Items ?? [];
    scanned += items.length;
    await mapWithConcurrency(items, HISTORY_READS_IN_FLIGHT, async (item) => {
      const read = parseCustomerItem(item);
      if (read.found !== true) {
        damaged += 1;
        return;
      }
      const { profile } = read.customer;
      const events = readsHistory
        ? await readConditionHistory(store, profile.customerId, longestReach, options.now)
        : [];
      segments.forEach((segment, index) => {
        const reach = reaches[index];
        const tally = tallies[index];
        if (tally === undefined) return;
        // Each condition counts only its own window of what was read (conditions.ts).
        const history = reach === undefined ? [] : events;
        if (!isMember(segment, { profile, history }, options.now)) return;
        countMember(tally, { customerId: profile.customerId, timeZone: profile.timeZone }, sampleSize);
      });
    });
    startKey = isRecord(page.LastEvaluatedKey) ? page.LastEvaluatedKey : undefined;
  } while (startKey !== undefined);
  return tallies.map((tally, index) => {
    const reach = reaches[index];
    return {
      segmentId: tally.segmentId,
      count: tally.count,
      scanned,
      damaged,
      sample: tally.sample,
      byZone: Object.fromEntries([...tally.byZone].sort(([a], [b]) => a.localeCompare(b))),
      ...(reach === undefined ? {} : { historySeconds: reach }),
    };
  });
}

interface Tally {
  segmentId: string;
  count: number;
  sample: MemberSample[];
  byZone: Map<string, number>;
}

function newTally(segmentId: string): Tally {
  return { segmentId, count: 0, sample: [], byZone: new Map() };
}

function countMember(tally: Tally, member: { customerId: string; timeZone?: string }, size: number): void {
  tally.count += 1;
  const zone = member.timeZone ?? NO_ZONE;
  tally.byZone.set(zone, (tally.byZone.get(zone) ?? 0) + 1);
  // The smallest ids seen so far, kept sorted: the same sample whatever order the Scan returns.
  const sample: MemberSample = {
    customerId: member.customerId,
    ...(member.timeZone === undefined ? {} : { timeZone: member.timeZone }),
  };
  const last = tally.sample[tally.sample.length - 1];
  if (tally.sample.length >= size && (last === undefined || last.customerId <= member.customerId)) return;
  const at = tally.sample.findIndex((kept) => kept.customerId > member.customerId);
  tally.sample.splice(at === -1 ? tally.sample.length : at, 0, sample);
  if (tally.sample.length > size) tally.sample.pop();
}

/**
 * The customer's events of the last `seconds` before `now`, oldest first: what history conditions read.
 * The same reading as shared/runtime/condition-history.ts, over the store alone.
 */
export interface SegmentUse {
  journeyId: string;
  /** A one-off broadcast, a recurring one, or entry into the segment. */
  kind: AudienceTriggerKind;
}

/** The journeys that start from each segment, by segment id, in the journeys' order. */
export function segmentUses(journeys: readonly Journey[]): Map<string, SegmentUse[]> {
  const uses = new Map<string, SegmentUse[]>();
  for (const journey of journeys) {
    if (!isAudienceTrigger(journey.trigger)) continue;
    const use = { journeyId: journey.id, kind: audienceTriggerKind(journey.trigger) };
    uses.set(journey.trigger.segment, [...(uses.get(journey.trigger.segment) ?? []), use]);
  }
  return uses;
}
