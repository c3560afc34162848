/**
 * A send step in ASL: the deliver Task, the Choice on its outcome, the waits
 * for quiet hours and for a send slot, and the failure record. A webhook or
 * function that feeds another system is one Task: it is never deferred.
 */
import type { ChoiceRule, State, TaskState } from '../asl/types.ts';
import { stepResultPath } from '../asl/path.ts';
import { LAMBDA_INVOKE, PLACEHOLDERS, type SendTarget } from '../contract/tasks.ts';
import { toJsonValue } from '../json.ts';
import { reachableFrom, stepById, stepEdges } from './graph.ts';
import { policiesFor } from './policies.ts';
import { placeholder } from './resources.ts';
import { type Journey, sendChannels, type StepOfType } from './schema.ts';
import { STATE_PATHS } from './state.ts';
import { executionRef, stepsTask } from './task-states.ts';

function isInLoop(journey: Journey, id: string): boolean {
  const step = stepById(journey, id);
  return step !== undefined && stepEdges(step).some((edge) => reachableFrom(journey, edge.to).has(id));
}

/** What a webhook or function step calls; the validator makes sure the name and `reaches` are there. */
function sendTarget(step: StepOfType<'send'>): { target?: SendTarget } {
  const reaches = step.reaches ?? 'customer';
  const [channel] = sendChannels(step);
  if (channel === 'webhook' && step.endpoint !== undefined) {
    return { target: { channel, endpoint: step.endpoint, reaches } };
  }
  if (channel === 'function' && step.function !== undefined) {
    return { target: { channel, function: step.function, reaches } };
  }
  return {};
}

export function compileSend(journey: Journey, id: string, step: StepOfType<'send'>): Record<string, State> {
  const notSent = step.onNotSent ?? step.next;
  const outcome = `${id}.outcome`;
  const quietHours = `${id}.quietHours`;
  const rateWait = `${id}.rateWait`;
  const withSlot = `${id}.withSlot`;
  const failed = `${id}.failed`;
  const payload = {
    task: 'deliver',
    stepId: id,
    channels: sendChannels(step),
    ...sendTarget(step),
    template: step.template,
    category: step.category,
    caps: toJsonValue(journey.caps),
    ...(journey.sendRate === undefined ? {} : { sendRate: journey.sendRate }),
    'trigger.$': STATE_PATHS.trigger,
    'values.$': STATE_PATHS.values,
    // A step the journey can come back to sends once per visit; elsewhere once per execution,
    // even if the execution is resumed from a checkpoint and runs the step again.
    ...(isInLoop(journey, id) ? { 'visit.$': '$$.State.EnteredTime' } : {}),
    ...executionRef(journey),
  };
  const task: TaskState = {
    Type: 'Task',
    ...(step.description === undefined ? {} : { Comment: step.description }),
    Resource: LAMBDA_INVOKE,
    Parameters: { FunctionName: placeholder(PLACEHOLDERS.deliverFunction), Payload: payload },
    ResultSelector: { 'outcome.$': '$.Payload' },
    ResultPath: stepResultPath(id),
    TimeoutSeconds: policiesFor(journey).taskTimeoutSeconds,
    Retry: [policiesFor(journey).throttled, policiesFor(journey).lambdaService],
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: stepResultPath(id), Next: failed }],
    Next: outcome,
  };
  const failure = {
    [failed]: stepsTask(
      journey,
      { task: 'recordFailure', stepId: id, 'error.$': stepResultPath(id) },
      // The failure is recorded; the customer goes on the way the journey says for unsent messages.
      {
        resultPath: null,
        next: notSent,
        catchTo: notSent,
        catchResultPath: stepResultPath(id, 'recordError'),
      },
    ),
  };
  const sentChoice: ChoiceRule = {
    Variable: stepResultPath(id, 'outcome', 'status'),
    StringEquals: 'sent',
    Next: step.next,
  };
  // A call that feeds another system is never deferred or paced (deliverToSystem): no waits to compile.
  if (step.reaches === 'system') {
    if (notSent === step.next) return { [id]: { ...task, Next: step.next }, ...failure };
    return {
      [id]: task,
      [outcome]: { Type: 'Choice', Choices: [sentChoice], Default: notSent },
      ...failure,
    };
  }
  const choices: ChoiceRule[] = [
    { Variable: stepResultPath(id, 'outcome', 'status'), StringEquals: 'deferred', Next: quietHours },
    { Variable: stepResultPath(id, 'outcome', 'status'), StringEquals: 'rate-limited', Next: rateWait },
  ];
  if (notSent !== step.next) choices.push(sentChoice);
  return {
    [id]: task,
    [outcome]: { Type: 'Choice', Choices: choices, Default: notSent },
    [quietHours]: {
      Type: 'Wait',
      Comment: 'Quiet hours in the customer time zone: try again when they end.',
      TimestampPath: stepResultPath(id, 'outcome', 'resumeAt'),
      Next: id,
    },
    [rateWait]: {
      Type: 'Wait',
      Comment: "A send slot of the channel's rate, taken by the step: wait for it, then send holding it.",
      TimestampPath: stepResultPath(id, 'outcome', 'resumeAt'),
      Next: withSlot,
    },
    [withSlot]: {
      ...task,
      Parameters: {
        FunctionName: placeholder(PLACEHOLDERS.deliverFunction),
        Payload: {
          ...payload,
          slot: {
            'channel.$': stepResultPath(id, 'outcome', 'channel'),
            'at.$': stepResultPath(id, 'outcome', 'resumeAt'),
            'taken.$': stepResultPath(id, 'outcome', 'taken'),
          },
        },
      },
    },
    ...failure,
  };
}
