/**
 * Send rates: at most so many messages a second per channel, account-wide
 * (settings `sendRates`, a stage may override), and for a journey at most
 * its own `sendRate`, which can only lower its channels' rates (Pinpoint's
 * MessagesPerSecond).
 *
 * Each rate is a bucket of shards; each shard hands out send slots spaced
 * evenly in time, in order of arrival (shared/store/send-rates.ts keeps one
 * item per shard). A shard holds at most MAX_SHARD_RATE a second, far below
 * DynamoDB's 1,000 writes a second per item, so a high rate never waits on
 * one hot item. Shard rates are whole numbers adding up to the bucket's, and
 * slots are spaced by a whole number of microseconds rounded up, so no
 * one-second window ever holds more than the rate.
 */
import type { Channel } from '../customer/profile.ts';

export const MAX_SHARD_RATE = 100;

export type SendRates = Partial<Record<Channel, number>>;

export interface RateBucket {
  /** `channel#email`, or `journey#<id>#email`: the store key of its shards. */
  readonly key: string;
  /** Messages a second, each shard's share; they add up to the bucket's rate. */
  readonly shardRates: readonly number[];
}

/**
 * Shares of `perSecond`, each at most MAX_SHARD_RATE, adding up to it: whole numbers, but for a
 * fraction of a message a second (a 10DLC number at 0.5), which the last shard carries.
 */
export function shardRates(perSecond: number): number[] {
  const whole = Math.floor(perSecond);
  const fraction = perSecond - whole;
  if (whole === 0) return [perSecond];
  const shards = Math.ceil(perSecond / MAX_SHARD_RATE);
  const base = Math.floor(whole / shards);
  const rates = Array.from({ length: shards }, (_, index) => base + (index < whole % shards ? 1 : 0));
  rates[shards - 1] = (rates[shards - 1] ?? 0) + fraction;
  return rates;
}

/**
 * How late a send may go after its slot before it takes a fresh one instead (the deliver function
 * checks right before calling the provider). Late wake-ups of a busy host would otherwise bunch sends.
 */
export const SLOT_TOLERANCE_MS = 25;

/**
 * Microseconds between two slots of a shard with this rate. Sends go at most SLOT_TOLERANCE_MS after
 * their slot, so a one-second window of sends holds the slots of a window that much longer: spacing
 * them by (1 s + tolerance) / rate, rounded up, keeps every one-second window of sends within the
 * rate, at the price of 2.5% of it.
 */
export function slotSpacingMicros(shardRate: number): number {
  return Math.ceil((1_000_000 + SLOT_TOLERANCE_MS * 1000) / shardRate);
}

/**
 * The buckets a send must hold a slot in: the account's rate for the channel, and the journey's own
 * when it sets one lower. None when neither is set: sends go out as fast as they come, as before.
 */
export function rateBuckets(
  channel: Channel,
  accountRates: SendRates,
  journey: { id: string; sendRate: number | undefined },
): RateBucket[] {
  const account = accountRates[channel];
  const buckets: RateBucket[] = [];
  if (journey.sendRate !== undefined && (account === undefined || journey.sendRate < account)) {
    buckets.push({ key: `journey#${journey.id}#${channel}`, shardRates: shardRates(journey.sendRate) });
  }
  if (account !== undefined) buckets.push({ key: `channel#${channel}`, shardRates: shardRates(account) });
  return buckets;
}

/**
 * A slot this close is waited for inside the function rather than through the state machine: cheaper
 * than a Wait state and a second Task, and well within the Task's timeout.
 */
export const WAIT_IN_FUNCTION_MS = 1_500;
