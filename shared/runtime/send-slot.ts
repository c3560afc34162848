/**
 * The send-rate step of a delivery, after consent and quiet hours and before the caps' reservation:
 * take a slot in the channel's (and the journey's) rate, and either wait for it here, when it is a
 * moment away, or answer `rate-limited` so the state machine waits for it (a Wait state, no Lambda
 * running) and calls again with the slot it holds.
 */
import type { DeliverTask, DeliveryOutcome } from '../contract/tasks.ts';
import type { Channel } from '../customer/profile.ts';
import { decideReservation, effectiveCaps } from '../delivery/caps.ts';
import {
  type RateBucket,
  rateBuckets,
  SLOT_TOLERANCE_MS,
  WAIT_IN_FUNCTION_MS,
} from '../delivery/send-rates.ts';
import type { CustomerRecord } from '../store/customers.ts';
import { takeSendSlot } from '../store/send-rates.ts';
import { deliveryKey } from './delivery-history.ts';
import type { Runtime } from './runtime.ts';

export type RateLimited = Extract<DeliveryOutcome, { status: 'rate-limited' }>;

/**
 * `send`, at a slot a moment away (waited for right before the provider is called, so the time spent
 * reserving the caps does not bunch sends together), or now; `wait` for a later slot. A message the
 * caps would refuse, or one an earlier attempt reserved, takes no slot.
 */
export type SlotDecision =
  { kind: 'send'; slot: HeldSlot | undefined } | { kind: 'wait'; outcome: RateLimited };

/** A slot a moment away, and how to take a fresh one (in every bucket) when the wait for it overran. */
export interface HeldSlot {
  at: Date;
  retake: () => Promise<Date>;
  channel: Channel;
  /** The buckets a fresh slot holds: all of the send's. */
  buckets: readonly RateBucket[];
}

export type SlotWait = { onTime: true } | { onTime: false; outcome: RateLimited };

const MAX_RETAKES = 4;
/** A fresh slot further than this after an overrun is not waited for: the Task's timeout comes first. */
const MAX_RETAKE_WAIT_MS = 5_000;

export async function waitForSendSlot(
  runtime: Runtime,
  task: DeliverTask,
  customer: CustomerRecord,
  channel: Channel,
  timeZone: string,
): Promise<SlotDecision> {
  const { settings } = runtime.project;
  const all = rateBuckets(channel, settings.sendRates, { id: task.journeyId, sendRate: task.sendRate });
  // No rate for this channel or journey: sends go out as fast as they come, as before.
  if (all.length === 0) return SEND_NOW;
  const now = runtime.now();
  // A slot the step already holds covers its first buckets, the rest are asked now; a held slot the
  // state machine woke up late for is stale (late wake-ups together would bunch sends) and replaced.
  const holds =
    task.slot?.channel === channel && now.getTime() - Date.parse(task.slot.at) <= SLOT_TOLERANCE_MS;
  const held = holds ? (task.slot?.taken ?? 0) : 0;
  const buckets = all.slice(held);
  const far = new Date(Number.MAX_SAFE_INTEGER / 1000);
  const retake = async (): Promise<Date> => (await takeSendSlot(runtime.store, all, runtime.now(), far)).at;
  if (buckets.length === 0) {
    // Held and on time: checked again right before the provider is called.
    const heldAt = task.slot === undefined ? now : new Date(task.slot.at);
    return { kind: 'send', slot: { at: heldAt, retake, channel, buckets: all } };
  }
  const decision = decideReservation(
    customer.ledger,
    { key: deliveryKey(task), channel, journeyId: task.journeyId, category: task.category, now, timeZone },
    effectiveCaps(settings.caps, task.caps),
  );
  if (decision.kind !== 'reserve') return SEND_NOW;
  const canWaitHere = runtime.sleepUntil !== undefined;
  const horizon = new Date(now.getTime() + (canWaitHere ? WAIT_IN_FUNCTION_MS : 0));
  const { at: slot, taken } = await takeSendSlot(runtime.store, buckets, now, horizon);
  const waitMs = slot.getTime() - now.getTime();
  // Due now: still checked right before the provider is called, as the caps' write comes between.
  if (taken === buckets.length && waitMs <= 0)
    return { kind: 'send', slot: { at: slot, retake, channel, buckets: all } };
  if (taken === buckets.length && waitMs <= WAIT_IN_FUNCTION_MS && runtime.sleepUntil !== undefined) {
    return { kind: 'send', slot: { at: slot, retake, channel, buckets: all } };
  }
  return { kind: 'wait', outcome: rateLimited(channel, buckets, slot, held + taken) };
}

const SEND_NOW: SlotDecision = { kind: 'send', slot: undefined };

/**
 * Waits for the slot right before the provider is called. A wait that overran takes a fresh slot;
 * a fresh slot far off is not waited for here: the caller gives back the caps' reservation and the
 * step waits for it in the state machine, holding it.
 */
export async function sendWhenDue(runtime: Runtime, slot: HeldSlot | undefined): Promise<SlotWait> {
  if (slot === undefined || runtime.sleepUntil === undefined) return ON_TIME;
  let at = slot.at;
  for (let round = 0; round < MAX_RETAKES; round += 1) {
    await runtime.sleepUntil(at);
    if (runtime.now().getTime() - at.getTime() <= SLOT_TOLERANCE_MS) return ON_TIME;
    at = await slot.retake();
    if (at.getTime() - runtime.now().getTime() > MAX_RETAKE_WAIT_MS) {
      return { onTime: false, outcome: rateLimited(slot.channel, slot.buckets, at, slot.buckets.length) };
    }
  }
  // Overran every time on a host too busy to keep time: go now rather than never.
  return ON_TIME;
}

const ON_TIME: SlotWait = { onTime: true };

function rateLimited(channel: Channel, buckets: readonly RateBucket[], at: Date, taken: number): RateLimited {
  const rates = buckets.map((bucket) => `${bucket.shardRates.reduce((sum, rate) => sum + rate, 0)}/s`);
  return {
    status: 'rate-limited',
    resumeAt: at.toISOString(),
    reason: `${channel}: its send slot (${rates.join(' and ')}) is at ${at.toISOString()}`,
    channel,
    taken,
  };
}
