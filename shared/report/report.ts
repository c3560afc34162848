/**
 * The figures of the panel and `waymark report`, from the customers as the store reads them and
 * the executions as Step Functions lists them. Pure: the callers read, this counts.
 *
 * Where each figure comes from:
 * - journey totals (entered, completed, exited, failed), messages, skips and conversions: the
 *   customers' history entries, the same ones the timeline shows;
 * - open executions (`active`): the customers' journey membership items;
 * - per step `entered` and `waiting`: the executions (each visit of a step counts; the retry of a
 *   send after quiet hours is the same visit); `waitingForSlot`: the running ones whose state is
 *   the step's rate wait (shared/report/send-rates.ts);
 * - per step `exited`: the step named by the `exited` entry, or else the step the execution was
 *   in when it stopped (goal exits stop the execution from outside and name no step);
 * - send rates reached (shared/report/send-rates.ts): the message entries' times per channel, the
 *   most in any one second, beside `sendRates` when the caller gives the settings';
 * - coordination (shared/report/coordination.ts): the customers' message entries by customer-day
 *   in the profile's time zone (else UTC); what caps and quiet hours held back is the not-sent
 *   report's own count;
 * - trigger to first message (shared/report/first-message.ts): from the trigger event's own time
 *   when the history holds it, else from the `entered` entry; to the earliest message of the
 *   execution;
 * - engagement (shared/report/engagement.ts): the message entries and the engagement entries with
 *   their message ids, per message: delivered, opened (a click counts as an open), clicked, bounced
 *   and complained, over the messages sent at each step on each channel.
 */
import type { EventCatalog } from '../events/catalog.ts';
import type { HistoryEntry, HistoryEntryOf } from '../customer/history.ts';
import { type Channel, channelSchema, perChannel } from '../customer/profile.ts';
import { assertNever, stepEdges, stepById } from '../journey/graph.ts';
import type { Journey } from '../journey/schema.ts';
import type { CustomerOverview } from '../store/overview.ts';
import { checkCompliance } from './compliance.ts';
import { checkCoordination } from './coordination.ts';
import { checkEngagement } from './engagement.ts';
import { firstMessageLatencies, type Latency, latencySummary } from './first-message.ts';
import { countSkip, newNotSent } from './not-sent.ts';
import { type ConfiguredSendRates, isWaitingForSlot, sendRateRows } from './send-rates.ts';
import type {
  AttributionRow,
  ChannelReport,
  ExecutionPosition,
  FunnelStage,
  JourneyReport,
  Report,
  StepCounts,
} from './types.ts';

export interface ReportInput {
  customers: readonly CustomerOverview[];
  /** The project's event types: where each keeps the customer id, for matching triggers. */
  events: EventCatalog;
  journeys: readonly Journey[];
  executions: readonly ExecutionPosition[];
  now: Date;
  /** Journeys whose executions were read only up to a limit, as the reader reports them. */
  executionsLimited?: readonly string[];
  /** settings.sendRates, shown beside the rate each channel reached; undefined: none shown. */
  sendRates?: ConfiguredSendRates;
}

const CHANNELS = channelSchema.options;

export function buildReport(input: ReportInput): Report {
  const history = input.customers.flatMap((customer) =>
    customer.history.map(({ entry }) => ({ customerId: customer.customerId, entry })),
  );
  const positionsById = new Map(input.executions.map((position) => [position.executionId, position]));
  const journeyIds = orderedJourneyIds(input.journeys, history, input.executions);
  const tallies = new Map(
    journeyIds.map((journeyId) => [
      journeyId,
      newTally(input.journeys.find((journey) => journey.id === journeyId)),
    ]),
  );
  const tallyOf = (journeyId: string): JourneyTally => {
    const known = tallies.get(journeyId);
    if (known !== undefined) return known;
    const tally = newTally(undefined);
    tallies.set(journeyId, tally);
    return tally;
  };

  const attribution = new Map<string, AttributionRow>();
  const attributionRow = (journeyId: string, stepId: string, channel: Channel): AttributionRow => {
    const key = JSON.stringify([journeyId, stepId, channel]);
    const row = attribution.get(key) ?? { journeyId, stepId, channel, sent: 0, lastTouch: 0, linear: 0 };
    attribution.set(key, row);
    return row;
  };
  const notSent = newNotSent();
  const deferredSteps = new Map<string, number>();
  const messageTimes = new Map<string, number[]>();
  const sendTimes: Record<Channel, number[]> = perChannel((): number[] => []);

  for (const { customerId, entry } of history) {
    switch (entry.kind) {
      // Engagement is paired with its messages by checkEngagement (shared/report/engagement.ts).
      case 'event':
      case 'preference':
      case 'engagement':
        break;
      case 'journey':
        countJourneyEntry(tallyOf(entry.journeyId), customerId, entry, positionsById);
        break;
      case 'message': {
        const tally = tallyOf(entry.journeyId);
        stepOf(tally, entry.stepId).sent[entry.channel] += 1;
        tally.messaged.add(entry.executionId);
        addTo(tally.sentBySendStep, entry.stepId, entry.executionId);
        const at = Date.parse(entry.time);
        const first = tally.firstMessageAt.get(entry.executionId);
        if (first === undefined || at < first) tally.firstMessageAt.set(entry.executionId, at);
        attributionRow(entry.journeyId, entry.stepId, entry.channel).sent += 1;
        const stepKey = JSON.stringify([entry.executionId, entry.stepId]);
        messageTimes.set(stepKey, [...(messageTimes.get(stepKey) ?? []), at]);
        sendTimes[entry.channel].push(at);
        break;
      }
      case 'skipped': {
        const counts = stepOf(tallyOf(entry.journeyId), entry.stepId);
        countSkip(notSent, entry);
        switch (entry.status) {
          case 'capped':
            counts.capped += 1;
            break;
          case 'deferred': {
            counts.deferred += 1;
            const stepKey = JSON.stringify([entry.executionId, entry.stepId]);
            const at = Date.parse(entry.time);
            deferredSteps.set(stepKey, Math.min(at, deferredSteps.get(stepKey) ?? at));
            break;
          }
          case 'rate-limited':
            counts.rateLimited += 1;
            break;
          case 'opted-out':
          case 'no-address':
          case 'failed':
            counts.notSent += 1;
            break;
          default:
            assertNever(entry.status);
        }
        break;
      }
      case 'conversion': {
        const tally = tallyOf(entry.journeyId);
        tally.conversions += 1;
        tally.converted.add(entry.executionId === '' ? `${customerId}#${entry.eventId}` : entry.executionId);
        const last = entry.lastTouch;
        if (last !== null) {
          if (last.journeyId === entry.journeyId) stepOf(tally, last.stepId).converted += 1;
          attributionRow(last.journeyId, last.stepId, last.channel).lastTouch += 1;
        }
        for (const touch of entry.linear) {
          attributionRow(touch.journeyId, touch.stepId, touch.channel).linear += touch.weight;
        }
        break;
      }
      default:
        assertNever(entry);
    }
  }

  for (const customer of input.customers) {
    for (const place of customer.journeys) tallyOf(place.journeyId).active += place.membership.active.length;
  }
  let waitingForSlot = 0;
  for (const position of input.executions) {
    const tally = tallyOf(position.journeyId);
    for (const stepId of position.visited) stepOf(tally, stepId).entered += 1;
    if (position.status === 'running' && position.current !== undefined) {
      const counts = stepOf(tally, position.current);
      counts.waiting += 1;
      if (isWaitingForSlot(position)) {
        counts.waitingForSlot += 1;
        waitingForSlot += 1;
      }
    }
  }
  notSent.deferredThenSent = [...deferredSteps].filter(([stepKey, deferredAt]) =>
    (messageTimes.get(stepKey) ?? []).some((sentAt) => sentAt >= deferredAt),
  ).length;

  const eventsByCustomer = new Map(
    input.customers.map((customer) => [
      customer.customerId,
      customer.history.flatMap(({ entry }) => (entry.kind === 'event' ? [entry] : [])),
    ]),
  );
  const allLatencies: Latency[] = [];
  const journeys: JourneyReport[] = [...tallies].map(([journeyId, tally]) => {
    const latencies = firstMessageLatencies(tally, eventsByCustomer, input.events);
    allLatencies.push(...latencies);
    return journeyReport(journeyId, tally, latencies);
  });
  // Journeys in the report's order, steps in graph order, channels in channelSchema's.
  const byPlace = (a: StepChannel, b: StepChannel): number =>
    journeyIds.indexOf(a.journeyId) - journeyIds.indexOf(b.journeyId) ||
    stepRank(tallies.get(a.journeyId), a.stepId) - stepRank(tallies.get(b.journeyId), b.stepId) ||
    CHANNELS.indexOf(a.channel) - CHANNELS.indexOf(b.channel);
  const attributionRows = [...attribution.values()].sort(byPlace);
  const engagement = checkEngagement(input.customers);
  engagement.rows.sort(byPlace);
  notSent.rows.sort(
    (a, b) =>
      journeyIds.indexOf(a.journeyId) - journeyIds.indexOf(b.journeyId) ||
      channelRank(a.channel) - channelRank(b.channel),
  );

  return {
    generatedAt: input.now.toISOString(),
    sources: {
      customers: input.customers.length,
      damagedProfiles: input.customers.filter((customer) => customer.customer.found === 'damaged').length,
      historyEntries: history.length,
      executions: input.executions.length,
      executionsLimited: [...(input.executionsLimited ?? [])],
    },
    journeys,
    channels: channelReports(attributionRows),
    attribution: attributionRows,
    engagement,
    firstMessage: latencySummary(allLatencies),
    compliance: checkCompliance(input.customers),
    coordination: checkCoordination(input.customers, notSent),
    notSent,
    sendRates: sendRateRows(sendTimes, input.sendRates),
    waitingForSlot,
  };
}

type StepChannel = Pick<AttributionRow, 'journeyId' | 'stepId' | 'channel'>;

// ---- one journey ----------------------------------------------------------------------------

interface JourneyTally {
  journey: Journey | undefined;
  /** Step ids in graph order; ids the data names and the journey does not are added as found. */
  stepOrder: string[];
  steps: Map<string, StepCounts>;
  triggered: Set<string>;
  entered: Map<string, { customerId: string; at: number }>;
  notEntered: Set<string>;
  completed: Set<string>;
  exited: Set<string>;
  failed: Set<string>;
  active: number;
  converted: Set<string>;
  conversions: number;
  messaged: Set<string>;
  sentBySendStep: Map<string, Set<string>>;
  firstMessageAt: Map<string, number>;
}

function newTally(journey: Journey | undefined): JourneyTally {
  const stepOrder = journey === undefined ? [] : graphOrder(journey);
  return {
    journey,
    stepOrder,
    steps: new Map(stepOrder.map((stepId) => [stepId, emptyStepCounts()])),
    triggered: new Set(),
    entered: new Map(),
    notEntered: new Set(),
    completed: new Set(),
    exited: new Set(),
    failed: new Set(),
    active: 0,
    converted: new Set(),
    conversions: 0,
    messaged: new Set(),
    sentBySendStep: new Map(),
    firstMessageAt: new Map(),
  };
}

/** A step nobody has reached yet. */
export function emptyStepCounts(): StepCounts {
  return {
    entered: 0,
    waiting: 0,
    waitingForSlot: 0,
    sent: perChannel(() => 0),
    capped: 0,
    deferred: 0,
    rateLimited: 0,
    notSent: 0,
    exited: 0,
    converted: 0,
  };
}

function stepOf(tally: JourneyTally, stepId: string): StepCounts {
  const known = tally.steps.get(stepId);
  if (known !== undefined) return known;
  const counts = emptyStepCounts();
  tally.steps.set(stepId, counts);
  tally.stepOrder.push(stepId);
  return counts;
}

function stepRank(tally: JourneyTally | undefined, stepId: string): number {
  const rank = tally?.stepOrder.indexOf(stepId) ?? -1;
  return rank === -1 ? Number.MAX_SAFE_INTEGER : rank;
}

/** Breadth first from the start, in the order each step names its successors; unreachable steps last. */
export function graphOrder(journey: Journey): string[] {
  const order: string[] = [];
  const queue = [journey.start];
  for (let index = 0; index < queue.length; index += 1) {
    const stepId = queue[index];
    if (stepId === undefined || order.includes(stepId)) continue;
    const step = stepById(journey, stepId);
    if (step === undefined) continue;
    order.push(stepId);
    queue.push(...stepEdges(step).map((edge) => edge.to));
  }
  return [...order, ...Object.keys(journey.steps).filter((stepId) => !order.includes(stepId))];
}

function countJourneyEntry(
  tally: JourneyTally,
  customerId: string,
  entry: HistoryEntryOf<'journey'>,
  positions: ReadonlyMap<string, ExecutionPosition>,
): void {
  switch (entry.action) {
    case 'entered':
      tally.triggered.add(entry.executionId);
      tally.entered.set(entry.executionId, { customerId, at: Date.parse(entry.time) });
      break;
    case 'not-entered':
      tally.triggered.add(entry.executionId);
      tally.notEntered.add(entry.executionId);
      break;
    case 'completed':
      tally.completed.add(entry.executionId);
      break;
    case 'failed':
      tally.failed.add(entry.executionId);
      break;
    case 'exited': {
      if (tally.exited.has(entry.executionId)) break;
      tally.exited.add(entry.executionId);
      const position = positions.get(entry.executionId);
      const stepId = entry.stepId ?? position?.current ?? position?.visited.at(-1);
      if (stepId !== undefined) stepOf(tally, stepId).exited += 1;
      break;
    }
    // Stopped by hand (the console, StopExecution): neither completed, failed nor exited on an event.
    case 'stopped':
    case 'step-failed':
    case 'profile-updated':
      break;
    default:
      assertNever(entry.action);
  }
}

function journeyReport(journeyId: string, tally: JourneyTally, latencies: readonly Latency[]): JourneyReport {
  const entered = tally.entered.size;
  const hasGoal =
    tally.journey === undefined
      ? tally.conversions > 0
      : tally.journey.exitOn.some((matcher) => matcher.goal) || tally.conversions > 0;
  const ofEntered = (count: number): number | null => (entered === 0 ? null : count / entered);
  const sendSteps = tally.stepOrder.filter((stepId) =>
    tally.journey === undefined
      ? tally.sentBySendStep.has(stepId)
      : stepById(tally.journey, stepId)?.type === 'send',
  );
  const funnel: FunnelStage[] = [
    { label: 'Triggered', count: tally.triggered.size, ofEntered: null },
    { label: 'Entered', count: entered, ofEntered: ofEntered(entered) },
    { label: 'Received a message', count: tally.messaged.size, ofEntered: ofEntered(tally.messaged.size) },
    ...sendSteps.map((stepId) => {
      const count = tally.sentBySendStep.get(stepId)?.size ?? 0;
      return { label: `Sent at step "${stepId}"`, count, ofEntered: ofEntered(count) };
    }),
    ...(hasGoal
      ? [{ label: 'Converted', count: tally.converted.size, ofEntered: ofEntered(tally.converted.size) }]
      : []),
  ];
  return {
    journeyId,
    name: tally.journey?.name ?? journeyId,
    defined: tally.journey !== undefined,
    triggered: tally.triggered.size,
    entered,
    notEntered: tally.notEntered.size,
    active: tally.active,
    completed: tally.completed.size,
    exited: tally.exited.size,
    failed: tally.failed.size,
    converted: tally.converted.size,
    conversions: tally.conversions,
    hasGoal,
    conversionRate: hasGoal ? ofEntered(tally.converted.size) : null,
    funnel,
    stepOrder: [...tally.stepOrder],
    steps: Object.fromEntries(tally.stepOrder.map((stepId) => [stepId, stepOf(tally, stepId)])),
    firstMessage: latencySummary(latencies),
  };
}

function orderedJourneyIds(
  journeys: readonly Journey[],
  history: readonly { entry: HistoryEntry }[],
  executions: readonly ExecutionPosition[],
): string[] {
  const defined = journeys.map((journey) => journey.id);
  const seen = new Set<string>();
  for (const { entry } of history) if ('journeyId' in entry) seen.add(entry.journeyId);
  for (const position of executions) seen.add(position.journeyId);
  const others = [...seen].filter((journeyId) => !defined.includes(journeyId)).sort();
  return [...defined, ...others];
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key) ?? new Set<string>();
  set.add(value);
  map.set(key, set);
}

// ---- channels --------------------------------------------------------------------------------

function channelReports(rows: readonly AttributionRow[]): ChannelReport[] {
  return CHANNELS.map((channel) => {
    const mine = rows.filter((row) => row.channel === channel);
    const sent = sum(mine.map((row) => row.sent));
    const lastTouch = sum(mine.map((row) => row.lastTouch));
    const linear = sum(mine.map((row) => row.linear));
    return {
      channel,
      sent,
      lastTouch,
      linear,
      lastTouchRate: sent === 0 ? null : lastTouch / sent,
      linearRate: sent === 0 ? null : linear / sent,
    };
  });
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function channelRank(channel: Channel | null): number {
  return channel === null ? CHANNELS.length : CHANNELS.indexOf(channel);
}
