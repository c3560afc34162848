/**
 * The event patterns of the core rules (the journey rules come from the
 * compiler). The CDK stack and the local engine both route with these, so the
 * same events reach the same functions in both places.
 */
import { DEFAULT_CUSTOMER_ID_PATH, type EventCatalog } from './catalog.ts';
import {
  ERASURE_REQUESTED,
  SES_ENGAGEMENT_DETAIL_TYPES,
  SMS_RECEIPT_DETAIL_TYPE,
  SMS_SOURCE,
  WHATSAPP_RECEIPT_DETAIL_TYPES,
  WHATSAPP_SOURCE,
} from './system-events.ts';
import type { EventPattern, JsonValue } from './pattern.ts';

const HAS_CUSTOMER = { customerId: [{ exists: true }] };

/**
 * record: every event about a customer, except an erasure request, which record would otherwise
 * file in the history of the customer being erased. Event types that keep the customer id
 * elsewhere (`account.id`) are matched by name with the id where they keep it.
 */
export function recordPattern(catalog: EventCatalog): EventPattern {
  const everyEvent: EventPattern = {
    'detail-type': [{ 'anything-but': [ERASURE_REQUESTED] }],
    detail: { ...HAS_CUSTOMER },
  };
  const byPath = new Map<string, string[]>();
  for (const definition of catalog.events.values()) {
    const path = definition.customerIdPath.join('.');
    // An erasure request is never recorded, whatever an event file (refused by the check) says of it.
    if (path === DEFAULT_CUSTOMER_ID_PATH.join('.') || definition.detailType === ERASURE_REQUESTED) continue;
    byPath.set(path, [...(byPath.get(path) ?? []), definition.detailType]);
  }
  if (byPath.size === 0) return everyEvent;
  const elsewhere = [...byPath].map(([path, detailTypes]): EventPattern => ({
    'detail-type': detailTypes.sort(),
    detail: existsAt(path.split('.')),
  }));
  return { $or: [everyEvent, ...elsewhere] };
}

/** `{ account: { id: [{ exists: true }] } }` for the path account.id. */
function existsAt(path: readonly string[]): { [key: string]: JsonValue } {
  const [first, ...rest] = path;
  if (first === undefined) return {};
  return { [first]: rest.length === 0 ? [{ exists: true }] : existsAt(rest) };
}

/** preferences: erasure requests on the Waymark bus. */
export function erasurePattern(): EventPattern {
  return { 'detail-type': [ERASURE_REQUESTED], detail: { ...HAS_CUSTOMER } };
}

/**
 * preferences: SES bounces and complaints (suppression), and with them deliveries, opens and clicks
 * (engagement in the history), which SES publishes on the account's default bus. Only
 * those of Waymark's configuration set: other senders in the account have their own lists.
 */
export function sesFeedbackPattern(configurationSet: string): EventPattern {
  return {
    source: ['aws.ses'],
    'detail-type': [...SES_ENGAGEMENT_DETAIL_TYPES],
    detail: { mail: { tags: { 'ses:configuration-set': [configurationSet] } } },
  };
}

/**
 * preferences: SMS and WhatsApp delivery statuses, which End User Messaging publishes on the default
 * bus naming only the message id; the deliver function left a pointer from each id to its customer.
 */
export function receiptPattern(): EventPattern {
  return {
    $or: [
      { source: [WHATSAPP_SOURCE], 'detail-type': [...WHATSAPP_RECEIPT_DETAIL_TYPES] },
      { source: [SMS_SOURCE], 'detail-type': [SMS_RECEIPT_DETAIL_TYPE] },
    ],
  };
}
