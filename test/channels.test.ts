/**
 * The AWS channel gateway against local services on loopback, through real
 * SDK clients: aws-ses-v2-local for email, infra/local/sns.ts for SMS and
 * push. Only throttling is faked, because no local service produces it.
 */
import { type SESv2Client } from '@aws-sdk/client-sesv2';
import {
  GetEndpointAttributesCommand,
  ListPhoneNumbersOptedOutCommand,
  ListTopicsCommand,
  OptInPhoneNumberCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { PublishedMessage } from '../infra/local/sns.ts';
import { createAwsClients } from '../shared/aws/clients.ts';
import { createAwsChannelGateway } from '../shared/channels/aws-gateway.ts';
import type { ChannelGateway, EmailMessage, PushMessage, SmsMessage } from '../shared/channels/gateway.ts';
import { sendEmailWithSes } from '../shared/channels/ses.ts';
import { sendSmsWithSns } from '../shared/channels/sns.ts';
import {
  createPushEndpoint,
  expectVariant,
  localServicesForFile,
  type SentEmail,
} from './support/runtime-services.ts';

const FCM_APP = 'arn:aws:sns:us-east-1:000000000000:app/GCM/waymark-shop';
const APNS_APP = 'arn:aws:sns:us-east-1:000000000000:app/APNS/waymark-shop';

// One attempt per request: a failure the SDK would retry must show here, not be retried away.
const services = localServicesForFile({ maxAttempts: 1 });
let gateway: ChannelGateway;

beforeAll(() => {
  gateway = createAwsChannelGateway(services.clients);
});

beforeEach(() => {
  services.sns.clear();
});

const META = { customerId: 'cust-1001', journeyId: 'cart-recovery', stepId: 'email-1' };

function email(overrides: Partial<EmailMessage> = {}): EmailMessage {
  return {
    meta: META,
    to: 'ana@example.com',
    from: 'Waymark Shop <shop@example.com>',
    subject: 'You left something in your cart',
    html: '<p>Your cart misses you: <b>10% off</b></p>',
    text: 'Your cart misses you: 10% off',
    unsubscribeUrl: 'https://shop.example.com/u/abc123?sig=ff00',
    tags: { journey: 'cart-recovery', step: 'email-1', channel: 'email' },
    ...overrides,
  };
}

async function storedEmail(messageId: string): Promise<SentEmail | undefined> {
  return (await services.emails()).find((stored) => stored.messageId === messageId);
}

function sms(overrides: Partial<SmsMessage> = {}): SmsMessage {
  return {
    meta: META,
    to: '+15555550100',
    text: 'Your cart: 10% off with CART10',
    category: 'marketing',
    ...overrides,
  };
}

function push(endpointArn: string, platform: PushMessage['platform']): PushMessage {
  return {
    meta: META,
    platform,
    endpointArn,
    title: 'Still thinking?',
    body: 'Your cart is waiting',
    data: { journey: 'cart-recovery', url: 'https://shop.example.com/cart' },
  };
}

function onlyPublished(): PublishedMessage {
  const published = services.sns.published();
  expect(published).toHaveLength(1);
  const [message] = published;
  if (message === undefined) throw new Error('nothing published');
  return message;
}

describe('email through SESv2', () => {
  it('sends subject, both bodies and the one-click unsubscribe headers', async () => {
    // Prepare
    const message = email({ replyTo: 'help@example.com' });

    // Act
    const result = await gateway.sendEmail(message);

    // Assess
    if (!result.ok) throw new Error(`expected a sent email, got ${result.kind}: ${result.reason}`);
    const stored = await storedEmail(result.messageId);
    if (stored === undefined) throw new Error('the email is not in the SES store');
    expect(stored.subject).toBe(message.subject);
    expect(stored.body).toEqual({ html: message.html, text: message.text });
    expect(stored.replyTo).toEqual(['help@example.com']);
    expect(stored.headers).toEqual(
      expect.arrayContaining([
        { name: 'List-Unsubscribe', value: '<https://shop.example.com/u/abc123?sig=ff00>' },
        { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
      ]),
    );
  });

  it('sends tags SES accepts and the configuration set', async () => {
    // Prepare: aws-ses-v2-local drops tags, so read the request the SDK sends.
    const sent: unknown[] = [];
    const client = createAwsClients({
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      endpoints: { sesv2: services.sesEndpoint },
    }).sesv2;
    client.middlewareStack.add(
      (next) => (args) => {
        sent.push(args.input);
        return next(args);
      },
      { step: 'initialize' },
    );

    // Act
    const result = await sendEmailWithSes(
      client,
      email({
        configurationSet: 'waymark-events',
        tags: { journey: 'spring sale/2026', 'step id': 'email.1' },
      }),
    );

    // Assess
    expect(result.ok).toBe(true);
    expect(sent).toEqual([
      expect.objectContaining({
        ConfigurationSetName: 'waymark-events',
        EmailTags: [
          { Name: 'journey', Value: 'spring_sale_2026' },
          { Name: 'step_id', Value: 'email_1' },
        ],
      }),
    ]);
    client.destroy();
  });
});

describe('SMS through SNS', () => {
  it.each([
    ['marketing', 'Promotional'],
    ['transactional', 'Transactional'],
  ] as const)('sends %s SMS as %s from the origination number', async (category, smsType) => {
    // Act
    const result = await gateway.sendSms(sms({ category, originationNumber: '+18005550199' }));

    // Assess
    expect(result).toEqual({ ok: true, messageId: expect.any(String) });
    expect(onlyPublished()).toMatchObject({
      kind: 'sms',
      phoneNumber: '+15555550100',
      message: 'Your cart: 10% off with CART10',
      smsType,
      originationNumber: '+18005550199',
    });
  });

  it('passes a sender ID and leaves the origination number to SNS when none is set', async () => {
    // Act
    await gateway.sendSms(sms({ senderId: 'WAYMARK' }));

    // Assess
    const published = onlyPublished();
    expect(published).toMatchObject({ kind: 'sms', senderId: 'WAYMARK' });
    expect(published).not.toHaveProperty('originationNumber');
  });

  it('reports an opted-out phone until OptInPhoneNumber clears it', async () => {
    // Prepare
    const phone = '+15555550142';
    services.sns.optOut(phone);

    // Act
    const optedOut = await gateway.isPhoneOptedOut(phone);
    const listed = await services.clients.sns.send(new ListPhoneNumbersOptedOutCommand({}));
    const publishedWhileOptedOut = await gateway.sendSms(sms({ to: phone }));
    await services.clients.sns.send(new OptInPhoneNumberCommand({ phoneNumber: phone }));
    const afterOptIn = await gateway.isPhoneOptedOut(phone);

    // Assess
    expect(optedOut).toBe(true);
    expect(listed.phoneNumbers).toContain(phone);
    // Like real SNS: the publish succeeds and nothing is delivered.
    expect(publishedWhileOptedOut.ok).toBe(true);
    expect(services.sns.published()).toEqual([]);
    expect(afterOptIn).toBe(false);
    expect(await gateway.isPhoneOptedOut('+15555550143')).toBe(false);
  });
});

describe('push through SNS', () => {
  it('sends FCM an HTTP v1 message with notification and data', async () => {
    // Prepare
    const endpointArn = await createPushEndpoint(services.clients.sns, 'fcm-token-1', FCM_APP);

    // Act
    const result = await gateway.sendPush(push(endpointArn, 'fcm'));

    // Assess
    expect(result.ok).toBe(true);
    expect(onlyPublished()).toMatchObject({
      kind: 'push',
      targetArn: endpointArn,
      platform: 'fcm',
      payload: {
        fcmV1Message: {
          message: {
            notification: { title: 'Still thinking?', body: 'Your cart is waiting' },
            data: { journey: 'cart-recovery', url: 'https://shop.example.com/cart' },
          },
        },
      },
    });
  });

  it('sends APNs an alert with the data beside aps', async () => {
    // Prepare
    const endpointArn = await createPushEndpoint(services.clients.sns, 'apns-token-1', APNS_APP);

    // Act
    const result = await gateway.sendPush(push(endpointArn, 'apns'));

    // Assess
    expect(result.ok).toBe(true);
    const published = onlyPublished();
    expect(published).toMatchObject({
      kind: 'push',
      platform: 'apns',
      payload: {
        aps: { alert: { title: 'Still thinking?', body: 'Your cart is waiting' } },
        journey: 'cart-recovery',
        url: 'https://shop.example.com/cart',
      },
    });
    const { message } = expectVariant(published, 'kind', 'push');
    expect(Object.keys(JSON.parse(message)).sort()).toEqual(['APNS', 'APNS_SANDBOX', 'default']);
  });

  it('gives the same endpoint for the same token', async () => {
    // Act
    const first = await createPushEndpoint(services.clients.sns, 'fcm-token-2', FCM_APP);
    const second = await createPushEndpoint(services.clients.sns, 'fcm-token-2', FCM_APP);
    const other = await createPushEndpoint(services.clients.sns, 'fcm-token-3', FCM_APP);

    // Assess
    expect(second).toBe(first);
    expect(other).not.toBe(first);
    expect(first).toMatch(/^arn:aws:sns:us-east-1:000000000000:endpoint\/GCM\/waymark-shop\/[0-9a-f-]{36}$/);
  });

  it('reports a disabled endpoint as unreachable and delivers nothing', async () => {
    // Prepare
    const endpointArn = await createPushEndpoint(services.clients.sns, 'fcm-token-dead', FCM_APP);
    services.sns.disableEndpoint(endpointArn);

    // Act
    const result = await gateway.sendPush(push(endpointArn, 'fcm'));
    const attributes = await services.clients.sns.send(
      new GetEndpointAttributesCommand({ EndpointArn: endpointArn }),
    );

    // Assess
    expect(result).toEqual({ ok: false, kind: 'unreachable', reason: 'push endpoint disabled' });
    expect(attributes.Attributes).toMatchObject({ Enabled: 'false', Token: 'fcm-token-dead' });
    expect(services.sns.published()).toEqual([]);
  });

  it('rejects a push to an endpoint SNS does not know', async () => {
    // Act
    const result = await gateway.sendPush(
      push(
        'arn:aws:sns:us-east-1:000000000000:endpoint/GCM/waymark-shop/00000000-0000-0000-0000-000000000000',
        'fcm',
      ),
    );

    // Assess
    expect(result).toMatchObject({
      ok: false,
      kind: 'rejected',
      reason: expect.stringMatching(/^InvalidParameterException: /),
    });
  });
});

describe('the local SNS', () => {
  it('answers an action it does not implement with an error the SDK names', async () => {
    // Act
    const failure = services.clients.sns.send(new ListTopicsCommand({}));

    // Assess
    await expect(failure).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('ListTopics'),
      $metadata: { httpStatusCode: 400 },
    });
  });
});

describe('throttling', () => {
  function throttlingError(name: string): Error {
    const error = new Error('Rate exceeded');
    error.name = name;
    return error;
  }

  it('maps a throttled email to kind throttled', async () => {
    // Prepare: a service only throttles under real load.
    const throttledSes: Pick<SESv2Client, 'send'> = {
      send: () => Promise.reject(throttlingError('ThrottlingException')),
    };

    // Act
    const result = await sendEmailWithSes(throttledSes, email());

    // Assess
    expect(result).toEqual({ ok: false, kind: 'throttled', reason: 'ThrottlingException: Rate exceeded' });
  });

  it.each(['ThrottledException', 'Throttling'])(
    'maps a throttled SMS (%s) to kind throttled',
    async (name) => {
      // Prepare
      const throttledSns: Pick<SNSClient, 'send'> = {
        send: () => Promise.reject(throttlingError(name)),
      };

      // Act
      const result = await sendSmsWithSns(throttledSns, sms());

      // Assess
      expect(result).toMatchObject({ ok: false, kind: 'throttled' });
    },
  );
});
