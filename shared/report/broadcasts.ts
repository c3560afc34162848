/**
 * How far each broadcast run has got: from the run as stored (members
 * targeted, executions started) and the counters the figures keep per run
 * (shared/figures/aggregate.ts, runIncrementsOf). A member's execution is
 * named after its run (shared/audience/members.ts), so every history entry
 * that names an execution tells which run it belongs to.
 *
 * - targeted: the members the run found (known once every scan segment was read);
 * - started: the executions the run started, as the run last counted them;
 * - entered / not entered: the journey's `entered` and `not-entered` entries of those executions,
 *   once per execution, not entered by the reason's code ("duplicate-event", "concurrency-limit"...);
 * - sent: messages sent by those executions, every send step and channel;
 * - skipped: per send step of each execution, its latest outcome when no message went out: the
 *   status of its latest `skipped` entry. A step deferred by quiet hours and sent later counts as
 *   sent; `deferred` and `rate-limited` ones are still waiting.
 *
 * `broadcastProgress` counts the same from the history entries themselves (the reference the
 * counters are checked against); the panel reads `readBroadcastProgress`, which reads no history.
 */
import type { HistoryEntry, SkipStatus } from '../customer/history.ts';
import { type Channel, channelSchema, perChannel } from '../customer/profile.ts';
import { type CounterSums, parseRunCounterName } from '../figures/counters.ts';
import { reasonCode, runOfEntry } from '../figures/runs.ts';
import { type BroadcastRunRecord, listBroadcastRuns } from '../store/broadcasts.ts';
import type { StoreContext } from '../store/context.ts';
import { readRunSums } from '../store/figures.ts';

export { executionName } from '../figures/runs.ts';

export interface BroadcastProgress {
  journeyId: string;
  runId: string;
  segment: string;
  /** "customer", or the zone every member is due in. */
  zone: string;
  status: BroadcastRunRecord['status'];
  startedAt: string;
  finishedAt?: string;
  firstAt: string;
  lastAt: string;
  /** Members found; undefined while the members are still being read. */
  targeted?: number;
  /** Executions started, as the run last counted them. */
  started: number;
  /** Profiles the run could not read (damaged), so could not judge: neither targeted nor left out. */
  unreadable: number;
  entered: number;
  notEntered: number;
  /** Not entered, by the reason's code. */
  notEnteredByReason: Record<string, number>;
  /** Messages sent. */
  sent: number;
  sentByChannel: Record<Channel, number>;
  /** Send steps that sent nothing (yet), by the status of their latest skip. */
  skipped: number;
  skippedByReason: Partial<Record<SkipStatus, number>>;
  /** Members through the entry step (entered or not) out of those targeted; null until targeted is known. */
  share: number | null;
}

/** A run and the executions named after it, each counted once. */
interface RunTally {
  run: BroadcastRunRecord;
  entered: Set<string>;
  notEntered: Map<string, string>;
  sent: Record<Channel, number>;
  /** Per execution and step: sent, or the latest skip (time and status). */
  steps: Map<string, { sent: boolean; time: string; status?: SkipStatus }>;
}

/** Each run's progress, in the order of `runs`. Pure: `readBroadcastProgress` reads the inputs. */
export function broadcastProgress(
  runs: readonly BroadcastRunRecord[],
  entries: Iterable<HistoryEntry>,
): BroadcastProgress[] {
  const tallies = new Map<string, RunTally>();
  for (const run of runs) {
    tallies.set(runKey(run.journeyId, run.runId), {
      run,
      entered: new Set(),
      notEntered: new Map(),
      sent: perChannel(() => 0),
      steps: new Map(),
    });
  }
  for (const entry of entries) {
    if (entry.kind !== 'journey' && entry.kind !== 'message' && entry.kind !== 'skipped') continue;
    const runId = runOfEntry(entry);
    const tally = runId === undefined ? undefined : tallies.get(runKey(entry.journeyId, runId));
    if (tally === undefined) continue;
    switch (entry.kind) {
      case 'journey':
        if (entry.action === 'entered') tally.entered.add(entry.executionId);
        // An execution refused twice counts once, under its first refusal's reason.
        if (entry.action === 'not-entered' && !tally.notEntered.has(entry.executionId))
          tally.notEntered.set(entry.executionId, reasonCode(entry.reason));
        break;
      case 'message': {
        tally.sent[entry.channel] += 1;
        tally.steps.set(stepKey(entry.executionId, entry.stepId), { sent: true, time: entry.time });
        break;
      }
      case 'skipped': {
        const key = stepKey(entry.executionId, entry.stepId);
        const known = tally.steps.get(key);
        if (known?.sent === true || (known !== undefined && Date.parse(known.time) > Date.parse(entry.time)))
          break;
        tally.steps.set(key, { sent: false, time: entry.time, status: entry.status });
        break;
      }
    }
  }
  return runs.flatMap((run) => {
    const tally = tallies.get(runKey(run.journeyId, run.runId));
    return tally === undefined ? [] : [progressOf(run, countsOfTally(tally))];
  });
}

/** What a run's executions did, however it was counted. */
interface RunCounts {
  entered: number;
  notEnteredByReason: Record<string, number>;
  sentByChannel: Record<Channel, number>;
  skippedByReason: Partial<Record<SkipStatus, number>>;
}

function countsOfTally(tally: RunTally): RunCounts {
  const notEnteredByReason: Record<string, number> = {};
  for (const reason of tally.notEntered.values())
    notEnteredByReason[reason] = (notEnteredByReason[reason] ?? 0) + 1;
  const skippedByReason: Partial<Record<SkipStatus, number>> = {};
  for (const step of tally.steps.values()) {
    if (step.sent || step.status === undefined) continue;
    skippedByReason[step.status] = (skippedByReason[step.status] ?? 0) + 1;
  }
  return {
    entered: tally.entered.size,
    notEnteredByReason,
    sentByChannel: { ...tally.sent },
    skippedByReason,
  };
}

/** A run's counts from its counters (summed over write shards); a counter at 0 is left out, as the history leaves it. */
function countsOfSums(sums: CounterSums | undefined): RunCounts {
  const counts: RunCounts = {
    entered: 0,
    notEnteredByReason: {},
    sentByChannel: perChannel(() => 0),
    skippedByReason: {},
  };
  for (const [name, amount] of sums ?? []) {
    const counter = parseRunCounterName(name);
    if (counter === undefined || amount === 0) continue;
    switch (counter.kind) {
      case 'entered':
        counts.entered += amount;
        break;
      case 'not-entered':
        counts.notEnteredByReason[counter.reason] = (counts.notEnteredByReason[counter.reason] ?? 0) + amount;
        break;
      case 'sent':
        counts.sentByChannel[counter.channel] += amount;
        break;
      case 'skipped':
        counts.skippedByReason[counter.status] = (counts.skippedByReason[counter.status] ?? 0) + amount;
        break;
      default: {
        const unreachable: never = counter;
        throw new Error(`Unknown run counter ${JSON.stringify(unreachable)}`);
      }
    }
  }
  return counts;
}

/** Each run's progress from its counters (by `runKey`), in the order of `runs`. Pure. */
export function broadcastProgressFromCounters(
  runs: readonly BroadcastRunRecord[],
  sums: ReadonlyMap<string, CounterSums>,
): BroadcastProgress[] {
  return runs.map((run) => progressOf(run, countsOfSums(sums.get(runKey(run.journeyId, run.runId)))));
}

function sumValues(counts: Partial<Record<string, number>>): number {
  return Object.values(counts).reduce<number>((sum, count) => sum + (count ?? 0), 0);
}

function progressOf(run: BroadcastRunRecord, counts: RunCounts): BroadcastProgress {
  const { entered, notEnteredByReason, skippedByReason } = counts;
  const notEntered = sumValues(notEnteredByReason);
  const skipped = sumValues(skippedByReason);
  const started = run.started ?? 0;
  const through = entered + notEntered;
  return {
    journeyId: run.journeyId,
    runId: run.runId,
    segment: run.segment,
    zone: run.zone,
    status: run.status,
    startedAt: run.startedAt,
    ...(run.finishedAt === undefined ? {} : { finishedAt: run.finishedAt }),
    firstAt: run.firstAt,
    lastAt: run.lastAt,
    ...(run.targeted === undefined ? {} : { targeted: run.targeted }),
    started,
    unreadable: run.unreadable ?? 0,
    entered,
    notEntered,
    notEnteredByReason,
    sent: channelSchema.options.reduce((sum, channel) => sum + counts.sentByChannel[channel], 0),
    sentByChannel: { ...counts.sentByChannel },
    skipped,
    skippedByReason,
    share: run.targeted === undefined ? null : run.targeted === 0 ? 1 : Math.min(1, through / run.targeted),
  };
}

function runKey(journeyId: string, runId: string): string {
  return JSON.stringify([journeyId, runId]);
}

function stepKey(executionId: string, stepId: string): string {
  return JSON.stringify([executionId, stepId]);
}

/**
 * The runs of these journeys (newest first per journey) with their progress: per journey one Query of
 * its runs and one of its runs' counters (`F#<journey>`, `R#<run>#<shard>`), side by side. No Scan, and
 * nothing that grows with the members.
 */
export async function readBroadcastProgress(
  store: StoreContext,
  journeyIds: readonly string[],
): Promise<BroadcastProgress[]> {
  const perJourney = await Promise.all(
    journeyIds.map(async (journeyId) => {
      const [runs, sums] = await Promise.all([
        listBroadcastRuns(store, journeyId),
        readRunSums(store, journeyId),
      ]);
      return broadcastProgressFromCounters(
        runs,
        new Map([...sums].map(([runId, runSums]) => [runKey(journeyId, runId), runSums])),
      );
    }),
  );
  return perJourney.flat();
}
