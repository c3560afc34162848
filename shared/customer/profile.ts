import * as z from 'zod';

/**
 * Every way a step can deliver. email, sms, push and whatsapp reach an address on the profile;
 * webhook and function call the team's own systems (an in-app or chat backend, an ads audience).
 */
export const channelSchema = z.enum(['email', 'sms', 'push', 'whatsapp', 'webhook', 'function']);
export type Channel = z.infer<typeof channelSchema>;

/** One value per channel, each made fresh (a count, a list). */
export function perChannel<T>(make: () => T): Record<Channel, T> {
  return {
    email: make(),
    sms: make(),
    push: make(),
    whatsapp: make(),
    webhook: make(),
    function: make(),
  };
}

/** The channels that call the team's systems rather than an address on the profile. */
export const SYSTEM_CHANNELS = ['webhook', 'function'] as const satisfies readonly Channel[];
export type SystemChannel = (typeof SYSTEM_CHANNELS)[number];

export function isSystemChannel(channel: Channel): channel is SystemChannel {
  return channel === 'webhook' || channel === 'function';
}

/**
 * Transactional messages go out unless a customer has opted out ('unknown' is fine for them);
 * marketing messages need an explicit 'opted-in'.
 */
export const consentStatusSchema = z.enum(['opted-in', 'opted-out', 'unknown']);
export type ConsentStatus = z.infer<typeof consentStatusSchema>;

export const customerIdSchema = z
  .string()
  .min(1, 'customerId must not be empty')
  .max(256, 'customerId must be at most 256 characters');

export const emailAddressSchema = z.email('Expected an email address such as "ana@example.com"');

// SNS only delivers SMS to E.164 numbers, so anything else would fail at send time.
export const phoneSchema = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, 'Expected an E.164 phone number such as "+5511987654321"');

// Zones found valid: every profile read checks its zone, and a formatter is costly to build. Only valid
// names are kept; Intl also takes other casings of them, so the set is emptied if it ever grows large.
const validZones = new Set<string>();
const MAX_KNOWN_ZONES = 2_000;

function isValidTimeZone(timeZone: string): boolean {
  // An empty string would silently mean "the runtime's zone", which is never what a profile intends.
  if (timeZone === '') return false;
  if (validZones.has(timeZone)) return true;
  try {
    new Intl.DateTimeFormat(undefined, { timeZone });
    if (validZones.size >= MAX_KNOWN_ZONES) validZones.clear();
    validZones.add(timeZone);
    return true;
  } catch {
    return false;
  }
}

export const timeZoneSchema = z.string().refine(isValidTimeZone, {
  error: (issue) =>
    `Unknown time zone ${JSON.stringify(issue.input)}: expected an IANA time zone name such as "America/Sao_Paulo"`,
});

// Stricter than full BCP 47 on purpose: locales are used as template lookup keys, so one spelling
// per locale (language[-Script][-REGION]) keeps "pt-br" and "pt-BR" from becoming different keys.
export const localeSchema = z
  .string()
  .regex(
    /^[a-z]{2,3}(-[A-Z][a-z]{3})?(-(?:[A-Z]{2}|\d{3}))?$/,
    'Expected a BCP 47 locale such as "en-US", "pt-BR" or "zh-Hant-TW"',
  );

export const pushPlatformSchema = z.enum(['apns', 'fcm']);
export type PushPlatform = z.infer<typeof pushPlatformSchema>;

const pushEndpointFields = z.object({
  platform: pushPlatformSchema,
  /** SNS platform endpoint ARN, e.g. arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/uuid */
  endpointArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:endpoint\/[^/]+\/[^/]+\/[^/]+$/,
      'Expected an SNS platform endpoint ARN such as "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/id"',
    )
    .optional(),
  /** Raw device token, for when the SNS endpoint has not been created yet. */
  token: z.string().min(1).optional(),
});

export const pushEndpointSchema = pushEndpointFields.refine(
  (value) => value.endpointArn !== undefined || value.token !== undefined,
  { message: 'A push endpoint needs an endpointArn or a token', path: ['endpointArn'] },
);
export type PushEndpoint = z.infer<typeof pushEndpointSchema>;

export const jsonValueSchema = z.json();
export type JsonValue = z.infer<typeof jsonValueSchema>;

/** Free-form attributes that templates and journey conditions read (firstName, loyaltyTier, ...). */
export const attributesSchema = z.record(z.string().min(1), jsonValueSchema);
export type CustomerAttributes = z.infer<typeof attributesSchema>;

export const tagSchema = z.string().min(1, 'Tags must not be empty');

export const consentSchema = z.object({
  email: consentStatusSchema.default('unknown'),
  sms: consentStatusSchema.default('unknown'),
  push: consentStatusSchema.default('unknown'),
  whatsapp: consentStatusSchema.default('unknown'),
  /** Messages through the team's own systems by webhook (in-app, chat), for steps that reach the customer. */
  webhook: consentStatusSchema.default('unknown'),
  /** The same through a custom Lambda function. */
  function: consentStatusSchema.default('unknown'),
});
export type Consent = z.infer<typeof consentSchema>;

/** The same consent on every channel. */
export function consentOnEveryChannel(status: ConsentStatus): Consent {
  return { email: status, sms: status, push: status, whatsapp: status, webhook: status, function: status };
}

/** How to reach the customer and in which time zone and language: the same in a profile and in its updates. */
export const contactFields = {
  email: emailAddressSchema.optional(),
  phone: phoneSchema.optional(),
  push: pushEndpointSchema.optional(),
  timeZone: timeZoneSchema.optional(),
  locale: localeSchema.optional(),
};

export const customerProfileSchema = z.object({
  customerId: customerIdSchema,
  ...contactFields,
  // prefault runs {} through the per-channel defaults, so a profile without consent is all 'unknown'.
  consent: consentSchema.prefault({}),
  attributes: attributesSchema.default(() => ({})),
  tags: z.array(tagSchema).default(() => []),
  updatedAt: z.iso.datetime({ offset: true }).optional(),
});
/** A profile after parsing: consent, attributes and tags are always present. */
export type CustomerProfile = z.infer<typeof customerProfileSchema>;
/** What a caller may hand to customerProfileSchema: consent, attributes and tags may be omitted. */
export type CustomerProfileInput = z.input<typeof customerProfileSchema>;

export const exampleProfile: CustomerProfile = {
  customerId: 'cust-1001',
  email: 'ana@example.com',
  phone: '+5511987654321',
  push: {
    platform: 'fcm',
    endpointArn:
      'arn:aws:sns:us-east-1:123456789012:endpoint/GCM/waymark-android/7c1e4a52-3b9d-3f0e-9a61-2d8f5b4c6e10',
  },
  timeZone: 'America/Sao_Paulo',
  locale: 'pt-BR',
  consent: { ...consentOnEveryChannel('unknown'), email: 'opted-in', sms: 'opted-in', push: 'opted-in' },
  attributes: {
    firstName: 'Ana',
    lastName: 'Souza',
    loyaltyTier: 'gold',
    lastSupportCallAt: '2025-03-12T14:05:00Z',
    supportTone: 'warm',
  },
  tags: ['vip', 'newsletter'],
  updatedAt: '2025-03-12T14:30:00Z',
};
