/**
 * The high-volume target's contract: a journey runs as parts, each an Express
 * execution of the journey's one state machine, from one wait to the next.
 * A part ends on a `park` task, which keeps the state in the table and leaves
 * a one-time schedule (or a waitForEvent registration and a timeout schedule)
 * to start the next part; the next part starts on a `resume` task, which
 * claims the park by a conditional write and hands the state back.
 *
 * Parts are at-least-once (Express, Scheduler and EventBridge all are), so
 * every key a part writes under is the run's, never the execution's:
 * `run.id` is the journey and the trigger event (`<journeyId>/<eventId>`), the
 * same for every part and for every copy of one; `run.at` is the part's own
 * time (the admission, or the time the park was due), the same for every
 * copy of the part.
 */
import type { EventMatcher } from '../journey/schema.ts';
import type { AwaitedEvent } from './tasks.ts';

/** Where a part keeps the run in the execution state. */
export const RUN_PATHS = {
  id: '$.run.id',
  at: '$.run.at',
  next: '$.run.next',
} as const;

/** Definition substitutions the high-volume target adds (see PLACEHOLDERS). */
export const PART_PLACEHOLDERS = {
  /** The role EventBridge Scheduler starts this journey's next parts with: allowed this machine only. */
  schedulerRole: 'SchedulerRoleArn',
} as const;
export type PartPlaceholderName = (typeof PART_PLACEHOLDERS)[keyof typeof PART_PLACEHOLDERS];

/** The run a part belongs to, as carried in the state from part to part. */
export interface RunRef {
  id: string;
  /** The part's time: what history entries and per-visit keys of this part are written under. */
  at: string;
  /** Where a resumed part goes on; null in the first part, and when a resume is refused. */
  next: string | null;
}

/** The run id of a journey's run started by an event: the same however often the event comes. */
export function runIdOf(journeyId: string, eventId: string): string {
  return `${journeyId}/${eventId}`;
}

/** Whether an execution id names a high-volume run (`<journeyId>/<eventId>`) rather than an execution. */
export function isRunId(executionId: string): boolean {
  return !executionId.startsWith('arn:') && executionId.includes('/');
}

/** When a parked run wakes: after some seconds, or at an instant (a local time, a quiet hours' end). */
export type Wake = { seconds: number } | { at: string };

/** What woke a park: its schedule (the wait is over, or a waitForEvent timed out), or the awaited event. */
export type ResumeCause = { kind: 'schedule' } | { kind: 'event'; event: AwaitedEvent };

/** The input of a part that resumes a run: what a schedule, or the resume function, starts it with. */
export interface ResumeInput {
  resume: {
    customerId: string;
    journeyId: string;
    /** The park's key in the customer's partition. */
    park: string;
    by: ResumeCause;
  };
}

/** A waitForEvent's park: the event that resumes it on `next`, where a timeout goes on `onTimeout`. */
export interface AwaitedContinuation {
  event: EventMatcher;
  next: string;
}

/** A parked run's part, handed back by `resume`: the execution state as it was, with the run moved on. */
export type ResumedState = Record<string, unknown> & { run: RunRef };
