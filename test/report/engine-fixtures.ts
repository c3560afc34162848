/** Mail a local engine sent, and SES's engagement events for it: for the tests that read a running engine. */
import { customerTagValue, executionTag } from '../../shared/channels/tags.ts';
import { parseHistoryEntry } from '../../shared/customer/history.ts';
import { OPTED_IN, type TestEngine } from '../support/local-engine.ts';

/**
 * Opts the customer in and ends an unresolved chat: the summary email chat-followup sends at once, as
 * the customer's history names it.
 */
export async function chatSummaryMail(engine: TestEngine, customerId: string): Promise<SentMail> {
  await engine.put('customer.profile.updated', customerId, {
    email: `${customerId}@example.com`,
    consent: OPTED_IN,
  });
  await engine.put('chat.session.ended', customerId);
  const sent = (await engine.timeline(customerId))
    .map(parseHistoryEntry)
    .find((entry) => entry?.kind === 'message' && entry.journeyId === 'chat-followup');
  if (sent?.kind !== 'message') throw new Error(`No summary email for ${customerId}`);
  return { customerId, ...sent };
}

/** The message a local engine sent, as its history entry names it. */
export interface SentMail {
  customerId: string;
  journeyId: string;
  stepId: string;
  executionId: string;
  messageId: string;
}

const SES_DETAIL_TYPES: Record<'Delivery' | 'Open' | 'Click', string> = {
  Delivery: 'Email Delivered',
  Open: 'Email Opened',
  Click: 'Email Clicked',
};

/**
 * An SES engagement event for a mail Waymark sent, as the configuration set publishes it to EventBridge:
 * the mail's message id and the tags the deliver function put on it.
 */
export function sesEngagementEvent(
  id: string,
  time: string,
  mail: SentMail,
  what: { eventType: 'Delivery' | 'Open' } | { eventType: 'Click'; link: string },
): Record<string, unknown> {
  const customer = customerTagValue(mail.customerId);
  return {
    version: '0',
    id,
    source: 'aws.ses',
    'detail-type': SES_DETAIL_TYPES[what.eventType],
    time,
    detail: {
      eventType: what.eventType,
      mail: {
        messageId: mail.messageId,
        tags: {
          'ses:configuration-set': ['waymark'],
          customer: customer === undefined ? [] : [customer],
          journey: [mail.journeyId],
          step: [mail.stepId],
          execution: [executionTag(mail.executionId)],
        },
      },
      ...(what.eventType === 'Click' ? { click: { link: what.link, timestamp: time } } : {}),
    },
  };
}
