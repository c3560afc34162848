/**
 * A send step in ASL: the deliver Task, then straight on. A message sent or
 * not sent goes to the next step without a Choice (unless the journey sends
 * unsent messages elsewhere); a deferral (quiet hours, a send slot later)
 * comes back as the Waymark.Deferred error, whose path parses the outcome
 * and waits. A webhook or function that feeds another system is one Task: it
 * is never deferred.
 */
import type { ChoiceRule, State, TaskState } from '../asl/types.ts';
import { stepResultPath } from '../asl/path.ts';
import { LAMBDA_INVOKE, PLACEHOLDERS, type SendTarget, TASK_ERRORS } from '../contract/tasks.ts';
import { toJsonValue } from '../json.ts';
import { reachableFrom, stepById, stepEdges } from './graph.ts';
import { policiesFor } from './policies.ts';
import { placeholder } from './resources.ts';
import { type Journey, sendChannels, type StepOfType } from './schema.ts';
import { STATE_PATHS } from './state.ts';
import { executionRef, flowTo, stepsTask, visitPath } from './task-states.ts';
import { waitState } from './compile-parts.ts';

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
  const deferral = `${id}.deferral`;
  const deferredOutcome = `${id}.deferredOutcome`;
  const quietHours = `${id}.quietHours`;
  const rateWait = `${id}.rateWait`;
  const withSlot = `${id}.withSlot`;
  const failed = `${id}.failed`;
  // The last step before the end frees the customer's place and records the end in the writes it
  // makes anyway, and the execution ends with it: on Standard its result is at $.final, where the
  // finish function looks for it; on Express and high-volume no finish Task follows.
  const finishes = notSent === step.next && journey.steps[step.next]?.type === 'end';
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
    ...(isInLoop(journey, id) ? { 'visit.$': visitPath(journey) } : {}),
    ...(finishes ? { finishes: true } : {}),
    ...(step.reaches === 'system' ? {} : { deferral: 'error' }),
    ...executionRef(journey),
  };
  const system = step.reaches === 'system';
  const deferralCatch = system
    ? []
    : [{ ErrorEquals: [TASK_ERRORS.deferred], ResultPath: stepResultPath(id), Next: deferral }];
  // Sent or not, the customer goes on to the same step: no Choice to pay for.
  const onward: { Next: string } | { End: true } = finishes
    ? { End: true }
    : notSent === step.next
      ? flowTo(journey, step.next)
      : { Next: outcome };
  const task: TaskState = {
    Type: 'Task',
    ...(step.description === undefined ? {} : { Comment: step.description }),
    Resource: LAMBDA_INVOKE,
    Parameters: { FunctionName: placeholder(PLACEHOLDERS.deliverFunction), Payload: payload },
    ResultSelector: { 'outcome.$': '$.Payload' },
    ResultPath: finishes ? '$.final' : stepResultPath(id),
    TimeoutSeconds: policiesFor(journey).taskTimeoutSeconds,
    Retry: [policiesFor(journey).throttled, policiesFor(journey).lambdaService],
    Catch: [...deferralCatch, { ErrorEquals: ['States.ALL'], ResultPath: stepResultPath(id), Next: failed }],
    ...onward,
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
  const sentOrNot =
    notSent === step.next
      ? {}
      : { [outcome]: { Type: 'Choice', Choices: [sentChoice], Default: notSent } satisfies State };
  // A call that feeds another system is never deferred or paced (deliverToSystem): no waits to compile.
  if (system) return { [id]: task, ...sentOrNot, ...failure };
  const deferredRules: ChoiceRule[] = [
    { Variable: stepResultPath(id, 'outcome', 'status'), StringEquals: 'rate-limited', Next: rateWait },
  ];
  return {
    [id]: task,
    ...sentOrNot,
    [deferral]: {
      Type: 'Pass',
      Comment: "Deferred: the error's cause is Lambda's, whose message is the outcome.",
      Parameters: { 'cause.$': `States.StringToJson(${stepResultPath(id, 'Cause')})` },
      ResultPath: stepResultPath(id),
      Next: deferredOutcome,
    },
    [deferredOutcome]: {
      Type: 'Pass',
      Parameters: { 'outcome.$': `States.StringToJson(${stepResultPath(id, 'cause', 'errorMessage')})` },
      ResultPath: stepResultPath(id),
      Next: `${id}.deferredWhy`,
    },
    [`${id}.deferredWhy`]: { Type: 'Choice', Choices: deferredRules, Default: quietHours },
    [quietHours]: waitState(journey, quietHours, {
      waitFor: { timestampPath: stepResultPath(id, 'outcome', 'resumeAt') },
      next: { Next: id },
      comment: 'Quiet hours in the customer time zone: try again when they end.',
    }),
    [rateWait]: waitState(journey, rateWait, {
      waitFor: { timestampPath: stepResultPath(id, 'outcome', 'resumeAt') },
      next: { Next: withSlot },
      comment: "A send slot of the channel's rate, taken by the step: wait for it, then send holding it.",
    }),
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
