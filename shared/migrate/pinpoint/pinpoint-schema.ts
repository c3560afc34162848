/**
 * Amazon Pinpoint's journey model, as its API reference for
 * /apps/{application-id}/journeys/{journey-id} writes it (WriteJourneyRequest,
 * JourneyResponse). Every object is strict: a key Pinpoint does not have is an
 * error naming the type and the keys it does have.
 */
import * as z from 'zod';

/** Separates the message from what Pinpoint expects inside one zod issue message. */
export const EXPECTED_SEPARATOR = '\u0000';

/** Keys that circulate in examples on the web but that Pinpoint never had, with what it has instead. */
const FAKE_KEYS: Readonly<Record<string, string>> = {
  SendEmail:
    'an activity sends email with the key "EMAIL": { "TemplateName", "MessageConfig", "NextActivity" }',
  SendSMS: 'an activity sends SMS with the key "SMS": { "TemplateName", "MessageConfig", "NextActivity" }',
  SendPush: 'an activity sends push with the key "PUSH": { "TemplateName", "MessageConfig", "NextActivity" }',
  WaitDuration:
    'a wait is "Wait": { "WaitTime": { "WaitFor": "PT1H" } } (or "WaitUntil": an ISO-8601 instant)',
  Exit: 'there is no exit activity: leave "NextActivity" out and the path ends there',
  End: 'there is no end activity: leave "NextActivity" out and the path ends there',
};

function unknownKeyMessage(typeName: string, keys: readonly string[], allowed: readonly string[]): string {
  const named = keys.map((key) => `"${key}"`).join(', ');
  const hints = keys.flatMap((key) => {
    const hint = FAKE_KEYS[key];
    return hint === undefined ? [] : [`Pinpoint has no key "${key}": ${hint}.`];
  });
  const message = [`Pinpoint's ${typeName} has no key ${named}.`, ...hints].join(' ');
  return `${message}${EXPECTED_SEPARATOR}${typeName} with keys ${allowed.join(', ')}`;
}

/** A strict object whose unknown keys are reported with the Pinpoint type's own keys. */
function pinpointObject<Shape extends z.ZodRawShape>(typeName: string, shape: Shape) {
  const allowed = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? unknownKeyMessage(typeName, issue.keys, allowed)
        : `Expected ${typeName} (an object)${EXPECTED_SEPARATOR}${typeName} with keys ${allowed.join(', ')}`,
  });
}

const text = z.string().max(10_000);
const optionalText = text.optional();

/** Pinpoint activity ids: alphanumeric, at most 100 characters. */
export const activityIdSchema = z.string().regex(/^[A-Za-z0-9]{1,100}$/, {
  error: `An activity id is 1 to 100 letters and digits${EXPECTED_SEPARATOR}an alphanumeric activity id`,
});

const next = activityIdSchema.optional();

export const setDimensionSchema = pinpointObject('SetDimension', {
  DimensionType: z.enum(['INCLUSIVE', 'EXCLUSIVE']).optional(),
  Values: z.array(text).max(100),
});

export const ATTRIBUTE_TYPES = [
  'INCLUSIVE',
  'EXCLUSIVE',
  'CONTAINS',
  'BEFORE',
  'AFTER',
  'BETWEEN',
  'ON',
] as const;
export const attributeDimensionSchema = pinpointObject('AttributeDimension', {
  AttributeType: z.enum(ATTRIBUTE_TYPES).optional(),
  Values: z.array(text).max(100),
});
export type AttributeDimension = z.infer<typeof attributeDimensionSchema>;

export const COMPARISON_OPERATORS = [
  'GREATER_THAN',
  'LESS_THAN',
  'GREATER_THAN_OR_EQUAL',
  'LESS_THAN_OR_EQUAL',
  'EQUAL',
] as const;
export const metricDimensionSchema = pinpointObject('MetricDimension', {
  ComparisonOperator: z.enum(COMPARISON_OPERATORS),
  Value: z.number(),
});
export type MetricDimension = z.infer<typeof metricDimensionSchema>;

const attributeName = z.string().min(1).max(256);

export const eventDimensionsSchema = pinpointObject('EventDimensions', {
  Attributes: z.record(attributeName, attributeDimensionSchema).optional(),
  EventType: setDimensionSchema.optional(),
  Metrics: z.record(attributeName, metricDimensionSchema).optional(),
});
export type EventDimensions = z.infer<typeof eventDimensionsSchema>;

export const segmentDimensionsSchema = pinpointObject('SegmentDimensions', {
  Attributes: z.record(attributeName, attributeDimensionSchema).optional(),
  Behavior: pinpointObject('SegmentBehaviors', {
    Recency: pinpointObject('RecencyDimension', {
      Duration: z.enum(['HR_24', 'DAY_7', 'DAY_14', 'DAY_30']),
      RecencyType: z.enum(['ACTIVE', 'INACTIVE']),
    }).optional(),
  }).optional(),
  Demographic: pinpointObject('SegmentDemographics', {
    AppVersion: setDimensionSchema.optional(),
    Channel: setDimensionSchema.optional(),
    DeviceType: setDimensionSchema.optional(),
    Make: setDimensionSchema.optional(),
    Model: setDimensionSchema.optional(),
    Platform: setDimensionSchema.optional(),
  }).optional(),
  Location: pinpointObject('SegmentLocation', {
    Country: setDimensionSchema.optional(),
    GPSPoint: pinpointObject('GPSPointDimension', {
      Coordinates: pinpointObject('GPSCoordinates', { Latitude: z.number(), Longitude: z.number() }),
      RangeInKilometers: z.number().optional(),
    }).optional(),
  }).optional(),
  Metrics: z.record(attributeName, metricDimensionSchema).optional(),
  UserAttributes: z.record(attributeName, attributeDimensionSchema).optional(),
});
export type SegmentDimensions = z.infer<typeof segmentDimensionsSchema>;

export const simpleConditionSchema = pinpointObject('SimpleCondition', {
  EventCondition: pinpointObject('EventCondition', {
    Dimensions: eventDimensionsSchema.optional(),
    MessageActivity: activityIdSchema.optional(),
  }).optional(),
  SegmentCondition: pinpointObject('SegmentCondition', { SegmentId: text }).optional(),
  segmentDimensions: segmentDimensionsSchema.optional(),
});
export type SimpleCondition = z.infer<typeof simpleConditionSchema>;

export const waitTimeSchema = pinpointObject('WaitTime', { WaitFor: optionalText, WaitUntil: optionalText });
export type WaitTime = z.infer<typeof waitTimeSchema>;

const templateFields = { TemplateName: optionalText, TemplateVersion: optionalText };

export const activitySchema = pinpointObject('Activity', {
  Description: optionalText,
  CUSTOM: pinpointObject('CustomMessageActivity', {
    DeliveryUri: optionalText,
    EndpointTypes: z
      .array(
        z.enum([
          'PUSH',
          'GCM',
          'APNS',
          'APNS_SANDBOX',
          'APNS_VOIP',
          'APNS_VOIP_SANDBOX',
          'ADM',
          'SMS',
          'VOICE',
          'EMAIL',
          'BAIDU',
          'CUSTOM',
          'IN_APP',
        ]),
      )
      .optional(),
    MessageConfig: pinpointObject('JourneyCustomMessage', { Data: optionalText }).optional(),
    NextActivity: next,
    ...templateFields,
  }).optional(),
  ConditionalSplit: pinpointObject('ConditionalSplitActivity', {
    Condition: pinpointObject('Condition', {
      Conditions: z.array(simpleConditionSchema).optional(),
      Operator: z.enum(['ALL', 'ANY']).optional(),
    }).optional(),
    EvaluationWaitTime: waitTimeSchema.optional(),
    FalseActivity: next,
    TrueActivity: next,
  }).optional(),
  ContactCenter: pinpointObject('ContactCenterActivity', { NextActivity: next }).optional(),
  EMAIL: pinpointObject('EmailMessageActivity', {
    MessageConfig: pinpointObject('JourneyEmailMessage', { FromAddress: optionalText }).optional(),
    NextActivity: next,
    ...templateFields,
  }).optional(),
  Holdout: pinpointObject('HoldoutActivity', {
    NextActivity: next,
    Percentage: z.int().min(0).max(100),
  }).optional(),
  MultiCondition: pinpointObject('MultiConditionalSplitActivity', {
    Branches: z
      .array(
        pinpointObject('MultiConditionalBranch', {
          Condition: simpleConditionSchema.optional(),
          NextActivity: next,
        }),
      )
      .max(4)
      .optional(),
    DefaultActivity: next,
    EvaluationWaitTime: waitTimeSchema.optional(),
  }).optional(),
  PUSH: pinpointObject('PushMessageActivity', {
    MessageConfig: pinpointObject('JourneyPushMessage', { TimeToLive: optionalText }).optional(),
    NextActivity: next,
    ...templateFields,
  }).optional(),
  RandomSplit: pinpointObject('RandomSplitActivity', {
    Branches: z
      .array(
        pinpointObject('RandomSplitEntry', {
          NextActivity: next,
          Percentage: z.int().min(0).max(100).optional(),
        }),
      )
      .max(5)
      .optional(),
  }).optional(),
  SMS: pinpointObject('SMSMessageActivity', {
    MessageConfig: pinpointObject('JourneySMSMessage', {
      EntityId: optionalText,
      MessageType: z.enum(['TRANSACTIONAL', 'PROMOTIONAL']).optional(),
      OriginationNumber: optionalText,
      SenderId: optionalText,
      TemplateId: optionalText,
    }).optional(),
    NextActivity: next,
    ...templateFields,
  }).optional(),
  Wait: pinpointObject('WaitActivity', {
    NextActivity: next,
    WaitTime: waitTimeSchema.optional(),
  }).optional(),
});
export type Activity = z.infer<typeof activitySchema>;

export const CHANNEL_KEYS = ['EMAIL', 'SMS', 'PUSH', 'VOICE', 'CUSTOM'] as const;
const openHoursRule = pinpointObject('OpenHoursRule', { StartTime: optionalText, EndTime: optionalText });
export const DAYS = ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'] as const;
const openHoursDays = z.partialRecord(z.enum(DAYS), z.array(openHoursRule));
const closedDaysRule = pinpointObject('ClosedDaysRule', {
  Name: optionalText,
  StartDateTime: optionalText,
  EndDateTime: optionalText,
});

/** Far above Pinpoint's quota; keeps the graph walks shallow. */
const MAX_ACTIVITIES = 500;

const journeyShape = {
  Activities: z
    .record(activityIdSchema, activitySchema)
    .refine((activities) => Object.keys(activities).length <= MAX_ACTIVITIES, {
      error: `More than ${MAX_ACTIVITIES} activities${EXPECTED_SEPARATOR}at most ${MAX_ACTIVITIES} activities (Pinpoint's own quota is far lower)`,
    })
    .optional(),
  ClosedDays: pinpointObject('ClosedDays', {
    EMAIL: z.array(closedDaysRule).optional(),
    SMS: z.array(closedDaysRule).optional(),
    PUSH: z.array(closedDaysRule).optional(),
    VOICE: z.array(closedDaysRule).optional(),
    CUSTOM: z.array(closedDaysRule).optional(),
  }).optional(),
  CreationDate: optionalText,
  JourneyChannelSettings: pinpointObject('JourneyChannelSettings', {
    ConnectCampaignArn: optionalText,
    ConnectCampaignExecutionRoleArn: optionalText,
  }).optional(),
  LastModifiedDate: optionalText,
  Limits: pinpointObject('JourneyLimits', {
    DailyCap: z.int().min(0).optional(),
    EndpointReentryCap: z.int().min(0).optional(),
    EndpointReentryInterval: optionalText,
    MessagesPerSecond: z.number().min(0).optional(),
    TimeframeCap: pinpointObject('JourneyTimeframeCap', {
      Cap: z.int().min(0).optional(),
      Days: z.int().min(0).optional(),
    }).optional(),
    TotalCap: z.int().min(0).optional(),
  }).optional(),
  LocalTime: z.boolean().optional(),
  Name: text.min(1),
  OpenHours: pinpointObject('OpenHours', {
    EMAIL: openHoursDays.optional(),
    SMS: openHoursDays.optional(),
    PUSH: openHoursDays.optional(),
    VOICE: openHoursDays.optional(),
    CUSTOM: openHoursDays.optional(),
  }).optional(),
  QuietTime: pinpointObject('QuietTime', { End: optionalText, Start: optionalText }).optional(),
  RefreshFrequency: optionalText,
  RefreshOnSegmentUpdate: z.boolean().optional(),
  Schedule: pinpointObject('JourneySchedule', {
    EndTime: optionalText,
    StartTime: optionalText,
    Timezone: optionalText,
  }).optional(),
  SendingSchedule: z.boolean().optional(),
  StartActivity: activityIdSchema.optional(),
  StartCondition: pinpointObject('StartCondition', {
    Description: optionalText,
    EventStartCondition: pinpointObject('EventStartCondition', {
      EventFilter: pinpointObject('EventFilter', {
        Dimensions: eventDimensionsSchema,
        FilterType: z.enum(['SYSTEM', 'ENDPOINT']),
      }).optional(),
      SegmentId: optionalText,
    }).optional(),
    SegmentStartCondition: pinpointObject('SegmentCondition', { SegmentId: text }).optional(),
  }).optional(),
  State: z.enum(['DRAFT', 'ACTIVE', 'COMPLETED', 'CANCELLED', 'CLOSED', 'PAUSED']).optional(),
  TimezoneEstimationMethods: z.array(z.enum(['PHONE_NUMBER', 'POSTAL_CODE'])).optional(),
  WaitForQuietTime: z.boolean().optional(),
};

/** The request body of CreateJourney / UpdateJourney. */
export const writeJourneyRequestSchema = pinpointObject('WriteJourneyRequest', journeyShape);

/** What GetJourney returns: the request's fields and the ones Pinpoint adds. */
export const journeyResponseSchema = pinpointObject('JourneyResponse', {
  ...journeyShape,
  ApplicationId: optionalText,
  Id: optionalText,
  tags: z.record(z.string(), z.string()).optional(),
});
export type PinpointJourney = z.infer<typeof journeyResponseSchema>;

/** What `aws pinpoint get-journey` prints. */
export const getJourneyOutputSchema = pinpointObject('GetJourneyResponse', { JourneyResponse: z.unknown() });
