/**
 * The end of a journey's execution, however it ended (succeeded, failed, timed out, stopped): Step
 * Functions' status-change event frees the customer's place in the journey and records the outcome
 * in the history. The state machines end without a Task for it, so an execution costs no transition
 * for its end, and an end no Task could see (a stop by hand, a timeout) is recorded all the same.
 *
 * EventBridge delivers at least once: a copy of the event releases again (a no-op) and finds its
 * history entry already written, under a key made of the execution, the outcome and the stop time.
 */
import * as z from 'zod';
import { journeyOfStateMachine } from '../aws/names.ts';
import type { HistoryEntryOf } from '../customer/history.ts';
import { customerIdSchema } from '../customer/profile.ts';
import { customerIdPath } from '../events/catalog.ts';
import type { EventPattern } from '../events/pattern.ts';
import type { Journey } from '../journey/schema.ts';
import { triggerMatcher } from '../journey/trigger.ts';
import { isRecord, lambdaErrorMessage, ownValue } from '../json.ts';
import { appendJourneyEntry } from '../store/history.ts';
import { TASK_ERRORS } from '../contract/tasks.ts';
import { release } from '../store/journeys.ts';
import { withoutContactDetails } from '../text/mask.ts';
import { type ExecutionData, type Runtime, WAYMARK_STOP_ERROR } from './runtime.ts';

export const STATES_SOURCE = 'aws.states';
export const EXECUTION_STATUS_CHANGE = 'Step Functions Execution Status Change';
/** The statuses an execution ends in; RUNNING and PENDING_REDRIVE are not an end. */
export const ENDED_STATUSES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;
export type EndedStatus = (typeof ENDED_STATUSES)[number];

/** The `about` part of the entry's key: the old finish Task wrote its step id there, so keys never meet. */
const END_ENTRY = 'execution-end';
/** A failure's reason is read, not parsed: the start of the error and cause is enough. */
export const MAX_REASON_LENGTH = 500;

/**
 * The rule that brings the ends of a stage's journey executions to the finish function: on AWS the
 * default bus, the journeys' state machines by the prefix of their ARN (`...:stateMachine:waymark-<stage>-`);
 * locally every state machine the engine runs.
 */
export function executionEndPattern(stateMachineArnPrefix: string): EventPattern {
  return {
    source: [STATES_SOURCE],
    'detail-type': [EXECUTION_STATUS_CHANGE],
    detail: {
      status: [...ENDED_STATUSES],
      stateMachineArn: [{ prefix: stateMachineArnPrefix }],
    },
  };
}

/** Whether a payload was included in the event or left out for its size (`inputDetails`, `outputDetails`). */
const includedSchema = z.object({ included: z.boolean() }).nullish();

/** The detail as Step Functions documents it; fields it may add later (redriveCount...) are left alone. */
const statusDetailSchema = z.object({
  executionArn: z.string().min(1),
  stateMachineArn: z.string().min(1),
  name: z.string().min(1),
  status: z.string().min(1),
  /** Epoch milliseconds. */
  startDate: z.number().nullish(),
  stopDate: z.number().nullish(),
  input: z.string().nullish(),
  inputDetails: includedSchema,
  output: z.string().nullish(),
  outputDetails: includedSchema,
  error: z.string().nullish(),
  cause: z.string().nullish(),
});
type StatusDetail = z.infer<typeof statusDetailSchema>;

const statusChangeSchema = z.object({
  id: z.string().min(1),
  source: z.literal(STATES_SOURCE),
  'detail-type': z.literal(EXECUTION_STATUS_CHANGE),
  time: z.iso.datetime({ offset: true }),
  detail: statusDetailSchema,
});

/** The state a journey ends in: enter's answer, and the last send step's when it finished the journey. */
const notEnteredSchema = z.object({ entry: z.object({ outcome: z.object({ admitted: z.literal(false) }) }) });
const finishedByStepSchema = z.object({
  final: z.object({ outcome: z.object({ finished: z.literal(true) }) }),
});

export type JourneyEndAction = Extract<
  HistoryEntryOf<'journey'>['action'],
  'completed' | 'failed' | 'stopped'
>;

export type IgnoredReason =
  /** RUNNING, PENDING_REDRIVE, or a status Step Functions may add. */
  | 'not-ended'
  /** A state machine that runs no journey of this project (the broadcast machine, another app's). */
  | 'not-a-journey'
  /** The last send step released the place and recorded the end in its own write. */
  | 'finished-by-step'
  /** The entry rules turned the event away: enter recorded it, and no place was taken. */
  | 'not-entered'
  /** The input or output was left out of the event and Step Functions no longer knows the execution. */
  | 'unknown-execution'
  /** No customer item (erased since): the place went with it, and nothing is written back. */
  | 'unknown-customer'
  /** The execution's input names no customer where its trigger keeps the id: no place was ever taken. */
  | 'no-customer';

export type FinishOutcome =
  | {
      status: 'finished';
      journeyId: string;
      execution: EndedStatus;
      /** undefined: Waymark stopped it (a goal exit, an erasure) and recorded the end itself. */
      action: JourneyEndAction | undefined;
      /** false: the entry was there already (a copy of the event), or none was due. */
      recorded: boolean;
    }
  | { status: 'ignored'; reason: IgnoredReason; journeyId?: string; execution?: string }
  /** Not a status-change event Step Functions would send: refused, not retried. Field names only. */
  | { status: 'invalid'; problems: string[] };

export async function finishExecution(event: unknown, runtime: Runtime): Promise<FinishOutcome> {
  const parsed = statusChangeSchema.safeParse(event);
  if (!parsed.success) return { status: 'invalid', problems: problemsOf(parsed.error) };
  const { detail, time } = parsed.data;
  const status = endedStatus(detail.status);
  if (status === undefined) return { status: 'ignored', reason: 'not-ended', execution: detail.status };
  const journey = journeyOf(runtime, detail.stateMachineArn);
  if (journey === undefined) return { status: 'ignored', reason: 'not-a-journey', execution: status };
  const ignored = (reason: IgnoredReason): FinishOutcome => ({
    status: 'ignored',
    reason,
    journeyId: journey.id,
    execution: status,
  });
  const data = await executionData(runtime, detail, status);
  if (data === 'invalid') return { status: 'invalid', problems: ['detail.input or detail.output: not JSON'] };
  if (data === undefined) return ignored('unknown-execution');
  // Before any request: the ends that need none cost none.
  if (status === 'SUCCEEDED' && notEnteredSchema.safeParse(data.output).success)
    return ignored('not-entered');
  if (status === 'SUCCEEDED' && finishedByStepSchema.safeParse(data.output).success)
    return ignored('finished-by-step');
  const customerId = customerOf(runtime, journey, data.input);
  if (customerId === undefined) return ignored('no-customer');

  // The place in `active` holds `$$.Execution.Id`: the execution's ARN, on AWS and locally alike.
  const executionId = detail.executionArn;
  const { customerKnown } = await release(runtime.store, customerId, journey.id, executionId);
  // Erased since the execution was admitted (its item holds the place): nothing goes back into the
  // partition. The same write told it, at no cost.
  if (!customerKnown) return ignored('unknown-customer');
  const end = endOf(status, detail);
  if (end === undefined) {
    return {
      status: 'finished',
      journeyId: journey.id,
      execution: status,
      action: undefined,
      recorded: false,
    };
  }
  const entry: HistoryEntryOf<'journey'> = {
    kind: 'journey',
    time: new Date(detail.stopDate ?? Date.parse(time)).toISOString(),
    journeyId: journey.id,
    executionId,
    action: end.action,
    ...(end.reason === undefined ? {} : { reason: end.reason }),
  };
  const recorded = await appendJourneyEntry(runtime.store, customerId, entry, END_ENTRY);
  return { status: 'finished', journeyId: journey.id, execution: status, action: end.action, recorded };
}

function endedStatus(status: string): EndedStatus | undefined {
  return ENDED_STATUSES.find((ended) => ended === status);
}

/** What the history says of an end; undefined for an end recorded elsewhere (Waymark's own stops, an old finish Task). */
function endOf(
  status: EndedStatus,
  detail: StatusDetail,
): { action: JourneyEndAction; reason?: string } | undefined {
  switch (status) {
    case 'SUCCEEDED':
      return { action: 'completed' };
    case 'FAILED':
      // A definition compiled before executions ended on this event recorded its failure in its
      // finish Task, then failed with this error: one entry is enough.
      if (detail.error === TASK_ERRORS.journeyFailed) return undefined;
      return { action: 'failed', reason: reasonOf(detail) ?? 'failed' };
    case 'TIMED_OUT':
      return { action: 'failed', reason: 'timed out' };
    case 'ABORTED': {
      if (detail.error === WAYMARK_STOP_ERROR) return undefined;
      const reason = reasonOf(detail);
      return reason === undefined ? { action: 'stopped' } : { action: 'stopped', reason };
    }
  }
}

/**
 * "error: cause" as the steps function writes a failed step's, a Lambda error's cause by its message
 * alone (no stack trace). Either may quote a customer's data: addresses and numbers are masked before
 * the text is cut, so no cut leaves half of one.
 */
function reasonOf(detail: StatusDetail): string | undefined {
  const cause = typeof detail.cause === 'string' ? lambdaErrorMessage(detail.cause) : undefined;
  const parts = [detail.error, cause].filter(
    (part): part is string => typeof part === 'string' && part !== '',
  );
  if (parts.length === 0) return undefined;
  const text = withoutContactDetails(parts.join(': '));
  return text.length > MAX_REASON_LENGTH ? `${text.slice(0, MAX_REASON_LENGTH - 1)}…` : text;
}

/**
 * The journey a state machine runs, from the name in its ARN (`arn:aws:states:<region>:<account>:
 * stateMachine:<name>`): `waymark-<stage>-<journey id>` on AWS (with `_express` for Express machines,
 * which send no status events), the journey id locally. A Map Run's child machine (`<name>/<label>`)
 * is no journey.
 */
function journeyOf(runtime: Runtime, stateMachineArn: string): Journey | undefined {
  const parts = stateMachineArn.split(':');
  const name = parts[6];
  if (parts.length !== 7 || parts[0] !== 'arn' || parts[5] !== 'stateMachine' || name === undefined) {
    return undefined;
  }
  if (name.includes('/')) return undefined;
  const journeys = runtime.project.journeys;
  const journeyId = journeyOfStateMachine(
    name,
    journeys.map((journey) => journey.id),
    undefined,
  );
  return journeys.find((journey) => journey.id === journeyId);
}

/**
 * The input, and for a success the output, from the event; what it left out for its size (both
 * together may be at most 248 KB) from DescribeExecution. 'invalid': text that is not JSON.
 */
async function executionData(
  runtime: Runtime,
  detail: StatusDetail,
  status: EndedStatus,
): Promise<ExecutionData | 'invalid' | undefined> {
  const input = typeof detail.input === 'string' ? parseJson(detail.input) : MISSING;
  // Only a success's output is read (for the ends a step recorded itself).
  const output =
    status !== 'SUCCEEDED'
      ? undefined
      : typeof detail.output === 'string'
        ? parseJson(detail.output)
        : detail.outputDetails?.included === false
          ? MISSING
          : undefined;
  if (input === NOT_JSON || output === NOT_JSON) return 'invalid';
  if (input !== MISSING && output !== MISSING) return { input, output };
  const described = await runtime.workflows.describeExecution(detail.executionArn);
  if (described === undefined) return undefined;
  return {
    input: input === MISSING ? described.input : input,
    output: output === MISSING ? described.output : output,
  };
}

const MISSING = Symbol('left out of the event');
const NOT_JSON = Symbol('not JSON');

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}

/**
 * The customer, read from the execution's input (the trigger event) where the journey's trigger
 * keeps the id: the same path the compiled enter step reads it from.
 */
function customerOf(runtime: Runtime, journey: Journey, input: unknown): string | undefined {
  let value: unknown = isRecord(input) ? ownValue(input, 'detail') : undefined;
  for (const segment of customerIdPath(runtime.project.events, triggerMatcher(journey.trigger).event)) {
    value = isRecord(value) ? ownValue(value, segment) : undefined;
  }
  const parsed = customerIdSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Where the event is wrong, by field and expectation: never a value from it. */
function problemsOf(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return `${path === '' ? 'event' : path}: ${issue.message}`;
  });
}
