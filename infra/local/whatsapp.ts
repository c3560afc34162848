/**
 * AWS End User Messaging Social on one machine: SendWhatsAppMessage for the
 * account settings.json describes (its phone number id and its approved
 * templates), answering as the service does. What it sent is kept in memory
 * (the outbox keeps what journeys sent, across restarts).
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { WhatsappSender } from '../../shared/journey/channel-settings.ts';
import { awsError, type Reply } from './edge-reply.ts';
import { parseJsonText } from './json-file.ts';

export const SEND_WHATSAPP_PATH = '/v1/whatsapp/send';

/** A WhatsApp message the stand-in accepted. */
export interface SentWhatsapp {
  messageId: string;
  to: string;
  template: string;
  language: string;
  parameters: string[];
}

/** Meta's limit for a message is far below this; the cap keeps a runaway client from filling memory. */
const MAX_KEPT = 1_000;

const requestSchema = z.object({
  originationPhoneNumberId: z.string().min(1),
  message: z.string().min(1),
  metaApiVersion: z.string().regex(/^v\d+(\.\d+)?$/),
});

const templateMessageSchema = z.object({
  messaging_product: z.literal('whatsapp'),
  to: z.string().regex(/^\+?[1-9]\d{6,14}$/, 'a phone number in E.164'),
  type: z.literal('template', 'the local stand-in sends template messages only'),
  template: z.object({
    name: z.string().min(1),
    language: z.object({ code: z.string().min(2) }),
    components: z
      .array(
        z.object({
          type: z.string(),
          parameters: z.array(z.object({ type: z.literal('text'), text: z.string() })).default([]),
        }),
      )
      .default([]),
  }),
});

export class LocalWhatsapp {
  readonly sent: SentWhatsapp[] = [];

  /** `account` read on each call: settings.json is the account, as it stands when the request comes. */
  constructor(private readonly account: () => WhatsappSender | undefined) {}

  handle(method: string, path: string, body: string): Reply {
    if (method !== 'POST' || path !== SEND_WHATSAPP_PATH) {
      return awsError(
        404,
        'UnknownOperationException',
        `The local engine serves SendWhatsAppMessage (POST ${SEND_WHATSAPP_PATH}) of End User Messaging Social only.`,
      );
    }
    const request = requestSchema.safeParse(parseJsonText(body));
    if (!request.success) {
      return awsError(400, 'ValidationException', `Invalid request: ${z.prettifyError(request.error)}`);
    }
    const account = this.account();
    const { originationPhoneNumberId } = request.data;
    if (account === undefined || !sameNumber(originationPhoneNumberId, account.phoneNumberId)) {
      return awsError(
        404,
        'ResourceNotFoundException',
        `Phone number ${originationPhoneNumberId.slice(0, 120)} is not linked to this account (settings.senders.whatsapp.phoneNumberId).`,
      );
    }
    const decoded = Buffer.from(request.data.message, 'base64').toString('utf8');
    const message = templateMessageSchema.safeParse(parseJsonText(decoded));
    if (!message.success) {
      return awsError(
        400,
        'ValidationException',
        `Invalid WhatsApp message: ${z.prettifyError(message.error)}`,
      );
    }
    const { template, to } = message.data;
    if (!account.templates.includes(template.name)) {
      // Meta's error 132001 as the service passes it on.
      return awsError(
        400,
        'ValidationException',
        `(#132001) Template name does not exist in the translation: "${template.name.slice(0, 120)}" is not an approved template of this account.`,
      );
    }
    const messageId = randomUUID();
    this.sent.push({
      messageId,
      to,
      template: template.name,
      language: template.language.code,
      parameters: template.components.flatMap((component) =>
        component.parameters.map((parameter) => parameter.text),
      ),
    });
    if (this.sent.length > MAX_KEPT) this.sent.splice(0, this.sent.length - MAX_KEPT);
    return { status: 200, body: { messageId } };
  }
}

/** The id or its ARN name the same number. */
function sameNumber(given: string, configured: string): boolean {
  const id = (text: string): string =>
    text.replace(/^arn:[^:]+:social-messaging:[^:]*:\d*:phone-number-id\//, 'phone-number-id-');
  return id(given) === id(configured);
}
