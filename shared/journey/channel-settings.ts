/**
 * What settings.json says about the channels beyond email, SMS and push:
 * the WhatsApp sender, the webhook endpoints and custom functions a step may
 * name, and whether email opens and clicks are tracked.
 */
import * as z from 'zod';

/** Endpoint and function names: what a send step's `endpoint` or `function` says. */
export const targetNameSchema = z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, {
  message: 'A name is lowercase letters, digits and "-", starting with a letter, at most 48 characters.',
});

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
/** Headers Waymark sets itself, or that would change how the request travels: never from settings. */
export const RESERVED_WEBHOOK_HEADERS = [
  'waymark-signature',
  'idempotency-key',
  'content-type',
  'content-length',
  'host',
  'transfer-encoding',
  'connection',
] as const;

export const WEBHOOK_TIMEOUT_DEFAULT_SECONDS = 5;
export const WEBHOOK_TIMEOUT_MAX_SECONDS = 30;

/** A secret's name: an environment variable locally, a Secrets Manager secret name on AWS. */
export const secretNameSchema = z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,256}$/, {
  message:
    'A secret name is letters, digits and /_+=.@- (a Secrets Manager name, or an environment variable).',
});

export const webhookEndpointSchema = z
  .strictObject({
    url: z.url().meta({
      description:
        'Where the request goes: https, or http to a loopback address (127.0.0.1, [::1], localhost) in the local engine only.',
    }),
    headers: z
      .record(
        z.string().regex(HEADER_NAME, { message: "A header name is letters, digits and !#$%&'*+.^_`|~-." }),
        z.string().max(1024),
      )
      .default({})
      .meta({ description: 'Extra request headers (never a secret: put that in `secret`).' }),
    timeoutSeconds: z
      .number()
      .positive()
      .max(WEBHOOK_TIMEOUT_MAX_SECONDS)
      .default(WEBHOOK_TIMEOUT_DEFAULT_SECONDS)
      .meta({ description: 'How long one attempt may take before it counts as a timeout (retried).' }),
    secret: secretNameSchema.meta({
      description:
        'The signing secret: an environment variable of that name locally, a Secrets Manager secret of that name on AWS.',
    }),
  })
  .superRefine((endpoint, context) => {
    for (const name of Object.keys(endpoint.headers)) {
      if (RESERVED_WEBHOOK_HEADERS.some((reserved) => reserved === name.toLowerCase())) {
        context.addIssue({
          code: 'custom',
          path: ['headers', name],
          message: `"${name}" is set by Waymark itself.`,
        });
      }
    }
  });
export type WebhookEndpoint = z.infer<typeof webhookEndpointSchema>;

export const customFunctionSchema = z.strictObject({
  functionName: z
    .string()
    .regex(
      /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$/,
      {
        message: 'Expected a Lambda function name, name:alias, or function ARN.',
      },
    )
    .meta({ description: 'The Lambda function invoked: a name, name:alias or ARN in the same account.' }),
  timeoutSeconds: z
    .number()
    .positive()
    .max(WEBHOOK_TIMEOUT_MAX_SECONDS)
    .default(WEBHOOK_TIMEOUT_DEFAULT_SECONDS)
    .meta({ description: 'How long one invocation may take before it counts as a timeout (retried).' }),
});
export type CustomFunction = z.infer<typeof customFunctionSchema>;

export const whatsappSenderSchema = z.strictObject({
  phoneNumberId: z
    .string()
    .regex(
      /^(phone-number-id-[0-9a-f]{32}|arn:aws[a-z-]*:social-messaging:[a-z0-9-]+:\d{12}:phone-number-id\/[0-9a-f]{32})$/,
      {
        message:
          'Expected an End User Messaging Social phone number id ("phone-number-id-" and 32 hex digits) or its ARN.',
      },
    )
    .meta({
      description: 'The origination phone number id (or ARN) of the linked WhatsApp Business Account.',
    }),
  metaApiVersion: z
    .string()
    .regex(/^v\d+(\.\d+)?$/, { message: 'Expected a Meta API version such as "v20.0".' })
    .default('v20.0'),
  templates: z
    .array(
      z.string().regex(/^[a-z0-9_]{1,512}$/, {
        message: 'A WhatsApp template name is lowercase letters, digits and "_".',
      }),
    )
    .default([])
    .meta({
      description:
        'The approved message templates of the WhatsApp Business Account; whatsapp.json files may name only these. The local stand-in has exactly these.',
    }),
});
export type WhatsappSender = z.infer<typeof whatsappSenderSchema>;

export const trackingSchema = z
  .strictObject({
    opens: z.boolean().default(false).meta({ description: 'An open pixel in HTML email.' }),
    clicks: z
      .boolean()
      .default(false)
      .meta({ description: 'Links in HTML email go through a tracked redirect.' }),
  })
  .meta({
    description:
      "Email engagement: on AWS the configuration set's open and click tracking (SES rewrites the links); locally the engine's.",
  });
export type Tracking = z.infer<typeof trackingSchema>;
