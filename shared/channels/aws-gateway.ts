/** The ChannelGateway the deliver function uses on AWS and locally: SESv2 for email, SNS for SMS and push. */
import type { AwsClients } from '../aws/clients.ts';
import type { ChannelGateway } from './gateway.ts';
import { sendEmailWithSes } from './ses.ts';
import { isPhoneOptedOutWithSns, sendPushWithSns, sendSmsWithSns } from './sns.ts';

export function createAwsChannelGateway(clients: Pick<AwsClients, 'sesv2' | 'sns'>): ChannelGateway {
  // Clients are read on each call: AwsClients makes them on first use, so email-only work never builds SNS.
  return {
    sendEmail: (message) => sendEmailWithSes(clients.sesv2, message),
    sendSms: (message) => sendSmsWithSns(clients.sns, message),
    sendPush: (message) => sendPushWithSns(clients.sns, message),
    isPhoneOptedOut: (phone) => isPhoneOptedOutWithSns(clients.sns, phone),
  };
}
