/**
 * Frequency caps and "never the same message twice", decided on the
 * customer's send ledger: the recent sends kept on the profile item. The
 * store writes the decision back only if the ledger has not changed since it
 * was read (a version check), so concurrent deliveries for one customer
 * cannot both take the last slot of a cap, and a retried delivery finds its
 * own record and sends nothing.
 */
import * as z from 'zod';
import { channelSchema, type Channel } from '../customer/profile.ts';
import type { CapRule } from '../journey/schema.ts';
import { capWindowStart, longestWindowSeconds } from './cap-windows.ts';

export const sendRecordSchema = z.object({
  /** The idempotency key of the delivery (execution, step, and visit for steps in a loop). */
  key: z.string(),
  channel: channelSchema,
  journeyId: z.string(),
  category: z.enum(['marketing', 'transactional']),
  time: z.string(),
  /**
   * Until when the record must stay: the longest window of the caps it counts toward. Decided when
   * it is written, so another journey's shorter caps never drop it early.
   */
  keepUntil: z.string(),
});
export type SendRecord = z.infer<typeof sendRecordSchema>;

export interface Ledger {
  /** 0 when the customer has never been sent anything. */
  version: number;
  sends: SendRecord[];
}

/** A cap as it applies to one journey's message: whose sends it counts, and its limit. */
export interface EffectiveCap {
  id: string;
  channels: 'any' | Channel[];
  limit: number;
  window: CapRule['window'];
  /** Global caps count every journey's sends; a journey's own cap counts only that journey's. */
  scope: 'all-journeys' | 'this-journey';
}

/** Global caps, lowered where the journey repeats a global id, plus the journey's own caps. */
export function effectiveCaps(
  globalCaps: readonly CapRule[],
  journeyCaps: readonly CapRule[],
): EffectiveCap[] {
  const byId = new Map(journeyCaps.map((cap) => [cap.id, cap]));
  const caps: EffectiveCap[] = globalCaps.map((cap) => ({
    ...cap,
    limit: Math.min(cap.limit, byId.get(cap.id)?.limit ?? cap.limit),
    scope: 'all-journeys',
  }));
  const globalIds = new Set(globalCaps.map((cap) => cap.id));
  for (const cap of journeyCaps) {
    if (!globalIds.has(cap.id)) caps.push({ ...cap, scope: 'this-journey' });
  }
  return caps;
}

export interface SendRequest {
  key: string;
  channel: Channel;
  journeyId: string;
  category: 'marketing' | 'transactional';
  now: Date;
  /** The customer's zone: calendar windows start at their midnight. */
  timeZone: string;
}

export type ReservationDecision =
  | { kind: 'already-sent'; record: SendRecord }
  | { kind: 'capped'; capId: string; limit: number; count: number; windowStart: string }
  | { kind: 'reserve'; record: SendRecord; sends: SendRecord[] };

/** Records kept at least this long, so a late retry still finds its delivery. */
const MIN_KEEP_SECONDS = 2 * 86_400;

export function decideReservation(
  ledger: Ledger,
  request: SendRequest,
  caps: readonly EffectiveCap[],
): ReservationDecision {
  const existing = ledger.sends.find((record) => record.key === request.key);
  if (existing !== undefined) return { kind: 'already-sent', record: existing };
  if (request.category === 'marketing') {
    for (const cap of caps) {
      if (!capCovers(cap, request)) continue;
      const windowStart = capWindowStart(request.now, request.timeZone, cap.window);
      const count = sendsInWindow(ledger, cap, request.journeyId, windowStart);
      if (count >= cap.limit) {
        return {
          kind: 'capped',
          capId: cap.id,
          limit: cap.limit,
          count,
          windowStart: windowStart.toISOString(),
        };
      }
    }
  }
  const now = request.now.getTime();
  const keepSeconds = Math.max(MIN_KEEP_SECONDS, longestWindowSeconds(caps.map((cap) => cap.window)));
  const record: SendRecord = {
    key: request.key,
    channel: request.channel,
    journeyId: request.journeyId,
    category: request.category,
    time: request.now.toISOString(),
    keepUntil: new Date(now + keepSeconds * 1000).toISOString(),
  };
  // Old records are dropped as the ledger is rewritten, so it stays small without relying on TTL.
  const sends = [...ledger.sends.filter((entry) => Date.parse(entry.keepUntil) >= now), record];
  return { kind: 'reserve', record, sends };
}

/** The ledger without one delivery's record: the message could not go out on that channel after all. */
export function withoutRecord(ledger: Ledger, key: string): SendRecord[] {
  return ledger.sends.filter((record) => record.key !== key);
}

function capCovers(cap: EffectiveCap, request: SendRequest): boolean {
  return cap.channels === 'any' || cap.channels.includes(request.channel);
}

function countsToward(cap: EffectiveCap, record: SendRecord, journeyId: string): boolean {
  if (record.category !== 'marketing') return false;
  if (cap.channels !== 'any' && !cap.channels.includes(record.channel)) return false;
  return cap.scope === 'all-journeys' || record.journeyId === journeyId;
}

/** How much of each global cap a customer has used in its current window: what the panel shows. */
export interface CapUsage {
  capId: string;
  channels: 'any' | Channel[];
  limit: number;
  used: number;
  window: CapRule['window'];
  windowStart: string;
}

export function capUsage(
  ledger: Ledger,
  globalCaps: readonly CapRule[],
  now: Date,
  timeZone: string,
): CapUsage[] {
  return effectiveCaps(globalCaps, []).map((cap) => {
    const windowStart = capWindowStart(now, timeZone, cap.window);
    return {
      capId: cap.id,
      channels: cap.channels,
      limit: cap.limit,
      // Global caps count every journey's sends, so any journey id reads the same.
      used: sendsInWindow(ledger, cap, '', windowStart),
      window: cap.window,
      windowStart: windowStart.toISOString(),
    };
  });
}

function sendsInWindow(ledger: Ledger, cap: EffectiveCap, journeyId: string, windowStart: Date): number {
  return ledger.sends.filter(
    (record) => countsToward(cap, record, journeyId) && Date.parse(record.time) >= windowStart.getTime(),
  ).length;
}

export function describeCap(decision: Extract<ReservationDecision, { kind: 'capped' }>): string {
  return `Cap "${decision.capId}" reached: ${decision.count} of ${decision.limit} messages since ${decision.windowStart}.`;
}
