/**
 * WhatsApp through AWS End User Messaging Social: SendWhatsAppMessage with a
 * WhatsApp Cloud API message object, here always an approved template (the
 * only message a business may start a conversation with).
 */
import { SendWhatsAppMessageCommand, type SocialMessagingClient } from '@aws-sdk/client-socialmessaging';
import type { SendResult, WhatsappMessage } from './gateway.ts';
import { classifySendError, type SendErrorNames } from './ses.ts';

const WHATSAPP_ERRORS: SendErrorNames = {
  // DependencyException (502): Meta's side did not answer; it clears with time.
  throttled: new Set([
    'ThrottledRequestException',
    'ThrottlingException',
    'InternalServiceException',
    'DependencyException',
  ]),
  unreachable: new Map(),
  rejected: new Set([
    'ValidationException',
    'InvalidParametersException',
    'ResourceNotFoundException',
    'AccessDeniedException',
    'AccessDeniedByMetaException',
  ]),
};

/** The Cloud API message: a template with its body parameters as text. */
export function whatsappTemplateMessage(message: WhatsappMessage): Record<string, unknown> {
  return {
    messaging_product: 'whatsapp',
    to: message.to,
    type: 'template',
    template: {
      name: message.template,
      language: { code: message.language },
      ...(message.parameters.length === 0
        ? {}
        : {
            components: [
              { type: 'body', parameters: message.parameters.map((text) => ({ type: 'text', text })) },
            ],
          }),
    },
  };
}

export async function sendWhatsappWithSocialMessaging(
  client: Pick<SocialMessagingClient, 'send'>,
  message: WhatsappMessage,
): Promise<SendResult> {
  const command = new SendWhatsAppMessageCommand({
    originationPhoneNumberId: message.phoneNumberId,
    metaApiVersion: message.metaApiVersion,
    message: new TextEncoder().encode(JSON.stringify(whatsappTemplateMessage(message))),
  });
  try {
    const result = await client.send(command);
    return { ok: true, messageId: result.messageId ?? '' };
  } catch (error) {
    return classifySendError(error, WHATSAPP_ERRORS);
  }
}
