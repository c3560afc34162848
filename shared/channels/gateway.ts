/**
 * What the deliver function needs from the sending services, as an
 * interface: `createAwsChannelGateway` (aws-gateway.ts) implements it over
 * SESv2 and SNS, and tests can swap in a failing one for the errors a local
 * service cannot produce.
 */
import type { PushPlatform } from '../customer/profile.ts';

/** What a message is about: not sent to the service, but kept by whoever records messages (the local outbox). */
export interface MessageMeta {
  customerId: string;
  journeyId: string;
  stepId: string;
}

export interface EmailMessage {
  meta: MessageMeta;
  to: string;
  /** "Name <address>" or an address: an SES verified identity. */
  from: string;
  replyTo?: string;
  subject: string;
  html?: string;
  text?: string;
  /** The signed one-click link: sent as List-Unsubscribe with List-Unsubscribe-Post (RFC 8058). */
  unsubscribeUrl: string;
  configurationSet?: string;
  /** SES message tags (journey, step, channel) so SES events can be traced back. */
  tags: Record<string, string>;
}

export interface SmsMessage {
  meta: MessageMeta;
  /** E.164. */
  to: string;
  text: string;
  /** Marketing goes as Promotional, transactional as Transactional (SNS SMSType). */
  category: 'marketing' | 'transactional';
  originationNumber?: string;
  senderId?: string;
}

export interface PushMessage {
  meta: MessageMeta;
  platform: PushPlatform;
  /** An SNS platform endpoint ARN. */
  endpointArn: string;
  title: string;
  body: string;
  data: Record<string, string>;
}

export type SendResult =
  | { ok: true; messageId: string }
  /** The service asked us to slow down, or could not be reached: the caller throws a retryable error. */
  | { ok: false; kind: 'throttled'; reason: string }
  /** The address cannot receive (push endpoint disabled, SMS number opted out): try the next channel. */
  | { ok: false; kind: 'unreachable'; reason: string }
  /** Anything else the service refused: recorded as failed. */
  | { ok: false; kind: 'rejected'; reason: string };

export interface ChannelGateway {
  sendEmail(message: EmailMessage): Promise<SendResult>;
  sendSms(message: SmsMessage): Promise<SendResult>;
  sendPush(message: PushMessage): Promise<SendResult>;
  /** The SNS account-level opt-out list (a reply of STOP lands there). */
  isPhoneOptedOut(phone: string): Promise<boolean>;
}
