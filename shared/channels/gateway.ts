/**
 * What the deliver function needs from the sending services, as an
 * interface: `createAwsChannelGateway` (aws-gateway.ts) implements it over
 * SESv2, SNS, End User Messaging Social, Lambda and HTTPS, and tests can swap in a failing one for the errors a local
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

/** A WhatsApp template message through End User Messaging Social (SendWhatsAppMessage). */
export interface WhatsappMessage {
  meta: MessageMeta;
  /** E.164, the profile's phone number. */
  to: string;
  /** The origination phone number id (or ARN) of the linked WhatsApp Business Account. */
  phoneNumberId: string;
  metaApiVersion: string;
  /** An approved template's name and language, and its body parameters in order. */
  template: string;
  language: string;
  parameters: string[];
}

/** One signed POST to a team's endpoint. */
export interface WebhookRequest {
  meta: MessageMeta;
  /** The endpoint's name in settings, for reasons and the outbox. */
  endpoint: string;
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** The JSON body as rendered: signed and sent byte for byte. */
  body: string;
  /** The signing secret's value. */
  secret: string;
  /** The same on every attempt of one delivery, so the receiver can drop a repeat. */
  idempotencyKey: string;
  /** http to a loopback address is allowed (the local engine only). */
  allowLoopbackHttp: boolean;
}

/** One synchronous Lambda invocation (Pinpoint's CUSTOM activity). */
export interface FunctionInvocation {
  meta: MessageMeta;
  /** The function's name in settings, for reasons and the outbox. */
  name: string;
  functionName: string;
  timeoutMs: number;
  /** The documented payload (docs/channels.md), as JSON text. */
  payload: string;
}

export type SendResult =
  /** `response`: what the receiver answered, when there is something to say ("HTTP 202"). */
  | { ok: true; messageId: string; response?: string }
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
  sendWhatsapp(message: WhatsappMessage): Promise<SendResult>;
  callWebhook(request: WebhookRequest): Promise<SendResult>;
  invokeFunction(invocation: FunctionInvocation): Promise<SendResult>;
  /** The SNS account-level opt-out list (a reply of STOP lands there). */
  isPhoneOptedOut(phone: string): Promise<boolean>;
}
