/**
 * The audience function: each task of a broadcast run. A run reads the
 * profiles in parallel scan segments, keeps the segment's members in chunks
 * by the instant each is due, then, wave by wave, starts one journey
 * execution per member. Every task can run twice: the scan moves on by a
 * conditional write, chunks are written under fixed keys, and executions are
 * named per member and run.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { memberDueAt, runAt } from '../audience/schedule.ts';
import { historyReach, isMember, type Segment } from '../audience/segment.ts';
import { memberExecutionName, memberTrigger } from '../audience/members.ts';
import { entryRate, membersPerWindow, PACE_WINDOW_SECONDS } from '../audience/pace.ts';
import type { BroadcastTask, BroadcastTaskOf, BroadcastTaskResults } from '../contract/broadcast.ts';
import { assertNever } from '../journey/graph.ts';
import type { AudienceTrigger, Journey } from '../journey/schema.ts';
import { isBroadcastTrigger } from '../journey/trigger.ts';
import {
  advanceScan,
  cursorKey,
  cursorText,
  listMemberChunks,
  advanceChunk,
  type ChunkSummary,
  markChunkEntered,
  openBroadcastRun,
  pendingChunks,
  readBroadcastRun,
  readScanProgress,
  unreadableProfiles,
  updateBroadcastRun,
  writeMemberChunk,
} from '../store/broadcasts.ts';
import { customersWithProfile, parseCustomerItem } from '../store/customers.ts';
import { readConditionHistory } from '../store/history.ts';
import { SORT } from '../store/table.ts';
import { mapWithConcurrency } from '../concurrency.ts';
import type { Runtime } from './runtime.ts';

/** Profiles read per scan page: small enough that one page of members fits one chunk item. */
export const SCAN_PAGE_ITEMS = 500;
/** Chunks one enter task takes on: about 2,000 executions, well inside a Lambda's time. */
const CHUNKS_PER_TASK = 4;
/** Requests in flight at once from one task (history reads, StartExecution). */
const IN_FLIGHT = 16;

export interface BroadcastOptions {
  /** Parallel scan segments of the table (DynamoDB's TotalSegments). */
  totalSegments: number;
  account: string;
  region: string;
}

export async function runBroadcastTask<K extends BroadcastTask['task']>(
  task: BroadcastTaskOf<K>,
  runtime: Runtime,
  options: BroadcastOptions,
): Promise<BroadcastTaskResults[K]>;
export async function runBroadcastTask(
  task: BroadcastTask,
  runtime: Runtime,
  options: BroadcastOptions,
): Promise<BroadcastTaskResults[BroadcastTask['task']]> {
  switch (task.task) {
    case 'plan':
      return plan(task, runtime, options);
    case 'collect':
      return collect(task, runtime);
    case 'nextWave':
      return nextWave(task, runtime);
    case 'enter':
      return enter(task, runtime, options);
    case 'finish':
      return finish(task, runtime);
    default:
      return assertNever(task);
  }
}

/** The deployed broadcast journey, its trigger and its segment; or why there is none. */
function broadcastJourney(
  runtime: Runtime,
  journeyId: string,
): { journey: Journey; trigger: AudienceTrigger; segment: Segment } | string {
  const journey = runtime.project.journeys.find((candidate) => candidate.id === journeyId);
  if (journey === undefined) return `journey ${journeyId} is not deployed`;
  const trigger = journey.trigger;
  if (!isBroadcastTrigger(trigger)) return `journey ${journeyId} does not start from a broadcast`;
  const segment = runtime.project.segments.get(trigger.segment);
  if (segment === undefined) return `segment ${trigger.segment} is not deployed`;
  return { journey, trigger, segment };
}

async function plan(
  task: BroadcastTaskOf<'plan'>,
  runtime: Runtime,
  options: BroadcastOptions,
): Promise<BroadcastTaskResults['plan']> {
  const found = broadcastJourney(runtime, task.journeyId);
  const scheduled = new Date(task.scheduledTime);
  if (typeof found === 'string' || Number.isNaN(scheduled.getTime()))
    return {
      skip: true,
      journeyId: task.journeyId,
      runId: task.scheduledTime,
      reason: typeof found === 'string' ? found : 'the scheduled time is not a time',
    };
  const { journey, trigger } = found;
  const run = runAt(trigger, runtime.project.settings.timeZone, scheduled);
  if (run === undefined)
    return { skip: true, journeyId: journey.id, runId: task.scheduledTime, reason: 'no run at this time' };
  if (journey.status !== 'active')
    return {
      skip: true,
      journeyId: journey.id,
      runId: run.runId,
      reason: `journey ${journey.id} is ${journey.status}`,
    };
  const stored = await openBroadcastRun(runtime.store, {
    journeyId: journey.id,
    runId: run.runId,
    segment: trigger.segment,
    zone: run.zone,
    startedAt: runtime.now().toISOString(),
    firstAt: run.firstAt.toISOString(),
    lastAt: run.lastAt.toISOString(),
  });
  if (stored.status === 'done')
    return { skip: true, journeyId: journey.id, runId: run.runId, reason: 'the run already finished' };
  return {
    skip: false,
    journeyId: journey.id,
    runId: run.runId,
    stateMachineArn: task.stateMachineArn,
    segments: Array.from({ length: options.totalSegments }, (_, index) => index),
    totalSegments: options.totalSegments,
  };
}

async function collect(
  task: BroadcastTaskOf<'collect'>,
  runtime: Runtime,
): Promise<BroadcastTaskResults['collect']> {
  const found = broadcastJourney(runtime, task.journeyId);
  const run = await readBroadcastRun(runtime.store, task.journeyId, task.runId);
  if (typeof found === 'string' || run === undefined) return { more: false };
  const progress = await readScanProgress(runtime.store, task.journeyId, task.runId, task.segment);
  if (progress.done) return { more: false };
  const page = await runtime.store.db.send(
    new ScanCommand({
      TableName: runtime.store.table,
      Segment: task.segment,
      TotalSegments: task.totalSegments,
      Limit: SCAN_PAGE_ITEMS,
      ExclusiveStartKey: cursorKey(progress.cursor),
      FilterExpression: 'sk = :profile',
      ExpressionAttributeValues: { ':profile': SORT.profile },
      ConsistentRead: true,
    }),
  );
  const now = runtime.now();
  const reach = historyReach(found.segment);
  let unreadable = 0;
  const members = await mapWithConcurrency(page.Items ?? [], IN_FLIGHT, async (item) => {
    const read = parseCustomerItem(item);
    if (read.found === 'damaged') unreadable += 1;
    if (read.found !== true) return undefined;
    const { profile } = read.customer;
    const history =
      reach === undefined ? [] : await readConditionHistory(runtime.store, profile.customerId, reach, now);
    if (!isMember(found.segment, { profile, history }, now)) return undefined;
    return {
      customerId: profile.customerId,
      dueAt: memberDueAt(run, profile.timeZone, runtime.project.settings.timeZone).toISOString(),
    };
  });
  const byDue = new Map<string, string[]>();
  for (const member of members) {
    if (member === undefined) continue;
    byDue.set(member.dueAt, [...(byDue.get(member.dueAt) ?? []), member.customerId]);
  }
  for (const [dueAt, customerIds] of byDue) {
    await writeMemberChunk(
      runtime.store,
      task.journeyId,
      task.runId,
      { dueAt, segment: task.segment, page: progress.pages, customerIds },
      run.lastAt,
    );
  }
  const cursor = cursorText(page.LastEvaluatedKey);
  const next = {
    ...(cursor === undefined ? {} : { cursor }),
    pages: progress.pages + 1,
    members: progress.members + members.filter((member) => member !== undefined).length,
    unreadable: progress.unreadable + unreadable,
    done: cursor === undefined,
  };
  await advanceScan(runtime.store, task.journeyId, task.runId, task.segment, progress, next, run.lastAt);
  return { more: !next.done };
}

/** Members found, and members started (a paced chunk counts the part it started). */
function chunkCounts(chunks: readonly ChunkSummary[]): { targeted: number; started: number } {
  return {
    targeted: chunks.reduce((sum, chunk) => sum + chunk.size, 0),
    started: chunks.reduce((sum, chunk) => sum + (chunk.entered ? chunk.size : chunk.started), 0),
  };
}

async function nextWave(
  task: BroadcastTaskOf<'nextWave'>,
  runtime: Runtime,
): Promise<BroadcastTaskResults['nextWave']> {
  const chunks = await listMemberChunks(runtime.store, task.journeyId, task.runId);
  const { targeted, started } = chunkCounts(chunks);
  const unreadable = await unreadableProfiles(runtime.store, task.journeyId, task.runId);
  await updateBroadcastRun(runtime.store, task.journeyId, task.runId, { targeted, started, unreadable });
  // Paused or removed since the run began: the members not yet due stay out.
  const found = broadcastJourney(runtime, task.journeyId);
  if (typeof found === 'string' || found.journey.status !== 'active')
    return { done: true, targeted, started };
  const due = chunks
    .filter((chunk) => !chunk.entered)
    .map((chunk) => chunk.dueAt)
    .sort()[0];
  return due === undefined
    ? { done: true, targeted, started }
    : { done: false, dueAt: due, targeted, started };
}

async function enter(
  task: BroadcastTaskOf<'enter'>,
  runtime: Runtime,
  options: BroadcastOptions,
): Promise<BroadcastTaskResults['enter']> {
  const found = broadcastJourney(runtime, task.journeyId);
  // Paused (or removed) while a wave was entering: nobody else goes in; the next wave ends the run.
  if (typeof found === 'string' || found.journey.status !== 'active') return { more: false, started: 0 };
  const segmentId = found.trigger.segment;
  const rate = entryRate(found.journey, runtime.project.settings.sendRates);
  const budget = rate === undefined ? Number.POSITIVE_INFINITY : membersPerWindow(rate, task.totalSegments);
  const chunks = await pendingChunks(
    runtime.store,
    task.journeyId,
    task.runId,
    task.dueAt,
    task.segment,
    CHUNKS_PER_TASK,
  );
  let started = 0;
  let taken = 0;
  for (const chunk of chunks) {
    const waiting = chunk.customerIds.slice(chunk.offset);
    const batch = waiting.slice(0, Math.max(0, budget - taken));
    // Erased since the run collected them: starting them would bring their records back.
    const present = await customersWithProfile(runtime.store, batch);
    const outcomes = await mapWithConcurrency(
      batch.filter((customerId) => present.has(customerId)),
      IN_FLIGHT,
      (customerId) =>
        runtime.workflows.startExecution(
          task.stateMachineArn,
          memberExecutionName(task.runId, customerId),
          memberTrigger(
            {
              customerId,
              segment: segmentId,
              journeyId: task.journeyId,
              run: task.runId,
              scheduledFor: task.dueAt,
            },
            options.account,
            options.region,
          ),
        ),
    );
    started += outcomes.filter((outcome) => outcome === 'started').length;
    taken += batch.length;
    if (batch.length === waiting.length) {
      await markChunkEntered(runtime.store, task.journeyId, task.runId, chunk.sortKey, runtime.now());
    } else {
      await advanceChunk(
        runtime.store,
        task.journeyId,
        task.runId,
        chunk.sortKey,
        chunk.offset + batch.length,
      );
    }
    if (taken >= budget) break;
  }
  const paced = rate !== undefined && taken >= budget;
  return {
    more: paced || chunks.length === CHUNKS_PER_TASK,
    started,
    ...(paced
      ? { resumeAt: new Date(runtime.now().getTime() + PACE_WINDOW_SECONDS * 1000).toISOString() }
      : {}),
  };
}

async function finish(
  task: BroadcastTaskOf<'finish'>,
  runtime: Runtime,
): Promise<BroadcastTaskResults['finish']> {
  const chunks = await listMemberChunks(runtime.store, task.journeyId, task.runId);
  const { targeted, started } = chunkCounts(chunks);
  await updateBroadcastRun(runtime.store, task.journeyId, task.runId, {
    status: 'done',
    finishedAt: runtime.now().toISOString(),
    targeted,
    started,
  });
  return { targeted, started };
}
