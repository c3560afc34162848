/**
 * The compiler: a validated journey becomes the EventBridge patterns of its
 * rules and the Amazon States Language definition of its state machine.
 * Pure and deterministic: the same journey and settings give byte-identical
 * output, so compiled files can be reviewed and kept as golden files.
 */
import { customerIdPath, type EventCatalog } from '../events/catalog.ts';
import type { AslJson, State, StateMachineDefinition } from '../asl/types.ts';
import { EVENTS_PUT_EVENTS, PLACEHOLDERS, TASK_ERRORS } from '../contract/tasks.ts';
import { toJsonValue } from '../json.ts';
import { stepResultPath } from '../asl/path.ts';
import { durationSeconds } from '../time/duration.ts';
import { nativeBranch } from './choice.ts';
import { type CostReport, estimateCost } from './cost.ts';
import { assertNever } from './graph.ts';
import { policiesFor } from './policies.ts';
import { type CompileTarget, compileTarget, expressEligibility } from './timing.ts';
import { isHighVolume, PART_STATE, partEntryStates, runEnterFields, waitState } from './compile-parts.ts';
import {
  type Journey,
  type Settings,
  type Step,
  type StepOfType,
  type ValueExpression,
  isReference,
  isAudienceTrigger,
} from './schema.ts';
import { isDeliveryState, placeholder, type ResourceUse, resourcesOf } from './resources.ts';
import { type CompiledRule, compileRules } from './rules.ts';

export type { ResourceUse };
import { splitKey, splitThresholds } from './split.ts';

export type { CompiledRule, RuleRole } from './rules.ts';
import { referencePath, STATE_PATHS } from './state.ts';
import { audienceTriggerKind, triggerMatcher } from './trigger.ts';
import { compileSend } from './compile-send.ts';
import { STATE } from './state-names.ts';
import { compileWaitForEvent, compileWaitUntil } from './compile-waits.ts';
import { endsOnStatusChange, flowTo, stepsTask, withoutUnreachable } from './task-states.ts';

export { STATE };

export interface CompiledJourney {
  journeyId: string;
  version: number;
  status: Journey['status'];
  /** Deployed at all: drafts compile (so they are checked) but are not deployed. */
  deploy: boolean;
  /** What the journey was compiled as: high-volume parts run as Express executions (workflowType). */
  target: CompileTarget;
  workflowType: 'STANDARD' | 'EXPRESS';
  expressEligible: { eligible: boolean; reasons: string[] };
  rules: CompiledRule[];
  definition: StateMachineDefinition;
  resources: ResourceUse[];
  cost: CostReport;
}

export function compileJourney(journey: Journey, settings: Settings, events: EventCatalog): CompiledJourney {
  const expressEligible = expressEligibility(journey, settings);
  const target = compileTarget(journey, settings);
  const workflowType = target === 'standard' ? 'STANDARD' : 'EXPRESS';
  // Compiled for the target it is deployed as: how an execution ends depends on it (task-states.ts).
  const definition = compileDefinition({ ...journey, workflow: target }, events);
  return {
    journeyId: journey.id,
    version: journey.version,
    status: journey.status,
    deploy: journey.status !== 'draft',
    target,
    workflowType,
    expressEligible,
    rules: compileRules(journey, events),
    definition,
    resources: resourcesOf(definition),
    cost: estimateCost(definition, isDeliveryState, workflowType),
  };
}

/** Stable JSON text of the definition, for `definitionString` and golden files. */
export function definitionText(definition: StateMachineDefinition): string {
  return `${JSON.stringify(definition, null, 2)}\n`;
}

// ---- the state machine ----

export function compileDefinition(journey: Journey, events: EventCatalog): StateMachineDefinition {
  const customerIdAt = ['$', 'detail', ...customerIdPath(events, triggerMatcher(journey.trigger).event)].join(
    '.',
  );
  const states: Record<string, State> = {
    // The execution starts here on the event as the rule delivered it; enter answers with the state
    // every later step reads, so no Pass is needed to shape it.
    [STATE.enter]: {
      ...stepsTask(
        journey,
        {
          task: 'enter',
          'customerId.$': customerIdAt,
          'trigger.$': '$',
          entry: toJsonValue(entryRules(journey)),
          values: toJsonValue(journey.values),
          ...(isHighVolume(journey) ? runEnterFields(journey) : {}),
        },
        {
          resultPath: '$.state',
          next: STATE.admitted,
          // A high-volume run has no id before enter answers, so nothing can be recorded under it.
          catchTo: isHighVolume(journey) ? STATE.failedEnd : STATE.failed,
          comment: 'Entry rules: duplicate events, re-entry, concurrent journeys per customer.',
        },
      ),
      ResultSelector: {
        'customerId.$': '$.Payload.customerId',
        'trigger.$': '$.Payload.trigger',
        entry: { outcome: { 'admitted.$': '$.Payload.admitted', 'values.$': '$.Payload.values' } },
        steps: {},
        ...(isHighVolume(journey) ? { 'run.$': '$.Payload.run' } : {}),
      },
      // The new state replaces the event ("ResultPath": "$" would too, but not in every interpreter).
      OutputPath: '$.state',
    },
    [STATE.admitted]: {
      Type: 'Choice',
      Choices: [{ Variable: '$.entry.outcome.admitted', BooleanEquals: true, Next: journey.start }],
      Default: STATE.notAdmitted,
    },
    [STATE.notAdmitted]: {
      Type: 'Succeed',
      Comment: 'The entry rules turned this event away; recorded by enter.',
    },
    // The finish function records the failure and frees the customer's place, from the execution's
    // status-change event: no Task here, whatever failed.
    ...failureStates(journey),
  };
  // Sorted so the output does not depend on the order steps were written in.
  for (const stepId of Object.keys(journey.steps).sort()) {
    const step = journey.steps[stepId];
    if (step === undefined) continue;
    const compiled = compileStep(journey, stepId, step, events);
    // Every `next` names a step id, so each step's first state must carry exactly that name.
    if (compiled[stepId] === undefined)
      throw new Error(`Compiler error: step "${stepId}" has no state of its own name`);
    Object.assign(states, compiled);
  }
  // A high-volume machine also starts the run's later parts, each where the run parked.
  const startAt = isHighVolume(journey) ? PART_STATE.part : STATE.enter;
  if (isHighVolume(journey)) Object.assign(states, partEntryStates(journey, states, STATE.enter));
  return {
    Comment: `${journey.name} (journey ${journey.id} v${journey.version}), compiled by Waymark`,
    StartAt: startAt,
    States: withoutUnreachable(states, startAt),
  };
}

/**
 * How a failure ends the execution. On Standard, a Fail state with the error and cause: the finish
 * function records it from the status-change event. Express sends no such events, so there a Task
 * records it first (Express is billed by request, not by transition: the Task costs nothing more).
 */
function failureStates(journey: Journey): Record<string, State> {
  if (endsOnStatusChange(journey)) {
    return {
      [STATE.failed]: {
        Type: 'Fail',
        Comment: "A step failed: the error and cause are the execution's own.",
        ErrorPath: '$.error.Error',
        CausePath: '$.error.Cause',
      },
    };
  }
  return {
    [STATE.failed]: stepsTask(
      journey,
      { task: 'finish', outcome: 'failed', stepId: STATE.failed, 'error.$': '$.error' },
      {
        resultPath: null,
        next: STATE.failedEnd,
        catchTo: STATE.failedEnd,
        catchResultPath: null,
        comment: 'Record why the journey could not go on and release the customer.',
      },
    ),
    [STATE.failedEnd]: {
      Type: 'Fail',
      Error: TASK_ERRORS.journeyFailed,
      Cause: 'A step failed; see the execution history.',
    },
  };
}

function compileStep(journey: Journey, id: string, step: Step, events: EventCatalog): Record<string, State> {
  const comment = step.description;
  switch (step.type) {
    case 'send':
      return compileSend(journey, id, step);
    case 'wait':
      if (step.duration !== undefined) {
        return {
          [id]: waitState(journey, id, {
            waitFor: { seconds: durationSeconds(step.duration) },
            next: flowTo(journey, step.next),
            comment,
          }),
        };
      }
      return compileWaitUntil(journey, id, step);
    case 'waitForEvent':
      return compileWaitForEvent(journey, id, step);
    case 'branch':
      return compileBranch(journey, id, step);
    case 'split':
      return compileSplit(journey, id, step);
    case 'updateProfile':
      return {
        [id]: stepsTask(
          journey,
          {
            task: 'updateProfile',
            stepId: id,
            set: toJsonValue(step.set ?? {}),
            addTags: step.addTags ?? [],
            removeTags: step.removeTags ?? [],
            'trigger.$': STATE_PATHS.trigger,
            'values.$': STATE_PATHS.values,
          },
          // A profile that could not be updated should not stop the customer's journey.
          {
            resultPath: stepResultPath(id),
            next: step.next,
            catchTo: step.next,
            catchResultPath: stepResultPath(id),
            comment,
          },
        ),
      };
    case 'emit':
      return compileEmit(journey, id, step, events);
    case 'end':
      if (endsOnStatusChange(journey)) {
        // Reached by a Choice or a Catch; a state that can end the execution ends it itself (flowTo).
        return { [id]: { Type: 'Succeed', ...(comment === undefined ? {} : { Comment: comment }) } };
      }
      return {
        [id]: stepsTask(
          journey,
          { task: 'finish', outcome: 'completed', stepId: id },
          {
            resultPath: null,
            next: STATE.completed,
            catchTo: STATE.completed,
            catchResultPath: null,
            comment,
          },
        ),
        [STATE.completed]: { Type: 'Succeed' },
      };
    default:
      return assertNever(step);
  }
}

function compileBranch(journey: Journey, id: string, step: StepOfType<'branch'>): Record<string, State> {
  const native = nativeBranch(step);
  if (native !== undefined) {
    // Only the event and the values are read: the state machine decides alone, no function call.
    return {
      [id]: {
        Type: 'Choice',
        ...(step.description === undefined ? {} : { Comment: step.description }),
        Choices: native,
        Default: step.default,
      },
    };
  }
  const choose = `${id}.choose`;
  return {
    [id]: stepsTask(
      journey,
      {
        task: 'evaluate',
        stepId: id,
        cases: toJsonValue(step.cases.map((branchCase) => branchCase.when)),
        'trigger.$': STATE_PATHS.trigger,
        'values.$': STATE_PATHS.values,
      },
      { resultPath: stepResultPath(id), next: choose, catchTo: STATE.failed, comment: step.description },
    ),
    [choose]: {
      Type: 'Choice',
      Choices: step.cases.map((branchCase, index) => ({
        Variable: stepResultPath(id, 'outcome', 'matched'),
        NumericEquals: index,
        Next: branchCase.next,
      })),
      Default: step.default,
    },
  };
}

function compileSplit(journey: Journey, id: string, step: StepOfType<'split'>): Record<string, State> {
  const choose = `${id}.choose`;
  const thresholds = splitThresholds(step.paths.map((path) => path.weight));
  const last = step.paths[step.paths.length - 1];
  return {
    [id]: {
      Type: 'Pass',
      ...(step.description === undefined ? {} : { Comment: step.description }),
      Parameters: {
        // splitKey with the customer left as States.Format's placeholder; ids have no quote or brace to escape.
        'hash.$': `States.Hash(States.Format('${splitKey('{}', journey.id, id)}', ${STATE_PATHS.customerId}), 'SHA-256')`,
      },
      ResultPath: stepResultPath(id),
      Next: choose,
    },
    [choose]: {
      Type: 'Choice',
      Comment: `Stable split: ${step.paths.map((path) => `${path.name} ${path.weight}%`).join(', ')}`,
      Choices: thresholds.map((threshold, index) => ({
        Variable: stepResultPath(id, 'hash'),
        StringLessThan: threshold,
        Next: pathState(id, step.paths[index]?.name ?? ''),
      })),
      Default: pathState(id, last?.name ?? ''),
    },
    ...Object.fromEntries(
      step.paths.map((path): [string, State] => [
        pathState(id, path.name),
        {
          Type: 'Pass',
          ...(path.holdout ? { Comment: 'Holdout: measured, never messaged.' } : {}),
          // Recorded in the state so history and metrics can tell the groups apart, holdout included.
          Result: { name: path.name, holdout: path.holdout },
          ResultPath: stepResultPath(id, 'path'),
          ...flowTo(journey, path.next),
        },
      ]),
    ),
  };
}

/** `.path.` keeps a path named like another suffix ("choose") from taking that state's name. */
function pathState(stepId: string, pathName: string): string {
  return `${stepId}.path.${pathName}`;
}

function compileEmit(
  journey: Journey,
  id: string,
  step: StepOfType<'emit'>,
  events: EventCatalog,
): Record<string, State> {
  const detail: { [key: string]: AslJson } = {};
  for (const [key, value] of Object.entries(step.detail)) Object.assign(detail, parameter(key, value));
  // The customer id goes where the emitted event type keeps it (the validator keeps that key free).
  const [outer = 'customerId', ...inner] = customerIdPath(events, step.event);
  detail[inner.length === 0 ? `${outer}.$` : outer] = nestedCustomerId(inner);
  detail.journeyId = journey.id;
  return {
    [id]: {
      Type: 'Task',
      ...(step.description === undefined ? {} : { Comment: step.description }),
      Resource: EVENTS_PUT_EVENTS,
      Parameters: {
        Entries: [
          {
            EventBusName: placeholder(PLACEHOLDERS.eventBus),
            Source: step.source,
            DetailType: step.event,
            Detail: detail,
          },
        ],
      },
      // A rejected entry fails the task (EventBridge.FailedEntry), so a success needs no checking.
      ResultPath: null,
      TimeoutSeconds: policiesFor(journey).taskTimeoutSeconds,
      Retry: [policiesFor(journey).events],
      // A lost audience signal must not stop the customer's journey; the error stays in the state.
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: stepResultPath(id), Next: step.next }],
      ...flowTo(journey, step.next),
    },
  };
}

/**
 * A segment entry arrives as an event EventBridge names anew on every PutEvents: a record function
 * retried after it put one on the bus puts a second. Its `entryId` is the same both times, so it is
 * the business key unless the journey names its own.
 */
function entryRules(journey: Journey): Journey['entry'] {
  const trigger = journey.trigger;
  if (
    journey.entry.dedupeBy !== undefined ||
    !isAudienceTrigger(trigger) ||
    audienceTriggerKind(trigger) !== 'enter'
  )
    return journey.entry;
  return { ...journey.entry, dedupeBy: ['entryId'] };
}

/** A value as a Parameters entry: a reference becomes a `.$` path into the execution state. */
function parameter(key: string, value: ValueExpression): { [key: string]: AslJson } {
  if (!isReference(value)) return { [key]: toJsonValue(value) };
  const path = referencePath(value.from);
  // The validator allows only event, trigger and values here; the profile is not in the state.
  if (path === undefined) throw new Error(`Compiler error: "${value.from}" is not in the execution state`);
  return { [`${key}.$`]: path };
}

/** `{ "id.$": "$.customerId" }` for the inner path ["id"]; the path itself when there is none. */
function nestedCustomerId(inner: readonly string[]): AslJson {
  const [first, ...rest] = inner;
  if (first === undefined) return STATE_PATHS.customerId;
  return rest.length === 0 ? { [`${first}.$`]: STATE_PATHS.customerId } : { [first]: nestedCustomerId(rest) };
}
