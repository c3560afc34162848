/**
 * Every message the local engine delivered, across channels, as a person
 * checking a journey wants to see it: who, which journey and step, to what
 * address, what it said, at what (virtual) time. Kept as JSON lines in the
 * data folder, so it survives a restart.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as z from 'zod';
import type { ChannelGateway, SendResult } from '../../shared/channels/gateway.ts';
import { channelSchema } from '../../shared/customer/profile.ts';
import { type TrackedMail, trackedMail } from './email-tracking.ts';
import { parseJsonText } from './json-file.ts';

export const outboxMessageSchema = z.object({
  messageId: z.string(),
  channel: channelSchema,
  customerId: z.string(),
  journeyId: z.string(),
  stepId: z.string(),
  recipient: z.string(),
  /** The email subject or the push title; absent for SMS. */
  subject: z.string().optional(),
  body: z.string(),
  html: z.string().optional(),
  time: z.string(),
  /** An email's sender and SES tags: what the events about it (delivery, opens, clicks) carry. */
  from: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  /** What a webhook or function answered. */
  response: z.string().optional(),
});
export type OutboxMessage = z.infer<typeof outboxMessageSchema>;

export interface OutboxFilter {
  customerId?: string;
  channel?: string;
  journeyId?: string;
}

export class Outbox {
  private readonly messages: OutboxMessage[] = [];
  private readonly byId = new Map<string, OutboxMessage>();

  /** `file` undefined: in memory only. */
  constructor(private readonly file: string | undefined) {
    if (file === undefined || !existsSync(file)) return;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const parsed = outboxMessageSchema.safeParse(parseJsonText(line));
      if (parsed.success) this.keep(parsed.data);
    }
  }

  add(message: OutboxMessage): void {
    this.keep(message);
    if (this.file === undefined) return;
    mkdirSync(dirname(this.file), { recursive: true });
    appendFileSync(this.file, `${JSON.stringify(message)}\n`);
  }

  find(messageId: string): OutboxMessage | undefined {
    return this.byId.get(messageId);
  }

  private keep(message: OutboxMessage): void {
    this.messages.push(message);
    this.byId.set(message.messageId, message);
  }

  list(filter: OutboxFilter = {}): OutboxMessage[] {
    return this.messages.filter(
      (message) =>
        (filter.customerId === undefined || message.customerId === filter.customerId) &&
        (filter.channel === undefined || message.channel === filter.channel) &&
        (filter.journeyId === undefined || message.journeyId === filter.journeyId),
    );
  }
}

/** What SES does after accepting a mail: tracking in the copy the inbox gets, and a delivery event. */
export interface EmailDelivery {
  deliveredHtml(html: string, messageId: string, unsubscribeUrl: string): string;
  delivered(mail: TrackedMail): Promise<void>;
}

/**
 * The gateway the deliver function uses locally: the real calls to the stand-ins, each success recorded;
 * an email as its inbox gets it (with `email`, tracked links and a delivery event, as SES does).
 */
export function recordingGateway(
  inner: ChannelGateway,
  outbox: Outbox,
  now: () => Date,
  email?: EmailDelivery,
): ChannelGateway {
  /** `delivered`: what only the message id decides (an email's tracked copy), written with the rest. */
  const record = async (
    sending: Promise<SendResult>,
    message: Omit<OutboxMessage, 'messageId' | 'time'>,
    delivered: (messageId: string) => Partial<OutboxMessage> = () => ({}),
  ): Promise<SendResult> => {
    const result = await sending;
    if (!result.ok) return result;
    // Stamped when the send succeeded, not when it began.
    outbox.add({
      ...message,
      ...delivered(result.messageId),
      messageId: result.messageId,
      time: now().toISOString(),
      ...(result.response === undefined ? {} : { response: result.response }),
    });
    return result;
  };
  return {
    sendEmail: async (message) => {
      const { html } = message;
      const result = await record(
        inner.sendEmail(message),
        {
          ...message.meta,
          channel: 'email',
          recipient: message.to,
          subject: message.subject,
          body: message.text ?? '',
          ...(html === undefined ? {} : { html }),
          from: message.from,
          tags: message.tags,
        },
        (messageId) =>
          html === undefined || email === undefined
            ? {}
            : { html: email.deliveredHtml(html, messageId, message.unsubscribeUrl) },
      );
      // The mail is out: a delivery event that cannot be put on the bus must not make it look unsent.
      if (result.ok) await email?.delivered(trackedMail(message, result.messageId)).catch(() => undefined);
      return result;
    },
    sendSms: (message) =>
      record(inner.sendSms(message), {
        ...message.meta,
        channel: 'sms',
        recipient: message.to,
        body: message.text,
      }),
    sendPush: (message) =>
      record(inner.sendPush(message), {
        ...message.meta,
        channel: 'push',
        recipient: message.endpointArn,
        subject: message.title,
        body: message.body,
      }),
    sendWhatsapp: (message) =>
      record(inner.sendWhatsapp(message), {
        ...message.meta,
        channel: 'whatsapp',
        recipient: message.to,
        subject: `template ${message.template} (${message.language})`,
        body: message.parameters.join('\n'),
      }),
    callWebhook: (request) =>
      record(inner.callWebhook(request), {
        ...request.meta,
        channel: 'webhook',
        recipient: `${request.endpoint} ${request.url}`,
        body: request.body,
      }),
    invokeFunction: (invocation) =>
      record(inner.invokeFunction(invocation), {
        ...invocation.meta,
        channel: 'function',
        recipient: `${invocation.name} (${invocation.functionName})`,
        body: invocation.payload,
      }),
    isPhoneOptedOut: (phone) => inner.isPhoneOptedOut(phone),
  };
}
