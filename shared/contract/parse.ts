/**
 * Parsers for what the state machines hand the functions. Each schema is
 * typed against the contract in tasks.ts, so a change on one side that the
 * other does not follow fails to compile.
 */
import * as z from 'zod';
import { channelSchema, customerIdSchema } from '../customer/profile.ts';
import {
  capRuleSchema,
  conditionSchema,
  dedupeBySchema,
  eventMatcherSchema,
  localWindowSchema,
  preferredHourSchema,
  reentrySchema,
  sendRateSchema,
  valueExpressionSchema,
} from '../journey/schema.ts';
import type { DeliverTask, StepsTask, TriggerEnvelope } from './tasks.ts';

const triggerSchema: z.ZodType<TriggerEnvelope> = z.object({
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  time: z.string().min(1),
  detail: z.record(z.string(), z.unknown()),
});

const executionRef = {
  journeyId: z.string().min(1),
  journeyVersion: z.number().int(),
  executionId: z.string().min(1),
  customerId: customerIdSchema,
  enteredAt: z.string().optional(),
};

const valuesSchema = z.record(z.string(), z.unknown());

export const deliverTaskSchema: z.ZodType<DeliverTask> = z.object({
  task: z.literal('deliver'),
  ...executionRef,
  stepId: z.string().min(1),
  channels: z.array(channelSchema).min(1),
  template: z.string().min(1),
  category: z.enum(['marketing', 'transactional']),
  caps: z.array(capRuleSchema),
  trigger: triggerSchema,
  values: valuesSchema,
  visit: z.string().optional(),
  deferral: z.literal('error').optional(),
  finishes: z.literal(true).optional(),
  sendRate: sendRateSchema.optional(),
  slot: z.object({ channel: channelSchema, at: z.iso.datetime(), taken: z.number().int().min(0) }).optional(),
  target: z
    .discriminatedUnion('channel', [
      z.object({
        channel: z.literal('webhook'),
        endpoint: z.string().min(1),
        reaches: z.enum(['customer', 'system']),
      }),
      z.object({
        channel: z.literal('function'),
        function: z.string().min(1),
        reaches: z.enum(['customer', 'system']),
      }),
    ])
    .optional(),
});

export const stepsTaskSchema: z.ZodType<StepsTask> = z.discriminatedUnion('task', [
  z.object({
    task: z.literal('enter'),
    ...executionRef,
    trigger: triggerSchema,
    entry: z.object({
      reentry: reentrySchema,
      maxConcurrent: z.number().int().min(1),
      dedupeBy: dedupeBySchema.optional(),
    }),
    values: z.record(z.string(), valueExpressionSchema),
    parts: z.literal(true).optional(),
  }),
  z.object({
    task: z.literal('evaluate'),
    ...executionRef,
    stepId: z.string(),
    cases: z.array(conditionSchema),
    trigger: triggerSchema,
    values: valuesSchema,
  }),
  z.object({
    task: z.literal('schedule'),
    ...executionRef,
    stepId: z.string(),
    until: z.discriminatedUnion('kind', [localWindowSchema, preferredHourSchema]),
    now: z.string(),
  }),
  z.object({
    task: z.literal('updateProfile'),
    ...executionRef,
    stepId: z.string(),
    set: z.record(z.string(), valueExpressionSchema),
    addTags: z.array(z.string()),
    removeTags: z.array(z.string()),
    trigger: triggerSchema,
    values: valuesSchema,
  }),
  z.object({
    task: z.literal('awaitEvent'),
    ...executionRef,
    stepId: z.string(),
    taskToken: z.string().min(1),
    event: eventMatcherSchema,
    timeoutSeconds: z.number().int().positive(),
    now: z.string(),
  }),
  z.object({
    task: z.literal('park'),
    ...executionRef,
    stepId: z.string().min(1),
    next: z.string().min(1),
    wake: z.union([z.object({ seconds: z.number().min(0) }), z.object({ at: z.iso.datetime() })]),
    awaits: z.object({ event: eventMatcherSchema, next: z.string().min(1) }).optional(),
    state: z.record(z.string(), z.unknown()),
    machine: z.string().min(1),
    role: z.string().min(1),
    now: z.string(),
  }),
  z.object({
    task: z.literal('resume'),
    ...executionRef,
    resume: z.object({
      customerId: customerIdSchema,
      journeyId: z.string().min(1),
      park: z.string().min(1),
      by: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('schedule') }),
        z.object({
          kind: z.literal('event'),
          event: z.object({ eventId: z.string(), detailType: z.string(), time: z.string() }),
        }),
      ]),
    }),
  }),
  z.object({ task: z.literal('recordFailure'), ...executionRef, stepId: z.string(), error: z.unknown() }),
  z.object({
    task: z.literal('finish'),
    ...executionRef,
    outcome: z.enum(['completed', 'failed']),
    stepId: z.string(),
    error: z.unknown().optional(),
  }),
]);

/** A payload the compiled ASL would never send: named so the state machine's Catch records it. */
export class InvalidTaskError extends Error {
  override readonly name = 'Waymark.InvalidTask';
}

export function parseTask<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success)
    throw new InvalidTaskError(`The task payload is not valid: ${z.prettifyError(result.error)}`);
  return result.data;
}
