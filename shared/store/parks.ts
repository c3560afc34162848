/**
 * High-volume runs parked at a wait: the execution state kept between two
 * parts, and who took it. A park is written once (a part run twice finds
 * it and leaves it as it is) and taken once: the first of its schedule and
 * its awaited event claims it by a conditional write, and only the same
 * claimant (a copy of that part) may claim it again.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { eventMatcherSchema } from '../journey/schema.ts';
import type { AwaitedContinuation } from '../contract/parts.ts';
import { epochSeconds, isConditionFailure, queryAll, type StoreContext } from './context.ts';
import { customerKey, parkPrefix, TTL_ATTRIBUTE } from './table.ts';

/** Kept this long after its wake: a park claimed or exited stays as the run's trace, then TTL tidies. */
const KEEP_AFTER_WAKE_SECONDS = 14 * 86_400;

export type ParkStatus = 'waiting' | 'resumed' | 'exited';

export interface Park {
  /** Its key in the customer's partition: what a schedule and a registration name it by. */
  sk: string;
  customerId: string;
  journeyId: string;
  runId: string;
  /** The state that parked: a wait step, a waitForEvent, a send's quiet hours or send slot. */
  stateName: string;
  next: string;
  awaits?: AwaitedContinuation;
  /** The execution state as JSON text: kept whole, whatever its nesting. */
  state: string;
  /** The time of the part that parked: the next part's time comes after it. */
  partAt: string;
  /** When the wait began: an awaited event from then on counts, whichever copy of the part asks. */
  since: string;
  wakeAt: string;
  /** The schedule that wakes it, in the stage's group. */
  schedule: string;
  status: ParkStatus;
  /** `schedule` or `event:<id>`: who took it. */
  claimedBy?: string;
  /** When it was first taken: the next part's time, the same for every copy of that part. */
  claimedAt?: string;
}

const parkSchema = z.object({
  sk: z.string(),
  customerId: z.string(),
  journeyId: z.string(),
  runId: z.string(),
  stateName: z.string(),
  next: z.string(),
  awaits: z.object({ event: eventMatcherSchema, next: z.string() }).optional(),
  state: z.string(),
  partAt: z.string(),
  since: z.string(),
  wakeAt: z.string(),
  schedule: z.string(),
  status: z.enum(['waiting', 'resumed', 'exited']),
  claimedBy: z.string().optional(),
  claimedAt: z.string().optional(),
});

export type ParkWrite = { written: true } | { written: false; existing: Park | undefined };

/** Writes the park unless this visit parked before (a part run twice): then what is there. */
export async function writePark(
  store: StoreContext,
  park: Omit<Park, 'status' | 'claimedBy' | 'claimedAt'>,
): Promise<ParkWrite> {
  const key = { pk: customerKey(park.customerId), sk: park.sk };
  try {
    await store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: {
          ...key,
          ...park,
          status: 'waiting',
          [TTL_ATTRIBUTE]: epochSeconds(new Date(park.wakeAt)) + KEEP_AFTER_WAKE_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(sk)',
      }),
    );
    return { written: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return { written: false, existing: await readPark(store, park.customerId, park.sk) };
  }
}

/** Takes back a park written for a run that ended meanwhile (an erasure between check and write). */
export async function deletePark(store: StoreContext, customerId: string, sk: string): Promise<void> {
  await store.db.send(
    new DeleteCommand({ TableName: store.table, Key: { pk: customerKey(customerId), sk } }),
  );
}

export async function readPark(
  store: StoreContext,
  customerId: string,
  sk: string,
): Promise<Park | undefined> {
  const read = await store.db.send(
    new GetCommand({
      TableName: store.table,
      Key: { pk: customerKey(customerId), sk },
      ConsistentRead: true,
    }),
  );
  const parsed = parkSchema.safeParse(read.Item);
  return parsed.success ? withoutUndefined(parsed.data) : undefined;
}

export type Claim = { claimed: true; park: Park } | { claimed: false; park: Park | undefined };

/**
 * Takes the park for `by` if it is waiting, or again if `by` took it already (a copy of the part):
 * the first claim's time stays, so every copy of the next part runs under the same part time. That
 * time is after the parked part's, even on a clock that stood still (a wake that was due at once).
 */
export async function claimPark(
  store: StoreContext,
  customerId: string,
  sk: string,
  by: string,
  now: Date,
  partAt: string | undefined,
): Promise<Claim> {
  const after = partAt === undefined ? Number.NaN : Date.parse(partAt) + 1;
  const claimAt = new Date(Number.isNaN(after) ? now.getTime() : Math.max(now.getTime(), after));
  try {
    const updated = await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: { pk: customerKey(customerId), sk },
        UpdateExpression:
          'SET #status = :resumed, claimedBy = :by, claimedAt = if_not_exists(claimedAt, :now)',
        ConditionExpression:
          'attribute_exists(sk) AND (#status = :waiting OR (#status = :resumed AND claimedBy = :by))',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':resumed': 'resumed',
          ':waiting': 'waiting',
          ':by': by,
          ':now': claimAt.toISOString(),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const parsed = parkSchema.safeParse(updated.Attributes);
    if (!parsed.success) throw new Error(`The park ${sk} is damaged: ${z.prettifyError(parsed.error)}`);
    return { claimed: true, park: withoutUndefined(parsed.data) };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return { claimed: false, park: await readPark(store, customerId, sk) };
  }
}

/** Marks the run's waiting parks exited (a goal, an exit event): their schedules find nothing to resume. */
export async function exitParks(store: StoreContext, customerId: string, runId: string): Promise<Park[]> {
  const exited: Park[] = [];
  for (const park of await parksOfRun(store, customerId, runId)) {
    if (park.status !== 'waiting') continue;
    try {
      await store.db.send(
        new UpdateCommand({
          TableName: store.table,
          Key: { pk: customerKey(customerId), sk: park.sk },
          UpdateExpression: 'SET #status = :exited',
          ConditionExpression: '#status = :waiting',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':exited': 'exited', ':waiting': 'waiting' },
        }),
      );
      exited.push(park);
    } catch (error) {
      // Taken meanwhile by its schedule or event: that part finds the run gone from the customer's place.
      if (!isConditionFailure(error)) throw error;
    }
  }
  return exited;
}

/** The run's parks: whether it still waits somewhere, and when it last moved (for releaseEnded). */
export async function parksOfRun(store: StoreContext, customerId: string, runId: string): Promise<Park[]> {
  const { pk, prefix } = parkPrefix(customerId, runId);
  const items = await queryAll(store, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
    ConsistentRead: true,
  });
  return items.flatMap((item) => {
    const parsed = parkSchema.safeParse(item);
    return parsed.success ? [withoutUndefined(parsed.data)] : [];
  });
}

/** zod's optional fields come back as `undefined` keys; a Park leaves them out. */
function withoutUndefined(parsed: z.infer<typeof parkSchema>): Park {
  const { awaits, claimedBy, claimedAt, ...rest } = parsed;
  return {
    ...rest,
    ...(awaits === undefined ? {} : { awaits }),
    ...(claimedBy === undefined ? {} : { claimedBy }),
    ...(claimedAt === undefined ? {} : { claimedAt }),
  };
}
