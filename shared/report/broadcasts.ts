/**
 * How far each broadcast run has got: from the run as stored (members
 * targeted, executions started) and the members' history. A member's
 * execution is named after its run (shared/audience/members.ts), so every
 * history entry that names an execution tells which run it belongs to.
 *
 * - targeted: the members the run found (known once every scan segment was read);
 * - started: the executions the run started, as the run last counted them;
 * - entered / not entered: the journey's `entered` and `not-entered` entries of those executions,
 *   not entered by the reason's code ("duplicate-event", "concurrency-limit"...);
 * - sent: messages sent by those executions, every send step and channel;
 * - skipped: per send step of each execution, its latest outcome when no message went out: the
 *   status of its latest `skipped` entry. A step deferred by quiet hours and sent later counts as
 *   sent; `deferred` and `rate-limited` ones are still waiting.
 */
import { runOfExecutionName } from '../audience/members.ts';
import type { HistoryEntry, SkipStatus } from '../customer/history.ts';
import { type Channel, channelSchema, perChannel } from '../customer/profile.ts';
import { parseHistoryEntry } from '../customer/history.ts';
import { type BroadcastRunRecord, listBroadcastRuns } from '../store/broadcasts.ts';
import { scanAll, type StoreContext } from '../store/context.ts';
import { SORT } from '../store/table.ts';

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
    const runId = runOfExecutionName(executionName(entry.executionId));
    const tally = runId === undefined ? undefined : tallies.get(runKey(entry.journeyId, runId));
    if (tally === undefined) continue;
    switch (entry.kind) {
      case 'journey':
        if (entry.action === 'entered') tally.entered.add(entry.executionId);
        if (entry.action === 'not-entered') tally.notEntered.set(entry.executionId, reasonCode(entry.reason));
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
    return tally === undefined ? [] : [progressOf(tally)];
  });
}

function progressOf(tally: RunTally): BroadcastProgress {
  const { run } = tally;
  const notEnteredByReason: Record<string, number> = {};
  for (const reason of tally.notEntered.values())
    notEnteredByReason[reason] = (notEnteredByReason[reason] ?? 0) + 1;
  const skippedByReason: Partial<Record<SkipStatus, number>> = {};
  let skipped = 0;
  for (const step of tally.steps.values()) {
    if (step.sent || step.status === undefined) continue;
    skipped += 1;
    skippedByReason[step.status] = (skippedByReason[step.status] ?? 0) + 1;
  }
  const entered = tally.entered.size;
  const notEntered = tally.notEntered.size;
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
    sent: channelSchema.options.reduce((sum, channel) => sum + tally.sent[channel], 0),
    sentByChannel: { ...tally.sent },
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

/** An execution's name: its ARN's last part on Step Functions and the local engine alike. */
export function executionName(executionId: string): string {
  return executionId.slice(executionId.lastIndexOf(':') + 1);
}

/** "duplicate-event: ..." → "duplicate-event": the entry's refusal without its detail. */
function reasonCode(reason: string | undefined): string {
  if (reason === undefined || reason === '') return 'unknown';
  const colon = reason.indexOf(':');
  return colon === -1 ? reason : reason.slice(0, colon);
}

/** History kinds that can belong to a run's executions: only these are read from the table. */
const RUN_KINDS = ['journey', 'message', 'skipped'] as const;

/**
 * The runs of these journeys (newest first per journey) with their progress. One Query per journey
 * for the runs; when there are any, one Scan of the history items of the kinds counted.
 */
export async function readBroadcastProgress(
  store: StoreContext,
  journeyIds: readonly string[],
): Promise<BroadcastProgress[]> {
  const runs = (await Promise.all(journeyIds.map((journeyId) => listBroadcastRuns(store, journeyId)))).flat();
  if (runs.length === 0) return [];
  const items = await scanAll(store, {
    FilterExpression: `begins_with(sk, :history) AND #kind IN (${RUN_KINDS.map((_, index) => `:k${index}`).join(', ')})`,
    ExpressionAttributeNames: { '#kind': 'kind' },
    ExpressionAttributeValues: {
      ':history': SORT.historyPrefix,
      ...Object.fromEntries(RUN_KINDS.map((kind, index) => [`:k${index}`, kind])),
    },
  });
  const entries = items.flatMap((item) => {
    const entry = parseHistoryEntry(item.entry);
    return entry === undefined ? [] : [entry];
  });
  return broadcastProgress(runs, entries);
}
