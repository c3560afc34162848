/**
 * How fast a broadcast lets members in: no faster than its first message
 * can go out. Entering a million members at once when email goes at 14 a
 * second would leave nearly all of them waiting for a send slot in an open
 * execution (Step Functions allows 1,000,000 open per account); paced,
 * each member's execution starts about when its message can be sent.
 */
import type { SendRates } from '../delivery/send-rates.ts';
import { stepById, stepEdges } from '../journey/graph.ts';
import { type Journey, sendChannels, type StepOfType } from '../journey/schema.ts';

/** The first send a member reaches from the start (breadth first), if any. */
export function firstSend(journey: Journey): StepOfType<'send'> | undefined {
  const seen = new Set<string>();
  const queue = [journey.start];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    if (seen.has(id)) continue;
    seen.add(id);
    const step = stepById(journey, id);
    if (step === undefined) continue;
    if (step.type === 'send') return step;
    queue.push(...stepEdges(step).map((edge) => edge.to));
  }
  return undefined;
}

/** Members a second the broadcast enters: the rate of its first send's first channel; undefined for no limit. */
export function entryRate(journey: Journey, accountRates: SendRates): number | undefined {
  const send = firstSend(journey);
  const channel = send === undefined ? undefined : sendChannels(send)[0];
  if (channel === undefined) return undefined;
  const rates = [journey.sendRate, accountRates[channel]].filter(
    (rate): rate is number => rate !== undefined,
  );
  return rates.length === 0 ? undefined : Math.min(...rates);
}

/** Each enter task starts at most this much of the rate's worth of members, then waits for the next window. */
export const PACE_WINDOW_SECONDS = 60;

/** Members one worker (of `workers` in parallel) may start per window, at least one. */
export function membersPerWindow(rate: number, workers: number): number {
  return Math.max(1, Math.floor((rate * PACE_WINDOW_SECONDS) / workers));
}
