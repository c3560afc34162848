/**
 * The local EventBridge Scheduler's schedules, and their firing on the engine's virtual clock. A schedule
 * fires when the clock reaches its time, however the clock gets there (a scaled clock's timer, or a test
 * or the panel moving a manual clock by days): it starts its target state machine with its Input through
 * the engine, the path StartExecution takes, then is deleted (ActionAfterCompletion DELETE) or kept as
 * fired (NONE).
 *
 * With a data folder each schedule is a file of its own, written before CreateSchedule answers and removed
 * only once its start was accepted: a crash in between fires it again at the next start (at least once,
 * as on AWS), and schedules that fell due while the engine was down fire right after it starts.
 */
import { appendFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type JsonValue, toJsonValue } from '../../shared/json.ts';
import type { VirtualClock } from './clock.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, LOCAL_SCHEDULER_ROLE_ARN } from './constants.ts';
import { EngineError, publicMessage } from './errors.ts';
import { readJsonFile, writeJsonFile } from './json-file.ts';
import { DEFAULT_SCHEDULE_GROUP, type Schedule, scheduleSchema } from './scheduler-request.ts';

/** The group the engine's own functions park high-volume runs in (WAYMARK_SCHEDULE_GROUP on AWS). */
export const LOCAL_SCHEDULE_GROUP = 'waymark-local';
/** The role a local high-volume journey's schedules name: nothing checks it here, but it must look like one. */
export { LOCAL_SCHEDULER_ROLE_ARN };

/** Scheduler's defaults when a target names no retry policy: a day, 185 retries. */
const DEFAULT_MAX_AGE_SECONDS = 86_400;
const DEFAULT_MAX_RETRIES = 185;
/** A failed start is tried again after a minute, doubling up to an hour (Scheduler backs off likewise). */
const FIRST_RETRY_MS = 60_000;
const LONGEST_RETRY_MS = 3_600_000;

export interface LocalSchedulerOptions {
  /** Where schedules are kept; undefined: in memory only. */
  dir: string | undefined;
  clock: VirtualClock;
  /** The groups that exist: CreateSchedule in any other is refused, as in an account without that group. */
  groups: readonly string[];
  /** The ARNs of the state machines a schedule may start. */
  stateMachines: () => readonly string[];
  /** Starts an execution; returns once it is accepted (saved), throws if it is refused. */
  start: (stateMachineArn: string, input: JsonValue) => { executionArn: string };
  log: (line: string) => void;
}

interface Entry {
  schedule: Schedule;
  /** Tells this schedule from an earlier one of the same name, deleted and made again. */
  seq: number;
  /** Failed starts so far (since this start of the engine). */
  failures: number;
}

/** A moment one schedule is due, in firing order; stale once its schedule is gone or was made again. */
interface Due {
  at: number;
  seq: number;
  key: string;
}

export type CreateOutcome = { kind: 'created'; arn: string } | { kind: 'exists' } | { kind: 'no-group' };

export class LocalScheduler {
  private readonly entries = new Map<string, Entry>();
  /** Sorted by time, then by the order made: schedules due at one instant fire in the order they were made. */
  private readonly queue: Due[] = [];
  private nextSeq = 1;
  private started = false;
  /** The one sleeper on the clock: for the earliest due schedule. */
  private alarm: { at: number; cancel: AbortController } | undefined;
  /** Schedules that could not be started and were given up on, since this start. */
  deadLetters = 0;

  constructor(private readonly options: LocalSchedulerOptions) {
    const dir = this.schedulesDir();
    if (dir === undefined) return;
    mkdirSync(dir, { recursive: true });
    const loaded = readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .flatMap((file) => readJsonFile(join(dir, file), scheduleSchema) ?? [])
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
    for (const schedule of loaded) this.remember(schedule);
  }

  /** Begins firing: at once for what fell due while the engine was stopped. */
  start(): void {
    this.started = true;
    const now = this.options.clock.now().getTime();
    const missed = this.queue.filter((due) => due.at <= now).length;
    if (missed > 0)
      this.options.log(`${this.stamp()} scheduler: ${missed} schedule(s) fell due while stopped: firing now`);
    this.arm();
  }

  close(): void {
    this.started = false;
    this.alarm?.cancel.abort();
    this.alarm = undefined;
  }

  now(): Date {
    return this.options.clock.now();
  }

  knowsGroup(group: string): boolean {
    return this.options.groups.includes(group);
  }

  stateMachines(): readonly string[] {
    return this.options.stateMachines();
  }

  /** Schedules waiting to fire. */
  pending(): number {
    let count = 0;
    for (const entry of this.entries.values()) if (waiting(entry.schedule)) count += 1;
    return count;
  }

  get(group: string, name: string): Schedule | undefined {
    return this.entries.get(keyOf(group, name))?.schedule;
  }

  /** Stored (on disk first, when there is a data folder) before it is known: a schedule acknowledged is kept. */
  create(schedule: Schedule): CreateOutcome {
    if (!this.knowsGroup(schedule.group)) return { kind: 'no-group' };
    if (this.entries.has(keyOf(schedule.group, schedule.name))) return { kind: 'exists' };
    this.write(schedule);
    this.remember(schedule);
    this.arm();
    return { kind: 'created', arn: scheduleArn(schedule.group, schedule.name) };
  }

  /** False when there is no such schedule. The file goes first: a schedule deleted never comes back. */
  delete(group: string, name: string): boolean {
    const entry = this.entries.get(keyOf(group, name));
    if (entry === undefined) return false;
    this.erase(entry.schedule);
    // Its place in the queue goes stale; the alarm, if set for it, wakes to nothing and moves on.
    this.entries.delete(keyOf(group, name));
    return true;
  }

  private remember(schedule: Schedule): void {
    const entry: Entry = { schedule, seq: this.nextSeq, failures: 0 };
    this.nextSeq += 1;
    this.entries.set(keyOf(schedule.group, schedule.name), entry);
    if (waiting(schedule))
      this.enqueue({
        at: Date.parse(schedule.dueAt),
        seq: entry.seq,
        key: keyOf(schedule.group, schedule.name),
      });
  }

  private enqueue(due: Due): void {
    // Binary search for the first later entry: a park per customer makes many schedules.
    let low = 0;
    let high = this.queue.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const other = this.queue[middle];
      if (other !== undefined && (other.at < due.at || (other.at === due.at && other.seq < due.seq)))
        low = middle + 1;
      else high = middle;
    }
    this.queue.splice(low, 0, due);
  }

  /** The entry a queued moment is for, if that schedule is still there and still waiting. */
  private live(due: Due): Entry | undefined {
    const entry = this.entries.get(due.key);
    return entry !== undefined && entry.seq === due.seq && waiting(entry.schedule) ? entry : undefined;
  }

  /**
   * Keeps one sleeper on the clock, for the earliest schedule: the clock wakes it in time order with the
   * engine's waits, and a clock moved by days lets the engine settle after each, so what a fired schedule
   * starts runs before the clock moves past its next moment.
   */
  private arm(): void {
    if (!this.started) return;
    while (this.queue[0] !== undefined && this.live(this.queue[0]) === undefined) this.queue.shift();
    const first = this.queue[0];
    if (first === undefined || first.at === this.alarm?.at) return;
    this.alarm?.cancel.abort();
    const cancel = new AbortController();
    this.alarm = { at: first.at, cancel };
    this.options.clock.sleepUntil(new Date(first.at), cancel.signal).then(
      () => {
        if (this.alarm?.cancel !== cancel) return;
        this.alarm = undefined;
        try {
          this.fireDue();
        } catch (error) {
          // Thrown from a clock's callback it would end the process; each schedule's own failure is handled in fire.
          this.options.log(`${this.stamp()} scheduler: firing failed: ${publicMessage(error)}`);
          this.arm();
        }
      },
      // Replaced by an earlier alarm, or the engine is stopping.
      () => undefined,
    );
  }

  private fireDue(): void {
    const now = this.options.clock.now().getTime();
    while (this.started && this.queue[0] !== undefined && this.queue[0].at <= now) {
      const due = this.queue.shift();
      const entry = due === undefined ? undefined : this.live(due);
      if (entry !== undefined) this.fire(entry);
    }
    this.arm();
  }

  /** Starts the target, then (only then) deletes the schedule or marks it fired. */
  private fire(entry: Entry): void {
    const { schedule } = entry;
    const label = `${schedule.group}/${schedule.name}`;
    let started: { executionArn: string };
    try {
      started = this.options.start(schedule.target.Arn, inputOf(schedule));
    } catch (error) {
      this.failed(entry, error);
      return;
    }
    this.options.log(
      `${this.stamp()} scheduler: ${label} fired: started ${started.executionArn.split(':').at(-1) ?? ''}`,
    );
    try {
      if (schedule.afterCompletion === 'DELETE') {
        this.erase(schedule);
        this.entries.delete(keyOf(schedule.group, schedule.name));
      } else {
        const fired = { ...schedule, firedAt: this.options.clock.now().toISOString() };
        this.write(fired);
        entry.schedule = fired;
      }
    } catch (error) {
      // The schedule stays on disk as it was, so the next start fires it again: twice, never lost.
      this.entries.delete(keyOf(schedule.group, schedule.name));
      this.options.log(
        `${this.stamp()} scheduler: ${label} fired, but its file could not be updated: ${publicMessage(error)}`,
      );
    }
  }

  /**
   * A start the engine refused (its state machine is gone, say) is given up on at once: a dead letter, as
   * Scheduler's is for an error no retry can cure. Any other failure (a full disk) is tried again with
   * backoff within the target's retry policy, then given up on too.
   */
  private failed(entry: Entry, error: unknown): void {
    const { schedule } = entry;
    entry.failures += 1;
    const policy = schedule.target.RetryPolicy;
    const now = this.options.clock.now().getTime();
    const age = (now - Date.parse(schedule.dueAt)) / 1000;
    const retry = FIRST_RETRY_MS * 2 ** Math.min(entry.failures - 1, 10);
    const giveUp =
      error instanceof EngineError ||
      entry.failures > (policy?.MaximumRetryAttempts ?? DEFAULT_MAX_RETRIES) ||
      age + retry / 1000 > (policy?.MaximumEventAgeInSeconds ?? DEFAULT_MAX_AGE_SECONDS);
    const label = `${schedule.group}/${schedule.name}`;
    const reason = publicMessage(error);
    if (!giveUp) {
      this.options.log(
        `${this.stamp()} scheduler: ${label} could not start its target (${reason}): retried later`,
      );
      this.enqueue({
        at: now + Math.min(retry, LONGEST_RETRY_MS),
        seq: entry.seq,
        key: keyOf(schedule.group, schedule.name),
      });
      return;
    }
    this.deadLetters += 1;
    this.options.log(
      `${this.stamp()} scheduler: ${label} could not start its target and is given up on: ${reason}`,
    );
    const dir = this.options.dir;
    try {
      if (dir !== undefined) {
        appendFileSync(
          join(dir, 'dead-letters.jsonl'),
          `${JSON.stringify({ time: new Date(now).toISOString(), reason, schedule })}\n`,
        );
      }
      this.erase(schedule);
      this.entries.delete(keyOf(schedule.group, schedule.name));
    } catch (writeError) {
      // Kept as it is on disk: the next start tries it again.
      this.entries.delete(keyOf(schedule.group, schedule.name));
      this.options.log(
        `${this.stamp()} scheduler: ${label}: the dead letter could not be written: ${publicMessage(writeError)}`,
      );
    }
  }

  private schedulesDir(): string | undefined {
    return this.options.dir === undefined ? undefined : join(this.options.dir, 'schedules');
  }

  private write(schedule: Schedule): void {
    const dir = this.schedulesDir();
    if (dir !== undefined) writeJsonFile(join(dir, fileName(schedule.group, schedule.name)), schedule);
  }

  private erase(schedule: Schedule): void {
    const dir = this.schedulesDir();
    if (dir !== undefined) rmSync(join(dir, fileName(schedule.group, schedule.name)), { force: true });
  }

  private stamp(): string {
    return `[${this.options.clock.now().toISOString().slice(0, 16).replace('T', ' ')}]`;
  }
}

/** Checked when it was made; a file edited by hand since may no longer parse, and no retry would cure it. */
function inputOf(schedule: Schedule): JsonValue {
  try {
    // Without an Input, Scheduler starts the execution with an empty object.
    return toJsonValue(JSON.parse(schedule.target.Input ?? '{}'));
  } catch {
    throw new EngineError('InvalidExecutionInput', "The schedule's Input is not JSON");
  }
}

/** Enabled and not fired yet. */
function waiting(schedule: Schedule): boolean {
  return schedule.state === 'ENABLED' && schedule.firedAt === undefined;
}

/** Names have no "/": group and name cannot run into each other. */
function keyOf(group: string, name: string): string {
  return `${group}/${name}`;
}

export function scheduleArn(group: string, name: string): string {
  return `arn:aws:scheduler:${LOCAL_REGION}:${LOCAL_ACCOUNT}:schedule/${group}/${name}`;
}

/**
 * One file per schedule. The hash keeps apart what a file system would fold together ("a" and "A" on a
 * case-insensitive disk) and makes ".." a plain name; the readable part helps a person find a file.
 */
function fileName(group: string, name: string): string {
  const hash = createHash('sha256').update(keyOf(group, name)).digest('hex').slice(0, 32);
  const readable = `${group === DEFAULT_SCHEDULE_GROUP ? '' : `${group}~`}${name}`.replace(
    /[^A-Za-z0-9_-]/g,
    '_',
  );
  return `${readable.slice(0, 60)}.${hash}.json`;
}
