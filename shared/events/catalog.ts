import * as z from 'zod';
import {
  attributesSchema,
  consentStatusSchema,
  contactFields,
  customerIdSchema,
  tagSchema,
} from '../customer/profile.ts';
import { errorMessage } from '../text/error-message.ts';

/**
 * The catalog describes what journeys may rely on. Details are plain (non-strict) objects because
 * producers are free to send extra fields; those are stripped when a detail is parsed.
 */
export interface CatalogEntry {
  description: string;
  // Every detail carries customerId: it is how events are correlated to journeys and profiles.
  detail: z.ZodType<{ customerId: string }>;
  example: { customerId: string };
}

// Ties each example to its own schema at compile time, which `satisfies` on the catalog alone cannot do.
function entry<S extends z.ZodType<{ customerId: string }>>(value: {
  description: string;
  detail: S;
  example: z.output<S>;
}): { description: string; detail: S; example: z.output<S> } {
  return value;
}

// Links end up in emails, SMS and push payloads, so only web URLs make sense.
const webUrlSchema = z.url({ protocol: /^https?$/, error: 'Expected an http(s) URL' });

const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'Expected an ISO 4217 currency code such as "USD" or "BRL"');

const amountSchema = z.number().nonnegative();

export const lineItemSchema = z.object({
  sku: z.string().min(1),
  name: z.string().min(1),
  quantity: z.int().min(1),
  unitPrice: amountSchema,
  imageUrl: webUrlSchema.optional(),
  url: webUrlSchema.optional(),
});
export type LineItem = z.infer<typeof lineItemSchema>;

const lineItemsSchema = z.array(lineItemSchema).min(1, 'At least one item is required');

export const eventCatalog = {
  'cart.abandoned': entry({
    description:
      'A shopper left items in their cart without checking out. Emitted by the shop after its own inactivity timeout.',
    detail: z.object({
      customerId: customerIdSchema,
      cartId: z.string().min(1),
      items: lineItemsSchema,
      // The shop's total (after discounts, taxes and shipping), so it need not equal the sum of the items.
      total: amountSchema,
      currency: currencySchema,
      cartUrl: webUrlSchema,
      device: z.enum(['mobile', 'desktop', 'tablet']).optional(),
    }),
    example: {
      customerId: 'cust-1001',
      cartId: 'cart-7f3a91',
      items: [
        {
          sku: 'SHOE-TRAIL-38',
          name: 'Trail Running Shoes',
          quantity: 1,
          unitPrice: 459.9,
          imageUrl: 'https://cdn.shop.example.com/products/shoe-trail.jpg',
          url: 'https://shop.example.com/products/shoe-trail',
        },
        {
          sku: 'SOCK-MERINO-M',
          name: 'Merino Running Socks',
          quantity: 2,
          unitPrice: 49.9,
          imageUrl: 'https://cdn.shop.example.com/products/sock-merino.jpg',
          url: 'https://shop.example.com/products/sock-merino',
        },
      ],
      total: 559.7,
      currency: 'BRL',
      cartUrl: 'https://shop.example.com/cart/cart-7f3a91',
      device: 'mobile',
    },
  }),

  'order.placed': entry({
    description:
      'A customer completed checkout. Journeys use it to stop cart reminders and to say thank you.',
    detail: z.object({
      customerId: customerIdSchema,
      orderId: z.string().min(1),
      // Present when the order came from a tracked cart, so a journey can match it to cart.abandoned.
      cartId: z.string().min(1).optional(),
      total: amountSchema,
      currency: currencySchema,
      items: lineItemsSchema,
    }),
    example: {
      customerId: 'cust-1001',
      orderId: 'ord-20250312-0042',
      cartId: 'cart-7f3a91',
      total: 559.7,
      currency: 'BRL',
      items: [
        {
          sku: 'SHOE-TRAIL-38',
          name: 'Trail Running Shoes',
          quantity: 1,
          unitPrice: 459.9,
        },
        {
          sku: 'SOCK-MERINO-M',
          name: 'Merino Running Socks',
          quantity: 2,
          unitPrice: 49.9,
        },
      ],
    },
  }),

  'support.call.completed': entry({
    description: 'A contact-center call with the customer ended, with the outcome the agent recorded.',
    detail: z.object({
      customerId: customerIdSchema,
      callId: z.string().min(1),
      caseId: z.string().min(1),
      topic: z.string().min(1),
      resolved: z.boolean(),
      summary: z.string().min(1),
      nextSteps: z.array(z.string().min(1)),
      sentiment: z.enum(['positive', 'neutral', 'negative']).optional(),
      agentName: z.string().min(1).optional(),
      durationSeconds: z.int().nonnegative(),
    }),
    example: {
      customerId: 'cust-1001',
      callId: 'call-5521',
      caseId: 'case-3380',
      topic: 'delivery delay',
      resolved: false,
      summary: 'Order ord-20250312-0042 is stuck at the carrier hub; a trace was opened with the carrier.',
      nextSteps: ['Carrier trace answer within 48 hours', 'Agent calls back with the new delivery date'],
      sentiment: 'negative',
      agentName: 'Marcos',
      durationSeconds: 412,
    },
  }),

  'social.engagement': entry({
    description:
      "A known customer interacted with one of the brand's social posts (the producer has already matched the social account to a customerId).",
    detail: z.object({
      customerId: customerIdSchema,
      network: z.enum(['instagram', 'facebook']),
      action: z.enum(['comment', 'like', 'mention', 'share']),
      post: z.object({
        id: z.string().min(1),
        url: webUrlSchema,
        caption: z.string(),
        imageUrl: webUrlSchema.optional(),
        topic: z.string().min(1).optional(),
      }),
      // Only comments and mentions carry text.
      text: z.string().optional(),
    }),
    example: {
      customerId: 'cust-1001',
      network: 'instagram',
      action: 'comment',
      post: {
        id: '17895695668004550',
        url: 'https://www.instagram.com/p/C4xYz12AbCd/',
        caption: 'New trail season, new shoes. Which colour are you picking?',
        imageUrl: 'https://cdn.shop.example.com/social/trail-season.jpg',
        topic: 'trail running',
      },
      text: 'The orange ones! Do they come in size 38?',
    },
  }),

  'chat.session.ended': entry({
    description:
      'A web chat session closed. continueUrl lets a follow-up message reopen the same conversation.',
    detail: z.object({
      customerId: customerIdSchema,
      sessionId: z.string().min(1),
      resolved: z.boolean(),
      topic: z.string().min(1),
      summary: z.string().min(1),
      continueUrl: webUrlSchema,
      transcriptUrl: webUrlSchema.optional(),
      agentName: z.string().min(1).optional(),
    }),
    example: {
      customerId: 'cust-1001',
      sessionId: 'chat-91b2c4',
      resolved: false,
      topic: 'size exchange',
      summary: 'Customer wants to exchange the trail shoes for size 39; waiting for stock confirmation.',
      continueUrl: 'https://shop.example.com/help/chat?continue=chat-91b2c4',
      transcriptUrl: 'https://shop.example.com/help/chat/chat-91b2c4/transcript',
      agentName: 'Julia',
    },
  }),

  'chat.session.started': entry({
    description:
      'A web chat session opened. continuedFrom is set when the customer resumed an earlier session, e.g. from a continueUrl.',
    detail: z.object({
      customerId: customerIdSchema,
      sessionId: z.string().min(1),
      continuedFrom: z.string().min(1).optional(),
    }),
    example: {
      customerId: 'cust-1001',
      sessionId: 'chat-a4e7d0',
      continuedFrom: 'chat-91b2c4',
    },
  }),

  'customer.profile.updated': entry({
    description:
      'A customer system changed part of a profile. Only the fields present change; attributes are merged key by key and tags are added or removed.',
    detail: z.object({
      customerId: customerIdSchema,
      ...contactFields,
      // No defaults here, unlike the stored profile: a missing channel means "leave it as it is".
      consent: z
        .object({
          email: consentStatusSchema.optional(),
          sms: consentStatusSchema.optional(),
          push: consentStatusSchema.optional(),
        })
        .optional(),
      attributes: attributesSchema.optional(),
      tags: z
        .object({
          add: z.array(tagSchema).optional(),
          remove: z.array(tagSchema).optional(),
        })
        .optional(),
    }),
    example: {
      customerId: 'cust-1001',
      locale: 'pt-BR',
      consent: { sms: 'opted-in' },
      attributes: { loyaltyTier: 'gold', supportTone: 'warm' },
      tags: { add: ['vip'], remove: ['trial'] },
    },
  }),

  'retargeting.audience.requested': entry({
    description:
      'Emitted by a journey (not by customer systems) to ask for a customer to be added to an ad retargeting audience.',
    detail: z.object({
      customerId: customerIdSchema,
      audience: z.string().min(1),
      journeyId: z.string().min(1),
      reason: z.string().min(1).optional(),
      offerCode: z.string().min(1).optional(),
    }),
    example: {
      customerId: 'cust-1001',
      audience: 'cart-abandoners-7d',
      journeyId: 'abandoned-cart',
      reason: 'No order 3 days after cart.abandoned',
      offerCode: 'TRAIL10',
    },
  }),
} satisfies Record<string, CatalogEntry>;

export type CatalogEventType = keyof typeof eventCatalog;

// Object.keys is typed as string[]; filtering through the guard keeps the precise type without a cast.
export const catalogEventTypes: readonly CatalogEventType[] = Object.freeze(
  Object.keys(eventCatalog).filter(isCatalogEventType),
);

export function isCatalogEventType(value: string): value is CatalogEventType {
  // Object.hasOwn, not `in`: "toString" and friends must not count as event types.
  return Object.hasOwn(eventCatalog, value);
}

export type EventDetail<T extends CatalogEventType> = z.infer<(typeof eventCatalog)[T]['detail']>;

export interface DetailProblem {
  path: (string | number)[];
  message: string;
}

/** Parse an event's detail against the catalog; unknown types are an error naming the known ones. Never throws. */
export function parseEventDetail(
  detailType: string,
  detail: unknown,
): { ok: true; detail: Record<string, unknown> } | { ok: false; problems: DetailProblem[] } {
  if (!isCatalogEventType(detailType)) {
    return {
      ok: false,
      problems: [
        {
          path: [],
          message: `Unknown event type ${JSON.stringify(detailType)}. Known types: ${catalogEventTypes.join(', ')}`,
        },
      ],
    };
  }
  const schema: z.ZodType<{ customerId: string }> = eventCatalog[detailType].detail;
  try {
    const result = schema.safeParse(detail);
    if (result.success) return { ok: true, detail: { ...result.data } };
    return { ok: false, problems: result.error.issues.map(toProblem) };
  } catch (error) {
    // safeParse can still throw if the input itself throws (a hostile getter or proxy); callers were promised no throw.
    const reason = errorMessage(error);
    return { ok: false, problems: [{ path: [], message: `Could not read the event detail: ${reason}` }] };
  }
}

/** Problems as one line each, as the history and the journey entries keep them: "detail.items: ...". */
export function describeDetailProblems(problems: readonly DetailProblem[]): string[] {
  return problems.map((problem) => `detail.${problem.path.join('.')}: ${problem.message}`);
}

function toProblem(issue: z.core.$ZodIssue): DetailProblem {
  return {
    path: issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)),
    message: issue.message,
  };
}

export const eventEnvelopeSchema = z.object({
  version: z.string().min(1),
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  account: z.string().regex(/^\d{12}$/, 'Expected a 12-digit AWS account id'),
  time: z.iso.datetime({ offset: true }),
  region: z.string().min(1),
  resources: z.array(z.string()),
  // Only the shape is checked here; parseEventDetail checks the content against the catalog.
  detail: z.record(z.string(), z.unknown()),
});
export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;

/** An envelope whose detail has been checked against the catalog entry for its detail-type. */
export type CatalogEvent<T extends CatalogEventType = CatalogEventType> = {
  [K in T]: Omit<EventEnvelope, 'detail-type' | 'detail'> & { 'detail-type': K; detail: EventDetail<K> };
}[T];
