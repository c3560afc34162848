/**
 * Send rates as the data shows them: which executions wait for a send slot now, and the rate each
 * channel reached.
 *
 * The rate reached is the most messages sent in any one second: a sliding window over the history's
 * message entries (the deliver function's times, to the millisecond), every journey and customer
 * together, since `settings.sendRates` is account-wide. Whole clock seconds would miss a burst that
 * straddles one: ten messages from 12:00:00.600 to 12:00:01.400 are ten in one second, though no
 * clock second holds more than five, and a provider's limit counts them as ten.
 */
import { type Channel, channelSchema } from '../customer/profile.ts';
import type { ExecutionPosition, SendRateRow } from './types.ts';

/** `settings.sendRates`: messages a second per channel; a channel left out has no limit. */
export type ConfiguredSendRates = Readonly<Partial<Record<Channel, number>>>;

const WINDOW_MS = 1000;

/**
 * The Wait state a send step parks in until its slot comes (compileSend in shared/journey/compile.ts
 * names it so; test/report/send-rates.test.ts compiles a send to keep the two in step).
 */
export function rateWaitState(stepId: string): string {
  return `${stepId}.rateWait`;
}

/** A running execution in its current step's rate wait: the message is waiting for its slot. */
export function isWaitingForSlot(position: ExecutionPosition): boolean {
  return (
    position.status === 'running' &&
    position.current !== undefined &&
    position.currentState === rateWaitState(position.current)
  );
}

export interface Peak {
  /** The most times in one window [t, t + 1 s). */
  count: number;
  /** Where the first such window starts: its first time; undefined for no times. */
  startsAt?: number;
}

/**
 * The busiest one-second window over times sorted oldest first. Two pointers: each time joins the
 * window once and leaves it once, so the cost is linear in the times. Every busiest window can be
 * slid right until it starts at one of the times, so windows starting at a time are all it checks.
 */
export function peakInOneSecond(sorted: readonly number[]): Peak {
  let peak: Peak = { count: 0 };
  let start = 0;
  for (const [end, endAt] of sorted.entries()) {
    let startAt = sorted[start];
    while (startAt !== undefined && startAt <= endAt - WINDOW_MS) {
      start += 1;
      startAt = sorted[start];
    }
    const count = end - start + 1;
    // Strictly more: among equal windows the earliest is the one shown.
    if (count > peak.count) peak = { count, ...(startAt === undefined ? {} : { startsAt: startAt }) };
  }
  return peak;
}

/**
 * One row per channel, in channelSchema's order: the peak from each channel's message times (epoch ms, in
 * any order; each list is sorted once here), beside the configured rate when there is one.
 */
export function sendRateRows(
  timesByChannel: Readonly<Record<Channel, readonly number[]>>,
  configured: ConfiguredSendRates | undefined,
): SendRateRow[] {
  return channelSchema.options.map((channel) => {
    // A time that does not parse was not sent at any moment this can place.
    const sorted = timesByChannel[channel].filter(Number.isFinite).sort((a, b) => a - b);
    const peak = peakInOneSecond(sorted);
    const rate = configured?.[channel];
    return {
      channel,
      ...(rate === undefined ? {} : { configured: rate }),
      peakPerSecond: peak.count,
      ...(peak.startsAt === undefined ? {} : { peakAt: new Date(peak.startsAt).toISOString() }),
    };
  });
}
