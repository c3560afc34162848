/**
 * The ChannelGateway the deliver function uses on AWS and locally: SESv2 for email, SNS for SMS and
 * push, End User Messaging Social for WhatsApp, Lambda for custom functions, HTTPS for webhooks.
 */
import type { AwsClients } from '../aws/clients.ts';
import { invokeFunctionWithLambda } from './custom-function.ts';
import type { ChannelGateway } from './gateway.ts';
import { sendEmailWithSes } from './ses.ts';
import { isPhoneOptedOutWithSns, sendPushWithSns, sendSmsWithSns } from './sns.ts';
import { callWebhook } from './webhook.ts';
import { sendWhatsappWithSocialMessaging } from './whatsapp.ts';

export function createAwsChannelGateway(
  clients: Pick<AwsClients, 'sesv2' | 'sns' | 'socialmessaging' | 'lambda'>,
): ChannelGateway {
  // Clients are read on each call: AwsClients makes them on first use, so email-only work never builds SNS.
  return {
    sendEmail: (message) => sendEmailWithSes(clients.sesv2, message),
    sendSms: (message) => sendSmsWithSns(clients.sns, message),
    sendPush: (message) => sendPushWithSns(clients.sns, message),
    sendWhatsapp: (message) => sendWhatsappWithSocialMessaging(clients.socialmessaging, message),
    callWebhook: (request) => callWebhook(request),
    invokeFunction: (invocation) => invokeFunctionWithLambda(clients.lambda, invocation),
    isPhoneOptedOut: (phone) => isPhoneOptedOutWithSns(clients.sns, phone),
  };
}
