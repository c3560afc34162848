/**
 * Send slots, one item per shard of a rate bucket (`RATE#<bucket>` / `SHARD#<n>`), holding the next
 * free slot in microseconds since the epoch. Taking a slot is one conditional write, or two when the
 * shard is already booked ahead: the first claims "now" when the shard is free, the second moves the
 * booking on by one spacing and answers the slot it had. Slots follow the order writes arrive in.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type RateBucket, slotSpacingMicros } from '../delivery/send-rates.ts';
import type { StoreContext } from './context.ts';

const RATE_PREFIX = 'RATE#';
const SHARD_PREFIX = 'SHARD#';
/** Two writers on one shard can each lose one condition; a few rounds settle it. */
const MAX_ROUNDS = 8;

function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** The first free slot of one shard at or after `notBefore`, taken. */
async function takeShardSlot(
  store: StoreContext,
  key: { pk: string; sk: string },
  spacing: number,
  notBefore: number,
): Promise<number> {
  for (let round = 0; round < MAX_ROUNDS; round += 1) {
    try {
      await store.db.send(
        new UpdateCommand({
          TableName: store.table,
          Key: key,
          UpdateExpression: 'SET nextMicros = :after',
          ConditionExpression: 'attribute_not_exists(nextMicros) OR nextMicros <= :notBefore',
          ExpressionAttributeValues: { ':after': notBefore + spacing, ':notBefore': notBefore },
        }),
      );
      return notBefore;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    try {
      const booked = await store.db.send(
        new UpdateCommand({
          TableName: store.table,
          Key: key,
          UpdateExpression: 'SET nextMicros = nextMicros + :spacing',
          ConditionExpression: 'nextMicros > :notBefore',
          ExpressionAttributeValues: { ':spacing': spacing, ':notBefore': notBefore },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      const slot: unknown = booked.Attributes?.nextMicros;
      if (typeof slot === 'number') return slot;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
  throw new Error(`Could not take a send slot of ${key.pk} after ${MAX_ROUNDS} rounds.`);
}

export interface SendSlot {
  /** When the send may go. */
  at: Date;
  /** How many of the buckets, in order, hold a slot at `at`: all of them, or fewer when one was far. */
  taken: number;
}

/**
 * Slots in the buckets in order, each not before the one before: the send may go at the answer. A
 * slot beyond `horizon` stops there, held: the next buckets are asked when it comes, so a journey
 * slow by its own rate does not book the channel's slots ahead and leave them empty for others.
 */
export async function takeSendSlot(
  store: StoreContext,
  buckets: readonly RateBucket[],
  now: Date,
  horizon: Date,
  pick: (shards: number) => number = (shards) => Math.floor(Math.random() * shards),
): Promise<SendSlot> {
  let at = now.getTime() * 1000;
  let taken = 0;
  for (const bucket of buckets) {
    const shard = pick(bucket.shardRates.length);
    const rate = bucket.shardRates[shard] ?? bucket.shardRates[0] ?? 1;
    const key = { pk: `${RATE_PREFIX}${bucket.key}`, sk: `${SHARD_PREFIX}${shard}` };
    at = await takeShardSlot(store, key, slotSpacingMicros(rate), at);
    taken += 1;
    if (at > horizon.getTime() * 1000) break;
  }
  return { at: new Date(Math.ceil(at / 1000)), taken };
}
