/**
 * The event patterns of the core rules (the journey rules come from the
 * compiler). The CDK stack and the local engine both route with these, so the
 * same events reach the same functions in both places.
 */
import { ERASURE_REQUESTED, SES_FEEDBACK_DETAIL_TYPES } from './system-events.ts';
import type { EventPattern } from './pattern.ts';

const HAS_CUSTOMER = { customerId: [{ exists: true }] };

/**
 * record: every event about a customer, except an erasure request, which record would otherwise
 * file in the history of the customer being erased.
 */
export function recordPattern(): EventPattern {
  return { 'detail-type': [{ 'anything-but': [ERASURE_REQUESTED] }], detail: { ...HAS_CUSTOMER } };
}

/** preferences: erasure requests on the Waymark bus. */
export function erasurePattern(): EventPattern {
  return { 'detail-type': [ERASURE_REQUESTED], detail: { ...HAS_CUSTOMER } };
}

/**
 * preferences: SES bounces and complaints, which SES publishes on the account's default bus. Only
 * those of Waymark's configuration set: other senders in the account have their own lists.
 */
export function sesFeedbackPattern(configurationSet: string): EventPattern {
  return {
    source: ['aws.ses'],
    'detail-type': [...SES_FEEDBACK_DETAIL_TYPES],
    detail: { mail: { tags: { 'ses:configuration-set': [configurationSet] } } },
  };
}
