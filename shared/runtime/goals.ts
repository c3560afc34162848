/**
 * Events that end journeys: stop the customer's open executions of every
 * journey that exits on the event, and for a goal, record the conversion
 * with its attribution to the journey's messages.
 */
import type { HistoryEntryOf, MessageRef } from '../customer/history.ts';
import { parseCustomerEnvelope } from '../events/envelope.ts';
import { matchesPattern } from '../events/pattern.ts';
import { attributeConversion } from '../journey/attribution.ts';
import { matcherPattern } from '../journey/rules.ts';
import { businessKey } from '../journey/business-key.ts';
import type { Journey } from '../journey/schema.ts';
import { appendHistory, appendJourneyEntry, readHistory } from '../store/history.ts';
import { claimGoalFact, ENTRY_MARKER_DAYS, readMembership, release } from '../store/journeys.ts';
import { durationSeconds } from '../time/duration.ts';
import { stopRun } from './parts.ts';
import { isRunId } from '../contract/parts.ts';
import type { Runtime } from './runtime.ts';

type ExitMatcher = Journey['exitOn'][number];

export interface JourneyExit {
  journeyId: string;
  stopped: number;
  converted: boolean;
}

export type GoalOutcome =
  | { status: 'handled'; customerId: string; exits: JourneyExit[] }
  | { status: 'rejected'; problems: string[] };

export async function handleExitEvent(input: unknown, runtime: Runtime): Promise<GoalOutcome> {
  const parsed = parseCustomerEnvelope(input, runtime.project.events);
  if (!parsed.ok) return { status: 'rejected', problems: parsed.problems };
  const { event, customerId } = parsed;
  const exits: JourneyExit[] = [];
  for (const journey of runtime.project.journeys) {
    const matching = journey.exitOn.filter((matcher) =>
      matchesPattern(matcherPattern(matcher, runtime.project.events), event),
    );
    if (matching.length === 0) continue;
    // The first goal matcher counts the conversion, with its own business key if it names one.
    const goal = matching.find((matcher) => matcher.goal);
    exits.push(await exitJourney(runtime, journey, customerId, event, goal));
  }
  return { status: 'handled', customerId: customerId, exits };
}

async function exitJourney(
  runtime: Runtime,
  journey: Journey,
  customerId: string,
  event: { id: string; 'detail-type': string; time: string; detail: Record<string, unknown> },
  goal: ExitMatcher | undefined,
): Promise<JourneyExit> {
  const membership = await readMembership(runtime.store, customerId, journey.id);
  const reason = `${event['detail-type']} (${goal === undefined ? 'exit' : 'goal'})`;
  let stopped = 0;
  for (const executionId of membership.active) {
    if (await stopRun(runtime, customerId, executionId, `The customer reached ${reason}`)) stopped += 1;
    const { released } = await release(runtime.store, customerId, journey.id, executionId);
    // A high-volume run whose part freed the place meanwhile (its last send, its finish) recorded its end.
    if (isRunId(executionId) && !released) continue;
    const exited: HistoryEntryOf<'journey'> = {
      kind: 'journey',
      time: runtime.now().toISOString(),
      journeyId: journey.id,
      executionId,
      action: 'exited',
      reason,
    };
    await appendJourneyEntry(runtime.store, customerId, exited, event.id);
  }
  if (goal === undefined) return { journeyId: journey.id, stopped, converted: false };
  const windowStart = new Date(Date.parse(event.time) - durationSeconds(journey.attributionWindow) * 1000);
  const history = await readHistory(runtime.store, customerId, windowStart.toISOString(), event.time);
  // A call that fed another system (an ads audience) is not a message the customer saw: no touch.
  const messages: MessageRef[] = history.flatMap(({ entry }) =>
    entry.kind === 'message' && entry.journeyId === journey.id && entry.reaches !== 'system'
      ? [
          {
            journeyId: entry.journeyId,
            executionId: entry.executionId,
            stepId: entry.stepId,
            channel: entry.channel,
            time: entry.time,
          },
        ]
      : [],
  );
  // A customer neither in the journey nor reached by it did not convert because of it.
  if (messages.length === 0 && membership.active.length === 0)
    return { journeyId: journey.id, stopped, converted: false };
  if (!(await countsOnce(runtime, journey, customerId, event, goal))) {
    return { journeyId: journey.id, stopped, converted: false };
  }
  const attribution = attributeConversion(messages);
  const conversion: HistoryEntryOf<'conversion'> = {
    kind: 'conversion',
    time: event.time,
    journeyId: journey.id,
    executionId: attribution.lastTouch?.executionId ?? membership.active[0] ?? '',
    eventId: event.id,
    detailType: event['detail-type'],
    ...attribution,
  };
  await appendHistory(runtime.store, customerId, conversion, `conversion#${journey.id}#${event.id}`);
  return { journeyId: journey.id, stopped, converted: true };
}

/**
 * A goal with a business key (`dedupeBy`) counts once per key and journey: a resent order under a
 * new event id and a later time is the same order. The conversion's history key holds the event
 * time, so only a marker of the key can tell. A goal event lacking a key field counts by its id.
 */
async function countsOnce(
  runtime: Runtime,
  journey: Journey,
  customerId: string,
  event: { id: string; detail: Record<string, unknown> },
  goal: ExitMatcher,
): Promise<boolean> {
  if (goal.dedupeBy === undefined) return true;
  const key = businessKey(event.detail, goal.dedupeBy);
  if (key.kind === 'missing') return true;
  // Remembered as long as a copy could still count: the entry markers' memory, or a longer window.
  const rememberSeconds = Math.max(ENTRY_MARKER_DAYS * 86_400, durationSeconds(journey.attributionWindow));
  const countedBy = await claimGoalFact(
    runtime.store,
    customerId,
    journey.id,
    key.hash,
    event.id,
    runtime.now(),
    rememberSeconds,
  );
  return countedBy === event.id;
}
