/**
 * The journey language: the single source of truth for what a journey file
 * may say. The validator, the compiler, the generated JSON Schema and (later)
 * the runtime all import these schemas and the types inferred from them.
 */
import * as z from 'zod';
import { type Channel, channelSchema } from '../customer/profile.ts';
import { type AudienceTrigger, audienceTriggerSchema } from './audience-trigger.ts';
import { capRuleSchema, durationSchema, localTimeSchema, sendRateSchema } from './schema-basics.ts';
import { targetNameSchema } from './channel-settings.ts';
import { engagementConditionSchema, type EngagementCondition } from './engagement-condition.ts';

export {
  type AudienceTrigger,
  audienceTriggerSchema,
  audienceZoneSchema,
  CUSTOMER_ZONE,
  localDateTimeSchema,
  segmentIdSchema,
} from './audience-trigger.ts';

export type { Channel };

export {
  capRuleSchema,
  type CapRule,
  capWindowSchema,
  type CapWindow,
  durationSchema,
  localTimeSchema,
  sendRateSchema,
} from './schema-basics.ts';
export {
  quietHoursOf,
  quietHoursSchema,
  sendRatesSchema,
  type Settings,
  settingsSchema,
} from './settings-schema.ts';

export const MAX_STEPS = 200;

// 40 characters leave room for the suffixes of generated states within Step Functions' 80.
const STEP_ID = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;
export const stepIdSchema = z.string().regex(STEP_ID, {
  message: 'A step id starts with a letter and has at most 40 letters, digits, "-" or "_".',
});
export type StepId = z.infer<typeof stepIdSchema>;

export const journeyIdSchema = z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, {
  message: 'A journey id is lowercase letters, digits and "-", starts with a letter, at most 48 characters.',
});

/** An EventBridge content filter applied to the event's `detail`; checked by the pattern validator. */
export const contentFilterSchema = z.record(z.string(), z.unknown()).meta({
  description:
    'EventBridge content filter on the event detail: exact values in arrays, prefix, suffix, anything-but, numeric, exists, equals-ignore-case, wildcard, cidr, $or.',
  examples: [{ network: ['instagram', 'facebook'], action: [{ 'anything-but': 'view' }] }],
});

export const eventMatcherSchema = z.strictObject({
  event: z.string().min(1).max(128).meta({ description: 'The event\'s detail-type, e.g. "cart.abandoned".' }),
  source: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
    .optional()
    .meta({ description: 'Only events from this source (or these sources), e.g. "shop.web".' }),
  filter: contentFilterSchema.optional(),
});
export type EventMatcher = z.infer<typeof eventMatcherSchema>;

/** The longest list of key fields: a fact is named by an id or two, never by a whole event. */
export const MAX_DEDUPE_FIELDS = 5;

/** A field of an event's detail, dotted at any depth as after "event." in a reference: "callId", "post.id". */
export const dedupeFieldSchema = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, {
  message: 'A key field is a field of the event detail, dotted for a nested one: "callId" or "post.id".',
});

/**
 * The fields that make two events the same fact: a producer that retries PutEvents sends the same
 * call or order again under a new event id, so the id alone cannot tell a copy from a new fact.
 */
export const dedupeBySchema = z
  .array(dedupeFieldSchema)
  .min(1)
  .max(MAX_DEDUPE_FIELDS)
  .refine((fields) => new Set(fields).size === fields.length, { message: 'A key field is listed twice.' })
  .meta({
    description:
      'Detail fields that make two events the same fact (e.g. ["callId"]): events with equal values for all of them count once, whatever their event ids.',
    examples: [['callId'], ['orderId']],
    // For editors: the refine above is not representable in JSON Schema.
    uniqueItems: true,
  });

type JsonLiteral = string | number | boolean | null | JsonLiteral[] | { [key: string]: JsonLiteral };
const jsonLiteralSchema: z.ZodType<JsonLiteral> = z.json();

// The trigger is the raw EventBridge envelope in the state: only the fields named the same there.
const REFERENCE_PATTERN = /^(?:(event|profile|values)(\.[A-Za-z0-9_-]+)+|trigger\.(id|time|source))$/;
export const REFERENCE_HELP =
  'a reference reads "event.<field>", "profile.<field>", "values.<name>", or "trigger.id", "trigger.time" or "trigger.source"';

/** Where a value comes from at run time: the trigger event's detail, the profile, or the journey's values. */
export const valueReferenceSchema = z.strictObject({
  from: z
    .string()
    .regex(REFERENCE_PATTERN, {
      message:
        'Expected a reference such as "event.cartId", "profile.attributes.firstName", "values.offerCode" or "trigger.time".',
    })
    .meta({
      description:
        'A dotted path under event (the trigger detail), trigger (id, time, source), profile or values.',
    }),
});
export type ValueReference = z.infer<typeof valueReferenceSchema>;
export const valueExpressionSchema = z.union([valueReferenceSchema, jsonLiteralSchema]);
export type ValueExpression = z.infer<typeof valueExpressionSchema>;

export function isReference(value: ValueExpression): value is { from: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof value.from === 'string' &&
    REFERENCE_PATTERN.test(value.from) &&
    Object.keys(value).length === 1
  );
}

/** Names of journey values and profile attributes: also used as template variables. */
export const valueNameSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, {
  message:
    'a name starts with a letter and has at most 64 letters, digits or "_" (no spaces or "-"), e.g. "offerText".',
});

// ---- conditions (branch cases) ----

export const FIELD_OPERATORS = [
  'equals',
  'notEquals',
  'in',
  'exists',
  'greaterThan',
  'greaterThanOrEqual',
  'lessThan',
  'lessThanOrEqual',
  'contains',
  'startsWith',
] as const;
export type FieldOperator = (typeof FIELD_OPERATORS)[number];

export const fieldConditionSchema = z
  .strictObject({
    field: z.string().regex(REFERENCE_PATTERN, {
      message:
        'Expected a field such as "event.resolved", "profile.attributes.loyaltyTier" or "values.offer".',
    }),
    equals: jsonLiteralSchema.optional(),
    notEquals: jsonLiteralSchema.optional(),
    in: z.array(jsonLiteralSchema).min(1).optional(),
    exists: z.boolean().optional(),
    greaterThan: z.number().optional(),
    greaterThanOrEqual: z.number().optional(),
    lessThan: z.number().optional(),
    lessThanOrEqual: z.number().optional(),
    contains: jsonLiteralSchema.optional(),
    startsWith: z.string().optional(),
  })
  .superRefine((condition, context) => {
    const used = FIELD_OPERATORS.filter((operator) => condition[operator] !== undefined);
    if (used.length !== 1) {
      context.addIssue({
        code: 'custom',
        message: `A field condition takes exactly one operator (${FIELD_OPERATORS.join(', ')}); found ${used.length === 0 ? 'none' : used.join(', ')}.`,
      });
    }
  })
  .meta({ description: 'Compare one field of the profile, the trigger event or the journey values.' });
export type FieldCondition = z.infer<typeof fieldConditionSchema>;

export const historyConditionSchema = z.strictObject({
  history: z.strictObject({
    event: z.string().min(1).meta({ description: 'The detail-type to look for in the customer history.' }),
    within: durationSchema.meta({ description: 'How far back to look, e.g. "7d".' }),
    filter: contentFilterSchema.optional(),
    atLeast: z.int().min(1).max(1000).default(1).meta({ description: 'How many such events (default 1).' }),
  }),
});
export type HistoryCondition = z.infer<typeof historyConditionSchema>;

export { type EngagementCondition, engagementConditionSchema } from './engagement-condition.ts';

export type Condition =
  | FieldCondition
  | HistoryCondition
  | EngagementCondition
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    fieldConditionSchema,
    historyConditionSchema,
    engagementConditionSchema,
    z.strictObject({ all: z.array(conditionSchema).min(1) }),
    z.strictObject({ any: z.array(conditionSchema).min(1) }),
    z.strictObject({ not: conditionSchema }),
  ]),
);

// ---- steps ----

const stepBase = {
  description: z.string().max(1000).optional(),
};

export const sendStepSchema = z.strictObject({
  type: z.literal('send'),
  ...stepBase,
  channel: z.union([channelSchema, z.array(channelSchema).min(1).max(4)]).meta({
    description:
      'One channel, or an ordered fallback list: the first available channel is used. webhook and function stand alone.',
  }),
  endpoint: targetNameSchema
    .optional()
    .meta({ description: "For the webhook channel: the endpoint's name in settings' webhooks." }),
  function: targetNameSchema
    .optional()
    .meta({ description: "For the function channel: the function's name in settings' functions." }),
  reaches: z.enum(['customer', 'system']).optional().meta({
    description:
      'For webhook and function: "customer" when the call puts a message before the customer (in-app, chat), so consent, quiet hours and caps apply; "system" when it feeds another system (an ads audience, a CRM), so they do not.',
  }),
  template: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'A template name is lowercase letters, digits and "-".' })
    .meta({ description: 'A folder under journeys/templates/.' }),
  category: z
    .enum(['marketing', 'transactional'])
    .meta({ description: 'Caps, quiet hours and marketing consent apply to marketing messages only.' }),
  next: stepIdSchema,
  onNotSent: stepIdSchema.optional().meta({
    description:
      'Where to go when no channel could deliver (capped, opted out, no address, failed). Default: next.',
  }),
});

export const localWindowSchema = z.strictObject({
  kind: z.literal('localWindow'),
  start: localTimeSchema,
  end: localTimeSchema,
  days: z
    .array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']))
    .min(1)
    .optional()
    .meta({ description: 'Days of the week the window is open (default every day).' }),
});

export const preferredHourSchema = z.strictObject({
  kind: z.literal('preferredHour'),
  day: z.enum(['sameOrNext', 'next']).default('sameOrNext').meta({
    description: '"next": not before the next local day; "sameOrNext": the next time that hour comes.',
  }),
  fallback: localTimeSchema.optional().meta({
    description: "Used when the customer has no engagement history; default: settings' preferredHour.",
  }),
});

export const waitStepSchema = z
  .strictObject({
    type: z.literal('wait'),
    ...stepBase,
    duration: durationSchema.optional(),
    until: z.discriminatedUnion('kind', [localWindowSchema, preferredHourSchema]).optional(),
    next: stepIdSchema,
  })
  .superRefine((step, context) => {
    if ((step.duration === undefined) === (step.until === undefined)) {
      context.addIssue({
        code: 'custom',
        message:
          'A wait takes exactly one of "duration" (e.g. "1h") or "until" (a local window or the preferred hour).',
      });
    }
  });

export const waitForEventStepSchema = z.strictObject({
  type: z.literal('waitForEvent'),
  ...stepBase,
  event: eventMatcherSchema,
  timeout: durationSchema,
  onEvent: stepIdSchema,
  onTimeout: stepIdSchema,
});

export const branchStepSchema = z.strictObject({
  type: z.literal('branch'),
  ...stepBase,
  cases: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(64).optional(),
        when: conditionSchema,
        next: stepIdSchema,
      }),
    )
    .min(1)
    .max(20),
  default: stepIdSchema,
});

export const splitStepSchema = z.strictObject({
  type: z.literal('split'),
  ...stepBase,
  paths: z
    .array(
      z.strictObject({
        name: z
          .string()
          .regex(/^[a-z][a-z0-9-]{0,31}$/, { message: 'A path name is lowercase letters, digits, "-".' }),
        weight: z
          .int()
          .min(1)
          .max(100)
          .meta({ description: 'Percent of customers on this path; weights add up to 100.' }),
        holdout: z
          .boolean()
          .default(false)
          .meta({ description: 'A control group: counted, never messaged.' }),
        next: stepIdSchema,
      }),
    )
    .min(2)
    .max(10),
});

export const updateProfileStepSchema = z
  .strictObject({
    type: z.literal('updateProfile'),
    ...stepBase,
    set: z.record(valueNameSchema, valueExpressionSchema).optional(),
    addTags: z.array(z.string().min(1).max(64)).optional(),
    removeTags: z.array(z.string().min(1).max(64)).optional(),
    next: stepIdSchema,
  })
  .superRefine((step, context) => {
    if (step.set === undefined && step.addTags === undefined && step.removeTags === undefined) {
      context.addIssue({
        code: 'custom',
        message: 'updateProfile needs at least one of set, addTags or removeTags.',
      });
    }
  });

export const emitStepSchema = z.strictObject({
  type: z.literal('emit'),
  ...stepBase,
  event: z.string().min(1).max(128).meta({ description: 'The detail-type of the event put on the bus.' }),
  source: z.string().min(1).max(256).default('waymark.journeys'),
  detail: z
    .record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/, {
        message: 'a detail field name is letters, digits, "_" or "-", starting with a letter or "_".',
      }),
      valueExpressionSchema,
    )
    .default({})
    .meta({
      description: 'Detail fields; customerId and journeyId are added. Values may be {"from": "event.x"}.',
    }),
  next: stepIdSchema,
});

export const endStepSchema = z.strictObject({
  type: z.literal('end'),
  ...stepBase,
});

export const stepSchema = z.discriminatedUnion('type', [
  sendStepSchema,
  waitStepSchema,
  waitForEventStepSchema,
  branchStepSchema,
  splitStepSchema,
  updateProfileStepSchema,
  emitStepSchema,
  endStepSchema,
]);
export type Step = z.infer<typeof stepSchema>;
export type StepOfType<T extends Step['type']> = Extract<Step, { type: T }>;

// ---- audience triggers (their schemas in audience-trigger.ts) ----

export const triggerSchema = z.union([eventMatcherSchema, audienceTriggerSchema]);
export type Trigger = z.infer<typeof triggerSchema>;

export function isAudienceTrigger(trigger: Trigger): trigger is AudienceTrigger {
  return 'segment' in trigger;
}

// ---- the journey ----

export const reentrySchema = z
  .union([z.literal('never'), z.literal('always'), z.strictObject({ after: durationSchema })])
  .meta({ description: '"never", "always", or {"after": "7d"} since the customer last entered.' });
export type Reentry = z.infer<typeof reentrySchema>;

export const journeySchema = z
  .strictObject({
    $schema: z.string().optional(),
    id: journeyIdSchema,
    name: z.string().min(1).max(128),
    description: z.string().max(2000).optional(),
    version: z.int().min(1),
    status: z.enum(['active', 'paused', 'draft']).meta({
      description:
        'active: new events enter; paused: the rule is off, customers inside go on; draft: not deployed.',
    }),
    trigger: triggerSchema,
    entry: z
      .strictObject({
        reentry: reentrySchema.default('always'),
        maxConcurrent: z
          .int()
          .min(1)
          .max(10)
          .default(1)
          .meta({ description: 'Journeys open at once per customer.' }),
        dedupeBy: dedupeBySchema.optional().meta({
          description:
            'Trigger detail fields that make two events the same fact: a copy with equal values (a new event id, within 30 days) does not start the journey again. Default: the event id only.',
        }),
      })
      .default({ reentry: 'always', maxConcurrent: 1 }),
    exitOn: z
      .array(
        eventMatcherSchema.extend({
          goal: z.boolean().default(true).meta({ description: 'Counts as a conversion (default true).' }),
          dedupeBy: dedupeBySchema.optional().meta({
            description:
              'Detail fields that make two goal events the same fact (e.g. ["orderId"]): a resent one is not counted again. Default: every event counts.',
          }),
        }),
      )
      .default([])
      .meta({ description: 'Events that end the journey for the customer at any step.' }),
    attributionWindow: durationSchema.default('7d').meta({
      description: 'How long after a message a goal event still counts as a conversion for it.',
    }),
    caps: z
      .array(capRuleSchema)
      .default([])
      .meta({ description: 'Extra caps for this journey; a cap with a global id may only lower its limit.' }),
    sendRate: sendRateSchema.optional().meta({
      description:
        "Messages a second this journey sends at most on each channel; it only lowers settings' sendRates (Pinpoint's MessagesPerSecond).",
    }),
    values: z.record(valueNameSchema, valueExpressionSchema).default({}).meta({
      description: 'Values fixed at entry and carried by the journey (the same offer on every channel).',
    }),
    workflow: z.enum(['standard', 'express', 'high-volume']).default('standard').meta({
      description:
        'standard: one Step Functions Standard execution per customer; express: one Express execution, for journeys that end within five minutes; high-volume: Express parts between waits, waits as EventBridge Scheduler schedules (docs/scale.md).',
    }),
    start: stepIdSchema,
    // Far more than a journey needs, and well inside Step Functions' definition size; it also keeps
    // the graph checks quick.
    steps: z.record(stepIdSchema, stepSchema).refine((steps) => Object.keys(steps).length <= MAX_STEPS, {
      message: `A journey has at most ${MAX_STEPS} steps; split a longer one in two with an emitted event.`,
    }),
  })
  .meta({
    title: 'Waymark journey',
    description: 'One customer journey, compiled to a Step Functions state machine.',
  });
export type Journey = z.infer<typeof journeySchema>;
export type JourneyInput = z.input<typeof journeySchema>;

/** The channels a send step may use, in fallback order. */
export function sendChannels(step: StepOfType<'send'>): Channel[] {
  return typeof step.channel === 'string' ? [step.channel] : step.channel;
}
