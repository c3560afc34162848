/**
 * Moving a local host through time: put events at their moments, and let
 * everything due happen, jumping from one wait to the next. `simulate`, the
 * demo and the tests use it; with a scaled clock the same plan plays in
 * (accelerated) real time.
 */
import type { EventEnvelope } from '../../shared/events/catalog.ts';
import { localEnvelope } from './envelope.ts';
import type { LocalHost } from './host.ts';

export interface PlannedEvent {
  /** Seconds after the plan starts. */
  offsetSeconds: number;
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}

/** A year: no journey lasts longer, so a run that goes further has lost its way. */
const HORIZON_MS = 366 * 86_400_000;

/**
 * Puts each event when its moment comes, then lets the journeys run to their end. With a manual
 * clock this takes as long as the work does; with a scaled clock it takes the scaled time.
 */
export async function playPlan(
  host: LocalHost,
  plan: readonly PlannedEvent[],
  publish: (event: EventEnvelope) => Promise<void> = (event) => Promise.resolve(host.engine.publish(event)),
): Promise<void> {
  const start = host.clock.now().getTime();
  for (const event of [...plan].sort((a, b) => a.offsetSeconds - b.offsetSeconds)) {
    const moment = new Date(start + event.offsetSeconds * 1000);
    await moveTo(host, moment);
    const { source, detailType, detail } = event;
    await publish(localEnvelope({ source, detailType, detail, time: host.clock.now().toISOString() }));
    await host.engine.idle();
  }
  await runUntilQuiet(host);
}

/** Lets everything due happen, wait after wait, until nothing is left to wait for. */
async function runUntilQuiet(host: LocalHost): Promise<void> {
  const limit = host.clock.now().getTime() + HORIZON_MS;
  for (;;) {
    await host.engine.idle();
    const next = host.clock.nextDue();
    if (next === undefined || next.getTime() > limit) return;
    await moveTo(host, next);
  }
}

async function moveTo(host: LocalHost, moment: Date): Promise<void> {
  if (host.clock.mode.kind === 'manual') {
    await host.advanceTo(moment);
    return;
  }
  await host.clock.sleepUntil(moment);
  await host.engine.idle();
}
