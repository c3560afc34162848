/**
 * The send-slot store on its own, against DynamoDB-compatible storage: many deliveries taking
 * slots at once never put more than the rate into any one-second window, and each gets its own.
 */
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SHARD_RATE, rateBuckets, shardRates, slotSpacingMicros } from '../shared/delivery/send-rates.ts';
import { sendWhenDue } from '../shared/runtime/send-slot.ts';
import { takeSendSlot } from '../shared/store/send-rates.ts';
import { createTestRuntime, localServicesForFile } from './support/runtime-services.ts';

const services = localServicesForFile();
const NOW = new Date('2026-11-18T12:00:00.000Z');
const FAR = new Date('2100-01-01T00:00:00.000Z');

function peakPerSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last += 1) {
    while ((sorted[last] ?? 0) - (sorted[first] ?? 0) >= 1000) first += 1;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}

describe('rate buckets', () => {
  it('split a rate into shards of at most 100 a second that add up to it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), (rate) => {
        const shards = shardRates(rate);
        expect(shards.reduce((sum, share) => sum + share, 0)).toBe(rate);
        expect(Math.max(...shards)).toBeLessThanOrEqual(MAX_SHARD_RATE);
        // Whole microseconds rounded up: a second never holds one slot more than the share.
        for (const share of shards)
          expect(Math.floor(1_000_000 / slotSpacingMicros(share))).toBeLessThanOrEqual(share);
      }),
    );
  });

  it("ask a journey's own rate only when it is lower than the channel's", () => {
    expect(rateBuckets('email', { email: 14 }, { id: 'j', sendRate: 5 }).map((bucket) => bucket.key)).toEqual(
      ['journey#j#email', 'channel#email'],
    );
    expect(
      rateBuckets('email', { email: 14 }, { id: 'j', sendRate: 50 }).map((bucket) => bucket.key),
    ).toEqual(['channel#email']);
    expect(rateBuckets('sms', {}, { id: 'j', sendRate: undefined })).toEqual([]);
  });
});

describe('taking send slots', () => {
  it('gives 500 concurrent takers distinct slots, never more than 250 in a second, over three shards', async () => {
    const { store } = await createTestRuntime(services);
    const buckets = rateBuckets('email', { email: 250 }, { id: 'burst', sendRate: undefined });
    expect(buckets[0]?.shardRates).toHaveLength(3);
    const slots = await Promise.all(
      Array.from({ length: 500 }, (_, index) =>
        takeSendSlot(store, buckets, NOW, FAR, (shards) => index % shards),
      ),
    );
    const times = slots.map((slot) => slot.at.getTime());
    expect(peakPerSecond(times)).toBeLessThanOrEqual(250);
    expect(Math.max(...times) - NOW.getTime()).toBeLessThan(2100);
    // Slots within one shard are all different; across shards they may coincide.
    for (let shard = 0; shard < 3; shard += 1) {
      const own = times.filter((_, index) => index % 3 === shard);
      expect(new Set(own).size).toBe(own.length);
    }
  });

  it('stops at a far slot of the journey without booking the channel ahead', async () => {
    const { store } = await createTestRuntime(services);
    const buckets = rateBuckets('sms', { sms: 10 }, { id: 'slow', sendRate: 1 });
    const first = await takeSendSlot(store, buckets, NOW, NOW);
    const second = await takeSendSlot(store, buckets, NOW, NOW);
    expect(first).toEqual({ at: NOW, taken: 2 });
    expect(second).toEqual({ at: new Date(NOW.getTime() + slotSpacingMicros(1) / 1000), taken: 1 });
    // The channel was not booked for that second slot: another journey's message goes at once.
    const other = rateBuckets('sms', { sms: 10 }, { id: 'fast', sendRate: undefined });
    expect((await takeSendSlot(store, other, NOW, NOW)).at.getTime()).toBeLessThan(NOW.getTime() + 200);
  });
});

describe('waiting for a slot right before sending', () => {
  /** A clock that moves only when slept on, as a deliver function's would, one invocation alone. */
  async function clockedRuntime(start: Date, overrun: number) {
    let now = start.getTime();
    const runtime = await createTestRuntime(services);
    return {
      ...runtime,
      now: () => new Date(now),
      sleepUntil: (at: Date) => {
        // Wakes `overrun` ms late, as a busy host does.
        now = Math.max(now, at.getTime() + overrun);
        return Promise.resolve();
      },
    };
  }
  const buckets = rateBuckets('email', { email: 50 }, { id: 'j', sendRate: undefined });

  it('sends on time, and takes a fresh slot instead of going late', async () => {
    const onTime = await clockedRuntime(NOW, 10);
    expect(
      await sendWhenDue(onTime, {
        at: NOW,
        retake: () => Promise.reject(new Error('not needed')),
        channel: 'email',
        buckets,
      }),
    ).toEqual({ onTime: true });
    const late = await clockedRuntime(NOW, 100);
    const fresh: Date[] = [];
    const retake = (): Promise<Date> => {
      const at = new Date(late.now().getTime() + 20);
      fresh.push(at);
      return Promise.resolve(at);
    };
    // Always 100 ms late: every fresh slot is missed too, and after a few it goes rather than never.
    expect(await sendWhenDue(late, { at: NOW, retake, channel: 'email', buckets })).toEqual({ onTime: true });
    expect(fresh.length).toBeGreaterThan(1);
  });

  it('hands a far fresh slot back to the state machine as rate-limited, holding every bucket', async () => {
    const late = await clockedRuntime(NOW, 100);
    const far = new Date(NOW.getTime() + 30_000);
    const wait = await sendWhenDue(late, {
      at: NOW,
      retake: () => Promise.resolve(far),
      channel: 'email',
      buckets,
    });
    expect(wait).toEqual({
      onTime: false,
      outcome: expect.objectContaining({
        status: 'rate-limited',
        resumeAt: far.toISOString(),
        channel: 'email',
        taken: 1,
      }),
    });
  });
});
