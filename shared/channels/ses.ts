/**
 * Email through SESv2, with the RFC 8058 one-click unsubscribe headers bulk
 * senders need for Gmail and Yahoo, and the error classification the SNS
 * sender shares.
 */
import { type MessageTag, SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { isRecord } from '../json.ts';
import { withoutContactDetails } from '../text/mask.ts';
import type { EmailMessage, SendResult } from './gateway.ts';

export type SendFailure = Extract<SendResult, { ok: false }>;

/** Error names (the SDK's exception names, or a service's bare codes) per outcome. */
export interface SendErrorNames {
  throttled: ReadonlySet<string>;
  /** Each with a fixed reason: the address cannot receive, and the service's wording adds nothing. */
  unreachable: ReadonlyMap<string, string>;
  rejected: ReadonlySet<string>;
}

function isThrottlingRetryable(error: Error): boolean {
  return '$retryable' in error && isRecord(error.$retryable) && error.$retryable['throttling'] === true;
}

function isClientFault(error: Error): boolean {
  return '$fault' in error && error.$fault === 'client';
}

/**
 * What a send error means for the journey. A retry cannot fix anything the
 * service refused as the sender's fault, so those become `rejected`. Network
 * failures and service faults count as throttling: the state machine retries
 * them with backoff, after the reservation has been released.
 */
export function classifySendError(error: unknown, names: SendErrorNames): SendFailure {
  if (!(error instanceof Error)) return { ok: false, kind: 'throttled', reason: 'the service failed' };
  // Service messages can quote the recipient ("... failed the check: ana@example.com"); reasons are stored.
  const reason = `${error.name}: ${withoutContactDetails(error.message)}`;
  if (names.throttled.has(error.name) || isThrottlingRetryable(error)) {
    return { ok: false, kind: 'throttled', reason };
  }
  const unreachableReason = names.unreachable.get(error.name);
  if (unreachableReason !== undefined) return { ok: false, kind: 'unreachable', reason: unreachableReason };
  if (names.rejected.has(error.name) || isClientFault(error)) return { ok: false, kind: 'rejected', reason };
  return { ok: false, kind: 'throttled', reason: `the service is unavailable (${reason})` };
}

const SES_ERRORS: SendErrorNames = {
  // LimitExceeded on SendEmail is the sending quota: it clears with time.
  throttled: new Set([
    'ThrottlingException',
    'Throttling',
    'TooManyRequestsException',
    'LimitExceededException',
  ]),
  // SES accepts mail for suppressed addresses and reports the bounce later, so nothing is unreachable up front.
  unreachable: new Map(),
  rejected: new Set([
    'MessageRejected',
    'MailFromDomainNotVerifiedException',
    'AccountSuspendedException',
    'SendingPausedException',
    'BadRequestException',
    'NotFoundException',
  ]),
};

const SES_TAG_TEXT_LENGTH = 256;

/** SES allows only [A-Za-z0-9_-] in tag names and values, up to 256 characters; anything else fails the whole send. */
function sesTagText(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, SES_TAG_TEXT_LENGTH);
}

function emailTags(tags: Record<string, string>): MessageTag[] {
  return Object.entries(tags)
    .filter(([name]) => name !== '')
    .map(([name, value]) => ({ Name: sesTagText(name), Value: sesTagText(value) }));
}

/** Takes any object with the client's `send`, so a test can stand in for failures SES only gives under load. */
export async function sendEmailWithSes(
  client: Pick<SESv2Client, 'send'>,
  message: EmailMessage,
): Promise<SendResult> {
  const command = new SendEmailCommand({
    FromEmailAddress: message.from,
    Destination: { ToAddresses: [message.to] },
    ...(message.replyTo === undefined ? {} : { ReplyToAddresses: [message.replyTo] }),
    ...(message.configurationSet === undefined ? {} : { ConfigurationSetName: message.configurationSet }),
    EmailTags: emailTags(message.tags),
    Content: {
      Simple: {
        Subject: { Data: message.subject, Charset: 'UTF-8' },
        Body: {
          ...(message.html === undefined ? {} : { Html: { Data: message.html, Charset: 'UTF-8' } }),
          ...(message.text === undefined ? {} : { Text: { Data: message.text, Charset: 'UTF-8' } }),
        },
        Headers: [
          { Name: 'List-Unsubscribe', Value: `<${message.unsubscribeUrl}>` },
          { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
        ],
      },
    },
  });
  try {
    const result = await client.send(command);
    // SES always returns an id on success; an empty one only says it did not, the mail still went.
    return { ok: true, messageId: result.MessageId ?? '' };
  } catch (error) {
    return classifySendError(error, SES_ERRORS);
  }
}
