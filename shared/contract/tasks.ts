/**
 * The contract between the compiled state machines and the functions they
 * call. The compiler builds each Task's payload from these types and the
 * handlers parse the same types, so the ASL and the code cannot drift apart.
 */
import type {
  CapRule,
  Channel,
  Condition,
  EventMatcher,
  Reentry,
  StepOfType,
  ValueExpression,
} from '../journey/schema.ts';
import type { AwaitedContinuation, ResumedState, ResumeInput, RunRef, Wake } from './parts.ts';

/** Definition substitutions: `${Name}` in the ASL, filled by CDK or by the local engine. */
export const PLACEHOLDERS = {
  /** Runs every step that does not send a message: entry, branches, schedules, profile updates, waits, finish. */
  stepsFunction: 'StepsFunctionArn',
  /** Sends messages: the only function allowed to call SES and SNS. */
  deliverFunction: 'DeliverFunctionArn',
  eventBus: 'EventBusName',
} as const;
export type PlaceholderKey = keyof typeof PLACEHOLDERS;
export type PlaceholderName = (typeof PLACEHOLDERS)[PlaceholderKey];

export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
export const LAMBDA_INVOKE_WAIT_FOR_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
export const EVENTS_PUT_EVENTS = 'arn:aws:states:::events:putEvents';

/** Errors the functions throw on purpose, so the ASL can retry or catch them by name. */
export const TASK_ERRORS = {
  /** SES or SNS asked us to slow down: retried with backoff. */
  throttled: 'Waymark.Throttled',
  /** The journey can no longer go on (e.g. a corrupt state); caught and recorded. */
  journeyFailed: 'Waymark.JourneyFailed',
  /**
   * A message put off (quiet hours, a send slot later): its message is the outcome as JSON, which the
   * state machine parses and waits on. An error, so a message sent goes on without a Choice.
   */
  deferred: 'Waymark.Deferred',
} as const;

/** What every Task knows about where it runs. */
export interface ExecutionRef {
  journeyId: string;
  journeyVersion: number;
  /** `$$.Execution.Id`: the execution ARN on AWS, an id locally. */
  executionId: string;
  customerId: string;
  /**
   * `$$.State.EnteredTime`: the same on every retry of one visit to the state, so history entries
   * written under it are written once however often Lambda retries.
   */
  enteredAt?: string;
}

/** The EventBridge event that started the execution, as delivered by the rule. */
export interface TriggerEnvelope {
  id: string;
  'detail-type': string;
  source: string;
  time: string;
  detail: Record<string, unknown>;
}

/** What SendTaskSuccess hands a waitForEvent step: enough to find the event in the history, small enough for the state. */
export interface AwaitedEvent {
  eventId: string;
  detailType: string;
  time: string;
}

/**
 * Enter resolves every journey value: literals as written, references from the event, trigger or
 * profile, and `null` for a reference that finds nothing. Every declared value is present, so the
 * state machine's `$.entry.outcome.values.<name>` paths can never fail.
 */
export type EntryDecision =
  | { admitted: true; values: Record<string, unknown> }
  | {
      admitted: false;
      /**
       * invalid-event: the detail does not match the catalog, so steps relying on its fields would fail.
       * duplicate-event: the same event id, or the same business key (`entry.dedupeBy`), entered before.
       */
      reason:
        'duplicate-event' | 'reentry-never' | 'reentry-too-soon' | 'concurrency-limit' | 'invalid-event';
    };

/**
 * What enter answers: the decision, with the customer and the trigger that the state machine makes its
 * state of (it starts on the bare event). `values` is there on a refusal too, empty, so every path the
 * state machine selects exists.
 */
export type EnterResult = (
  | { admitted: true; values: Record<string, unknown> }
  | {
      admitted: false;
      reason: Extract<EntryDecision, { admitted: false }>['reason'];
      values: Record<string, never>;
    }
) & {
  customerId: string;
  trigger: TriggerEnvelope;
  /** High-volume journeys (`parts` in the task): the run the first part starts. */
  run?: RunRef;
};

export type DeliveryOutcome =
  | {
      status: 'sent';
      channel: Channel;
      messageId: string;
      /** Sent, but its history entry could not be written: the deliver function logs and counts it. */
      unrecorded?: true;
      /** The journey's last step: the customer's place is free and the end recorded (`finishes`). */
      finished?: true;
    }
  | { status: 'deferred'; resumeAt: string; reason: string; channel: Channel }
  /** Waits for its send slot (the channel's or the journey's rate), taken and held until `resumeAt`. */
  | {
      status: 'rate-limited';
      resumeAt: string;
      reason: string;
      channel: Channel;
      /** How many of the send's rate buckets (the journey's, then the channel's) hold the slot. */
      taken: number;
    }
  | { status: 'capped'; reason: string; capId: string; channel: Channel; finished?: true }
  | { status: 'opted-out' | 'no-address' | 'failed'; reason: string; channel?: Channel; finished?: true };

/** Payloads of the steps function, discriminated by `task`. */
export type StepsTask =
  | (ExecutionRef & {
      task: 'enter';
      trigger: TriggerEnvelope;
      entry: {
        reentry: Reentry;
        maxConcurrent: number;
        /** Trigger detail fields that make two events one fact; absent: events are told apart by id. */
        dedupeBy?: string[];
      };
      values: Record<string, ValueExpression>;
      /** High-volume journeys: answer with the run (see parts.ts). */
      parts?: true;
    })
  | (ExecutionRef & {
      task: 'evaluate';
      stepId: string;
      cases: Condition[];
      trigger: TriggerEnvelope;
      values: Record<string, unknown>;
    })
  | (ExecutionRef & {
      task: 'schedule';
      stepId: string;
      until: NonNullable<StepOfType<'wait'>['until']>;
      /** `$$.State.EnteredTime`: the schedule is computed from when the step began. */
      now: string;
    })
  | (ExecutionRef & {
      task: 'updateProfile';
      stepId: string;
      set: Record<string, ValueExpression>;
      addTags: string[];
      removeTags: string[];
      trigger: TriggerEnvelope;
      values: Record<string, unknown>;
    })
  | (ExecutionRef & {
      task: 'awaitEvent';
      stepId: string;
      taskToken: string;
      event: EventMatcher;
      timeoutSeconds: number;
      now: string;
    })
  | (ExecutionRef & {
      task: 'park';
      /** The state that waits: a wait step, a waitForEvent, a send's quiet hours or send slot. */
      stepId: string;
      /** Where the next part starts: after the wait, or when a waitForEvent times out. */
      next: string;
      wake: Wake;
      /** A waitForEvent: the event that resumes the run sooner, and where it goes on. */
      awaits?: AwaitedContinuation;
      /** The whole execution state, kept in the table until the next part. */
      state: Record<string, unknown>;
      /** `$$.StateMachine.Id`: the machine the next part runs on. */
      machine: string;
      /** The role the schedule starts the next part with. */
      role: string;
      /** `$$.State.EnteredTime`: a wait of seconds counts from when it began. */
      now: string;
    })
  | (ExecutionRef & { task: 'resume'; resume: ResumeInput['resume'] })
  | (ExecutionRef & { task: 'recordFailure'; stepId: string; error: unknown })
  /** Only from definitions compiled before executions ended on their status-change event. */
  | (ExecutionRef & { task: 'finish'; outcome: 'completed' | 'failed'; stepId: string; error?: unknown });

export type StepsTaskKind = StepsTask['task'];

export interface StepsTaskResults {
  enter: EnterResult;
  evaluate: { matched: number };
  schedule: { resumeAt: string };
  updateProfile: { updated: string[] };
  /** Resolved through SendTaskSuccess by the resume function. */
  awaitEvent: AwaitedEvent;
  /** `started`: the wake was due already, so the next part was started at once. */
  park: { parked: 'scheduled' | 'started' | 'parked-before' | 'run-ended' };
  resume: ResumedState;
  recordFailure: { recorded: true };
  finish: { finished: true };
}

export interface DeliverTask extends ExecutionRef {
  task: 'deliver';
  stepId: string;
  channels: Channel[];
  template: string;
  category: 'marketing' | 'transactional';
  /** Caps declared by the journey itself; global caps come from settings. */
  caps: CapRule[];
  trigger: TriggerEnvelope;
  values: Record<string, unknown>;
  /** `$$.State.EnteredTime`, set only for steps inside a loop: each visit is a new message. */
  visit?: string;
  /** The journey's own messages a second (`sendRate`); it only lowers settings' `sendRates`. */
  sendRate?: number;
  /**
   * The send slot an earlier attempt of this step took and waited for (a `rate-limited` outcome):
   * the message goes out on that channel without taking another.
   */
  slot?: { channel: Channel; at: string; taken: number };
  /** A webhook or function step: what it calls, and whether the call reaches the customer. */
  target?: SendTarget;
  /**
   * Set by definitions that catch Waymark.Deferred: a deferral is thrown as that error. Without it (an
   * execution started on an older definition) it is answered, for that definition's Choice.
   */
  deferral?: 'error';
  /** The step leads to the end: free the customer's place with the send's own write. */
  finishes?: true;
}

/**
 * "system": the call feeds another system (an ads audience): no consent, quiet hours or caps, and no
 * place in the customer's ledger; "customer": it puts a message before them, under every rule.
 */
export type SendTarget =
  | { channel: 'webhook'; endpoint: string; reaches: 'customer' | 'system' }
  | { channel: 'function'; function: string; reaches: 'customer' | 'system' };
