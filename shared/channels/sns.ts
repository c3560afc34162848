/**
 * SMS and mobile push through SNS: SMS by phone number, push by platform
 * endpoint ARN with one payload per platform (APNs, FCM HTTP v1).
 */
import {
  CheckIfPhoneNumberIsOptedOutCommand,
  type MessageAttributeValue,
  PublishCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import type { PushMessage, SendResult, SmsMessage } from './gateway.ts';
import { classifySendError, type SendErrorNames } from './ses.ts';

/** Any object with the client's `send`, so a test can stand in for failures SNS only gives under load. */
type SnsSender = Pick<SNSClient, 'send'>;

const SNS_ERRORS: SendErrorNames = {
  // SNS's own model names `ThrottledException`; answers seen in the field also carry the Query API's
  // generic `Throttling` (400, "Rate exceeded"), which must not read as a refusal.
  throttled: new Set(['ThrottledException', 'Throttling', 'ThrottlingException', 'KMSThrottlingException']),
  unreachable: new Map([
    // SNS disables an endpoint when APNs or FCM reports its token dead.
    ['EndpointDisabledException', 'push endpoint disabled'],
    ['OptedOutException', 'phone number opted out'],
  ]),
  rejected: new Set([
    'InvalidParameterException',
    'InvalidParameterValueException',
    'NotFoundException',
    'AuthorizationErrorException',
    'PlatformApplicationDisabledException',
    'ValidationException',
    'KMSAccessDeniedException',
    'KMSDisabledException',
    'KMSInvalidStateException',
    'KMSNotFoundException',
    'KMSOptInRequiredException',
  ]),
};

function stringAttribute(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: value };
}

function smsType(category: SmsMessage['category']): 'Promotional' | 'Transactional' {
  switch (category) {
    case 'marketing':
      return 'Promotional';
    case 'transactional':
      return 'Transactional';
  }
}

/** SNS publishes with MessageStructure json: one entry per platform, each itself a JSON string. */
function pushMessage(message: PushMessage): string {
  const { title, body, data } = message;
  switch (message.platform) {
    case 'apns': {
      // aps last so a data key cannot replace the alert.
      const apns = JSON.stringify({ ...data, aps: { alert: { title, body } } });
      // The endpoint ARN does not say sandbox or production; SNS picks the entry that matches.
      return JSON.stringify({ default: body, APNS: apns, APNS_SANDBOX: apns });
    }
    case 'fcm':
      return JSON.stringify({
        default: body,
        GCM: JSON.stringify({ fcmV1Message: { message: { notification: { title, body }, data } } }),
      });
  }
}

async function publish(client: SnsSender, command: PublishCommand): Promise<SendResult> {
  try {
    const result = await client.send(command);
    // SNS always returns an id on success; an empty one only says it did not, the message still went.
    return { ok: true, messageId: result.MessageId ?? '' };
  } catch (error) {
    return classifySendError(error, SNS_ERRORS);
  }
}

/** Note: SNS accepts an SMS to an opted-out number and drops it; check isPhoneOptedOutWithSns first. */
export function sendSmsWithSns(client: SnsSender, message: SmsMessage): Promise<SendResult> {
  const attributes: Record<string, MessageAttributeValue> = {
    'AWS.SNS.SMS.SMSType': stringAttribute(smsType(message.category)),
  };
  if (message.originationNumber !== undefined) {
    attributes['AWS.MM.SMS.OriginationNumber'] = stringAttribute(message.originationNumber);
  }
  if (message.senderId !== undefined) attributes['AWS.SNS.SMS.SenderID'] = stringAttribute(message.senderId);
  return publish(
    client,
    new PublishCommand({ PhoneNumber: message.to, Message: message.text, MessageAttributes: attributes }),
  );
}

export function sendPushWithSns(client: SnsSender, message: PushMessage): Promise<SendResult> {
  return publish(
    client,
    new PublishCommand({
      TargetArn: message.endpointArn,
      MessageStructure: 'json',
      Message: pushMessage(message),
    }),
  );
}

/** The account-level opt-out list, where a reply of STOP puts the number. */
export async function isPhoneOptedOutWithSns(client: SnsSender, phone: string): Promise<boolean> {
  const result = await client.send(new CheckIfPhoneNumberIsOptedOutCommand({ phoneNumber: phone }));
  return result.isOptedOut === true;
}
