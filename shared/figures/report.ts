/**
 * The report from the counters (pure): journey totals, funnels, steps, attribution, engagement and
 * what was not sent, from the counters' sums, plus where each execution is now (the workflow service's
 * positions) for the steps' entered, waiting and exited. What only a read of every customer gives
 * (compliance, coordination, trigger to first message, send rates reached) is left to
 * `waymark report --full` (shared/report/report.ts).
 */
import { type Channel, channelSchema, perChannel } from '../customer/profile.ts';
import { assertNever, stepById, stepEdges } from '../journey/graph.ts';
import type { Journey } from '../journey/schema.ts';
import { channelTotals, perAction, ratesOf } from '../report/engagement.ts';
import { addNotSent, newNotSent } from '../report/not-sent.ts';
import { isWaitingForSlot } from '../report/send-rates.ts';
import type {
  AttributionRow,
  ChannelReport,
  EngagementRow,
  ExecutionPosition,
  FunnelStage,
  JourneyReport,
  NotSentReport,
  Report,
  StepCounts,
} from '../report/types.ts';
import { type Counter, type CounterSums, type JourneyTotal, parseCounterName, sumOf } from './counters.ts';

export interface CountedReportInput {
  /** What belongs to no journey (history entries, journeys seen). */
  all: CounterSums;
  /** Per journey, its counters summed over the days read. */
  journeys: ReadonlyMap<string, CounterSums>;
  /** The journeys folder, for names, step order and goals. */
  definitions: readonly Journey[];
  executions: readonly ExecutionPosition[];
  executionsLimited?: readonly string[];
  now: Date;
}

const CHANNELS = channelSchema.options;

export function countedReport(input: CountedReportInput): Report {
  const journeyIds = orderedJourneyIds(input);
  const byJourney = new Map(journeyIds.map((journeyId) => [journeyId, new JourneyFigures(journeyId, input)]));
  for (const position of input.executions) byJourney.get(position.journeyId)?.place(position);

  const journeys = [...byJourney.values()].map((figures) => figures.report());
  const attribution = [...byJourney.values()].flatMap((figures) => figures.attributionRows());
  const engagementRows = [...byJourney.values()].flatMap((figures) => figures.engagementRows());
  const notSent = newNotSent();
  for (const figures of byJourney.values()) figures.addNotSent(notSent);
  notSent.rows.sort(
    (a, b) =>
      journeyIds.indexOf(a.journeyId) - journeyIds.indexOf(b.journeyId) ||
      channelRank(a.channel) - channelRank(b.channel),
  );
  return {
    generatedAt: input.now.toISOString(),
    basis: 'counters',
    sources: {
      historyEntries: sumOf(input.all, { kind: 'entries' }),
      executions: input.executions.length,
      executionsLimited: [...(input.executionsLimited ?? [])],
    },
    journeys,
    channels: channelReports(attribution),
    attribution,
    engagement: {
      rows: engagementRows,
      channels: channelTotals(engagementRows),
      unmatched: [...byJourney.values()].reduce((sum, figures) => sum + figures.total('unmatched'), 0),
    },
    notSent,
    waitingForSlot: journeys.reduce(
      (sum, journey) =>
        sum + Object.values(journey.steps).reduce((steps, step) => steps + step.waitingForSlot, 0),
      0,
    ),
  };
}

/** Journeys from the folder in their order, then those only the data or the executions name, by id. */
function orderedJourneyIds(input: CountedReportInput): string[] {
  const defined = input.definitions.map((journey) => journey.id);
  const seen = new Set<string>([
    ...input.journeys.keys(),
    ...input.executions.map((position) => position.journeyId),
  ]);
  for (const name of input.all.keys()) {
    const counter = parseCounterName(name);
    if (counter?.kind === 'journey-seen') seen.add(counter.journeyId);
  }
  return [...defined, ...[...seen].filter((journeyId) => !defined.includes(journeyId)).sort()];
}

/** One journey's counters, read into the report's shapes. */
class JourneyFigures {
  readonly journey: Journey | undefined;
  private readonly sums: CounterSums;
  /** Graph order, then steps only the data names, in the order found. */
  private readonly stepOrder: string[];
  private readonly steps = new Map<string, StepCounts>();
  private readonly counters: { counter: Counter; amount: number }[];

  constructor(
    readonly journeyId: string,
    input: CountedReportInput,
  ) {
    this.journey = input.definitions.find((journey) => journey.id === journeyId);
    this.sums = input.journeys.get(journeyId) ?? new Map();
    this.stepOrder = this.journey === undefined ? [] : graphOrder(this.journey);
    for (const stepId of this.stepOrder) this.steps.set(stepId, emptyStepCounts());
    this.counters = [...this.sums].flatMap(([name, amount]) => {
      const counter = parseCounterName(name);
      return counter === undefined ? [] : [{ counter, amount }];
    });
    for (const { counter, amount } of this.counters) this.countAtStep(counter, amount);
  }

  total(name: JourneyTotal): number {
    return sumOf(this.sums, { kind: 'total', name });
  }

  private step(stepId: string): StepCounts {
    const known = this.steps.get(stepId);
    if (known !== undefined) return known;
    const counts = emptyStepCounts();
    this.steps.set(stepId, counts);
    this.stepOrder.push(stepId);
    return counts;
  }

  private countAtStep(counter: Counter, amount: number): void {
    switch (counter.kind) {
      case 'sent':
        this.step(counter.stepId).sent[counter.channel] += amount;
        break;
      case 'step': {
        const name = counter.name;
        switch (name) {
          case 'capped':
          case 'deferred':
          case 'rateLimited':
          case 'notSent':
          case 'converted':
            this.step(counter.stepId)[name] += amount;
            break;
          case 'sentOnce':
            this.step(counter.stepId);
            break;
          default:
            assertNever(name);
        }
        break;
      }
      case 'touch':
      case 'engagement':
        this.step(counter.stepId);
        break;
      case 'entries':
      case 'journey-seen':
      case 'total':
      case 'skip':
      case 'cap':
        break;
      default:
        assertNever(counter);
    }
  }

  /** Where an execution is now: the steps it entered, the one it waits in, the one it was stopped in. */
  place(position: ExecutionPosition): void {
    for (const stepId of position.visited) this.step(stepId).entered += 1;
    if (position.status === 'running' && position.current !== undefined) {
      const counts = this.step(position.current);
      counts.waiting += 1;
      if (isWaitingForSlot(position)) counts.waitingForSlot += 1;
    }
    // A goal's exit stops the execution from outside: its entry names no step, the execution does.
    const stoppedAt = position.current ?? position.visited.at(-1);
    if (position.status === 'stopped' && stoppedAt !== undefined) this.step(stoppedAt).exited += 1;
  }

  report(): JourneyReport {
    const triggered = this.total('triggered');
    const notEntered = this.total('notEntered');
    const entered = Math.max(0, triggered - notEntered);
    const ended =
      this.total('completed') + this.total('failed') + this.total('stopped') + this.total('exited');
    const converted = this.total('converted');
    const conversions = this.total('conversions');
    const hasGoal =
      this.journey === undefined
        ? conversions > 0
        : this.journey.exitOn.some((matcher) => matcher.goal) || conversions > 0;
    const ofEntered = (count: number): number | null => (entered === 0 ? null : count / entered);
    const sendSteps = this.stepOrder.filter((stepId) =>
      this.journey === undefined
        ? sumOf(this.sums, { kind: 'step', stepId, name: 'sentOnce' }) > 0
        : stepById(this.journey, stepId)?.type === 'send',
    );
    const messaged = this.total('messaged');
    const funnel: FunnelStage[] = [
      { label: 'Triggered', count: triggered, ofEntered: null },
      { label: 'Entered', count: entered, ofEntered: ofEntered(entered) },
      { label: 'Received a message', count: messaged, ofEntered: ofEntered(messaged) },
      ...sendSteps.map((stepId) => {
        const count = sumOf(this.sums, { kind: 'step', stepId, name: 'sentOnce' });
        return { label: `Sent at step "${stepId}"`, count, ofEntered: ofEntered(count) };
      }),
      ...(hasGoal ? [{ label: 'Converted', count: converted, ofEntered: ofEntered(converted) }] : []),
    ];
    return {
      journeyId: this.journeyId,
      name: this.journey?.name ?? this.journeyId,
      defined: this.journey !== undefined,
      triggered,
      entered,
      notEntered,
      active: Math.max(0, entered - ended),
      completed: this.total('completed'),
      exited: this.total('exited'),
      failed: this.total('failed'),
      stopped: this.total('stopped'),
      converted,
      conversions,
      hasGoal,
      conversionRate: hasGoal ? ofEntered(converted) : null,
      funnel,
      stepOrder: [...this.stepOrder],
      steps: Object.fromEntries(this.stepOrder.map((stepId) => [stepId, this.step(stepId)])),
    };
  }

  /** Steps in graph order, channels in channelSchema's. */
  private byPlace<T extends { stepId: string; channel: Channel }>(rows: T[]): T[] {
    const rank = (stepId: string): number => {
      const index = this.stepOrder.indexOf(stepId);
      return index === -1 ? Number.MAX_SAFE_INTEGER : index;
    };
    return rows.sort(
      (a, b) => rank(a.stepId) - rank(b.stepId) || CHANNELS.indexOf(a.channel) - CHANNELS.indexOf(b.channel),
    );
  }

  attributionRows(): AttributionRow[] {
    const rows = new Map<string, AttributionRow>();
    const row = (stepId: string, channel: Channel): AttributionRow => {
      const key = JSON.stringify([stepId, channel]);
      const known = rows.get(key) ?? {
        journeyId: this.journeyId,
        stepId,
        channel,
        sent: 0,
        lastTouch: 0,
        linear: 0,
      };
      rows.set(key, known);
      return known;
    };
    for (const { counter, amount } of this.counters) {
      if (counter.kind === 'sent') row(counter.stepId, counter.channel).sent += amount;
      if (counter.kind === 'touch' && counter.by === 'last')
        row(counter.stepId, counter.channel).lastTouch += amount;
      if (counter.kind === 'touch' && counter.by === 'linear')
        row(counter.stepId, counter.channel).linear += amount;
    }
    return this.byPlace([...rows.values()]);
  }

  engagementRows(): EngagementRow[] {
    const rows = new Map<string, EngagementRow>();
    for (const { counter, amount } of this.counters) {
      if (counter.kind !== 'engagement') continue;
      const key = JSON.stringify([counter.stepId, counter.channel]);
      const row = rows.get(key) ?? {
        journeyId: this.journeyId,
        stepId: counter.stepId,
        channel: counter.channel,
        sent: 0,
        engaged: perAction(() => 0),
        rates: perAction(() => null),
      };
      if (counter.measure === 'sent') row.sent += amount;
      else row.engaged[counter.measure] += amount;
      rows.set(key, row);
    }
    return this.byPlace([...rows.values()]).map((row) => ({ ...row, rates: ratesOf(row.channel, row) }));
  }

  addNotSent(report: NotSentReport): void {
    for (const { counter, amount } of this.counters) {
      if (counter.kind === 'cap') report.byCap[counter.capId] = (report.byCap[counter.capId] ?? 0) + amount;
      if (counter.kind !== 'skip') continue;
      addNotSent(report, { journeyId: this.journeyId, channel: counter.channel }, counter.status, amount);
    }
    report.deferredThenSent += this.total('deferredThenSent');
  }
}

function channelRank(channel: Channel | null): number {
  return channel === null ? CHANNELS.length : CHANNELS.indexOf(channel);
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

function channelReports(rows: readonly AttributionRow[]): ChannelReport[] {
  return CHANNELS.map((channel) => {
    const mine = rows.filter((row) => row.channel === channel);
    const sent = mine.reduce((sum, row) => sum + row.sent, 0);
    const lastTouch = mine.reduce((sum, row) => sum + row.lastTouch, 0);
    const linear = mine.reduce((sum, row) => sum + row.linear, 0);
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
