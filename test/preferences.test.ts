import { customerTagValue } from '../shared/channels/tags.ts';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { lambdaContext } from './support/lambda.ts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useRuntime } from '../functions/common/runtime.ts';
import { handler as preferencesHandler } from '../functions/preferences/handler.ts';
import { handler as unsubscribeHandler } from '../functions/unsubscribe/handler.ts';
import { eraseCommand } from '../infra/cli/erase.ts';
import { addressHash } from '../shared/delivery/availability.ts';
import { signUnsubscribeToken } from '../shared/preferences/unsubscribe-token.ts';
import { deliver } from '../shared/runtime/deliver.ts';
import { recordSesFeedback } from '../shared/runtime/preferences.ts';
import { readCustomer } from '../shared/store/customers.ts';
import { appendHistory } from '../shared/store/history.ts';
import { admit, release } from '../shared/store/journeys.ts';
import { customerKey, suppressionKey, waitKey } from '../shared/store/table.ts';
import { captureIo } from './support/io.ts';
import { ANA, deliverTask, envelope, seedCustomer } from './support/runtime-fixtures.ts';
import {
  createTestRuntime,
  expectVariant,
  historyEntries,
  localServicesForFile,
  type TestRuntime,
  unsubscribeToken,
} from './support/runtime-services.ts';

const services = localServicesForFile();
afterEach(() => {
  useRuntime(undefined);
});

/** A request as a Lambda function URL delivers it. */
function urlRequest(
  method: 'GET' | 'POST' | 'HEAD',
  token: string,
  body?: { text: string; contentType: string; base64?: boolean },
): LambdaFunctionURLEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: `token=${encodeURIComponent(token)}`,
    headers: {
      host: 'abc.lambda-url.us-east-1.on.aws',
      ...(body === undefined ? {} : { 'content-type': body.contentType }),
    },
    queryStringParameters: { token },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abc',
      domainName: 'abc.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abc',
      http: { method, path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'test' },
      requestId: 'request-1',
      routeKey: '$default',
      stage: '$default',
      time: '18/Nov/2026:15:00:00 +0000',
      timeEpoch: 0,
    },
    isBase64Encoded: body?.base64 === true,
    ...(body === undefined
      ? {}
      : { body: body.base64 === true ? Buffer.from(body.text).toString('base64') : body.text }),
  };
}

/** What Gmail and Yahoo send for a List-Unsubscribe-Post link (function URLs base64 the body). */
function oneClick(token: string): LambdaFunctionURLEvent {
  return urlRequest('POST', token, {
    text: 'List-Unsubscribe=One-Click',
    contentType: 'application/x-www-form-urlencoded',
    base64: true,
  });
}

async function callUnsubscribe(runtime: TestRuntime, event: LambdaFunctionURLEvent) {
  useRuntime(runtime);
  return unsubscribeHandler(event, lambdaContext);
}

/** The signed link in the List-Unsubscribe header of the last email SES accepted for an address. */
async function unsubscribeTokenFromEmail(address: string): Promise<string> {
  return unsubscribeToken((await services.emailsTo(address)).at(-1));
}

async function consentOf(runtime: TestRuntime, customerId: string) {
  const read = await readCustomer(runtime.store, customerId);
  return expectVariant(read, 'found', true).customer.profile.consent;
}

async function partitionItems(runtime: TestRuntime, partition: string) {
  const result = await runtime.store.db.send(
    new QueryCommand({
      TableName: runtime.store.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': partition },
    }),
  );
  return result.Items ?? [];
}

/** An SES event as EventBridge delivers it from a configuration set's event destination. */
function sesEvent(
  eventType: 'Bounce' | 'Complaint',
  address: string,
  options: { bounceType?: 'Permanent' | 'Transient' | 'Undetermined'; customerId?: string } = {},
): Record<string, unknown> {
  const tags: Record<string, string[]> = {
    journey: ['cart-abandonment'],
    step: ['nudge'],
    channel: ['email'],
  };
  // The tag deliver puts on every email (base64url: tag values allow no other characters).
  const customerTag = options.customerId === undefined ? undefined : customerTagValue(options.customerId);
  if (customerTag !== undefined) tags.customer = [customerTag];
  const mail = {
    timestamp: '2026-11-18T15:00:00.000Z',
    source: 'hello@shop.example.com',
    messageId: '0100019a-example',
    destination: [address],
    tags,
  };
  const detail =
    eventType === 'Bounce'
      ? {
          eventType,
          mail,
          bounce: {
            bounceType: options.bounceType ?? 'Permanent',
            bounceSubType: 'General',
            bouncedRecipients: [{ emailAddress: address, action: 'failed', status: '5.1.1' }],
            timestamp: '2026-11-18T15:00:05.000Z',
            feedbackId: 'feedback-1',
          },
        }
      : {
          eventType,
          mail,
          complaint: {
            complainedRecipients: [{ emailAddress: address }],
            timestamp: '2026-11-18T15:10:00.000Z',
            feedbackId: 'feedback-2',
            complaintFeedbackType: 'abuse',
          },
        };
  return {
    ...envelope(
      eventType === 'Bounce' ? 'Email Bounced' : 'Email Complaint Received',
      detail,
      '2026-11-18T15:00:06Z',
    ),
    source: 'aws.ses',
  };
}

describe('unsubscribe link', () => {
  it('a one-click POST from the mailbox provider opts the customer out of that channel only', async () => {
    // Prepare
    const runtime = await createTestRuntime(services, {
      settings: { quietHours: { email: null, sms: null, push: null } },
    });
    await seedCustomer(runtime, 'c-oneclick', {
      ...ANA,
      email: 'c-oneclick@example.com',
      phone: '+5511900000101',
    });
    await deliver(deliverTask('c-oneclick'), runtime);
    const token = await unsubscribeTokenFromEmail('c-oneclick@example.com');
    // Act
    const response = await callUnsubscribe(runtime, oneClick(token));
    const again = await callUnsubscribe(runtime, oneClick(token));
    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toContain('text/plain');
    expect(response.body).toContain('Unsubscribed from emails');
    expect(again.statusCode).toBe(200);
    // The other channels keep what they were: opted in, or never asked.
    expect(await consentOf(runtime, 'c-oneclick')).toEqual({
      email: 'opted-out',
      sms: 'opted-in',
      push: 'opted-in',
      whatsapp: 'unknown',
      webhook: 'unknown',
      function: 'unknown',
    });
    expect(await historyEntries(runtime, 'c-oneclick', 'preference')).toEqual([
      expect.objectContaining({ action: 'unsubscribed', channel: 'email', time: '2026-11-18T15:00:00.000Z' }),
    ]);
    const email = await deliver(deliverTask('c-oneclick', { stepId: 'later' }), runtime);
    const sms = await deliver(deliverTask('c-oneclick', { stepId: 'later-sms', channels: ['sms'] }), runtime);
    expect(email).toMatchObject({ status: 'opted-out' });
    expect(sms).toMatchObject({ status: 'sent', channel: 'sms' });
  });

  it('opening the link only asks; the page button then unsubscribes and confirms', async () => {
    // Prepare
    const runtime = await createTestRuntime(services, {
      settings: { senders: { email: { from: "Tom & Jerry's <hello@shop.example.com>" }, sms: {} } },
    });
    await seedCustomer(runtime, 'c-page', { ...ANA, email: 'c-page@example.com' });
    const token = signUnsubscribeToken(
      { customerId: 'c-page', channel: 'email' },
      runtime.unsubscribeSecret,
      runtime.now(),
    );
    // Act
    const page = await callUnsubscribe(runtime, urlRequest('GET', token));
    const consentAfterOpening = await consentOf(runtime, 'c-page');
    const confirmed = await callUnsubscribe(
      runtime,
      urlRequest('POST', token, {
        text: 'confirm=unsubscribe',
        contentType: 'application/x-www-form-urlencoded',
      }),
    );
    // Assess
    expect(page.statusCode).toBe(200);
    expect(page.headers?.['content-type']).toContain('text/html');
    expect(page.body).toContain('Unsubscribe from emails?');
    expect(page.body).toContain('<form method="post"');
    expect(page.body).toContain('Tom &amp; Jerry&#39;s');
    expect(consentAfterOpening?.email).toBe('opted-in');
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.headers?.['content-type']).toContain('text/html');
    expect(confirmed.body).toContain('You are unsubscribed');
    expect(await consentOf(runtime, 'c-page')).toMatchObject({ email: 'opted-out' });
  });

  it('a tampered link gets a 400 page that echoes nothing of it', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-tamper', { ...ANA, email: 'c-tamper@example.com' });
    const token = signUnsubscribeToken(
      { customerId: 'c-tamper', channel: 'email' },
      runtime.unsubscribeSecret,
      runtime.now(),
    );
    const [payload] = token.split('.');
    const forged = `${payload}.<script>alert(1)</script>`;
    const opened = await callUnsubscribe(runtime, urlRequest('GET', forged));
    const posted = await callUnsubscribe(runtime, oneClick(forged));
    expect(opened.statusCode).toBe(400);
    expect(opened.body).toContain('The link is not valid.');
    expect(opened.body).not.toContain('<script>');
    expect(posted.statusCode).toBe(400);
    expect(await consentOf(runtime, 'c-tamper')).toMatchObject({ email: 'opted-in' });
  });

  it('a link older than 400 days has expired', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-old', { ...ANA, email: 'c-old@example.com' });
    const token = signUnsubscribeToken(
      { customerId: 'c-old', channel: 'email' },
      runtime.unsubscribeSecret,
      runtime.now(),
    );
    runtime.clock.now = new Date(runtime.clock.now.getTime() + 401 * 86_400_000);
    const page = await callUnsubscribe(
      runtime,
      urlRequest('POST', token, {
        text: 'confirm=unsubscribe',
        contentType: 'application/x-www-form-urlencoded',
      }),
    );
    expect(page.statusCode).toBe(400);
    expect(page.body).toContain('The link has expired.');
    expect(await consentOf(runtime, 'c-old')).toMatchObject({ email: 'opted-in' });
  });

  it('a link for an erased customer changes nothing and creates no profile', async () => {
    const runtime = await createTestRuntime(services);
    const token = signUnsubscribeToken(
      { customerId: 'c-gone', channel: 'sms' },
      runtime.unsubscribeSecret,
      runtime.now(),
    );
    const response = await callUnsubscribe(runtime, oneClick(token));
    expect(response.statusCode).toBe(200);
    expect(await readCustomer(runtime.store, 'c-gone')).toEqual({ found: false });
    expect(await partitionItems(runtime, customerKey('c-gone'))).toEqual([]);
  });

  it('understands a one-click POST sent as multipart/form-data', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-multipart', { ...ANA, email: 'c-multipart@example.com' });
    const token = signUnsubscribeToken(
      { customerId: 'c-multipart', channel: 'email' },
      runtime.unsubscribeSecret,
      runtime.now(),
    );
    const body = [
      '--boundary',
      'Content-Disposition: form-data; name="List-Unsubscribe"',
      '',
      'One-Click',
      '--boundary--',
      '',
    ].join('\r\n');
    const response = await callUnsubscribe(
      runtime,
      urlRequest('POST', token, { text: body, contentType: 'multipart/form-data; boundary=boundary' }),
    );
    expect(response.headers?.['content-type']).toContain('text/plain');
    expect(await consentOf(runtime, 'c-multipart')).toMatchObject({ email: 'opted-out' });
  });

  it('answers other methods with 405', async () => {
    const runtime = await createTestRuntime(services);
    const response = await callUnsubscribe(runtime, urlRequest('HEAD', 'x'));
    expect(response.statusCode).toBe(405);
    expect(response.headers?.allow).toBe('GET, POST');
  });
});

describe('SES feedback', () => {
  it('a permanent bounce suppresses the address; the next email finds no address', async () => {
    // Prepare
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-hard', { ...ANA, email: 'c-hard@example.com' });
    // Act
    useRuntime(runtime);
    const result = await preferencesHandler(
      sesEvent('Bounce', 'C-Hard@example.com', { customerId: 'c-hard' }),
      lambdaContext,
    );
    // Assess
    expect(result).toMatchObject({
      kind: 'ses-feedback',
      outcome: { status: 'suppressed', kind: 'bounce', customerId: 'c-hard', profile: 'suppressed' },
    });
    const outcome = await deliver(deliverTask('c-hard'), runtime);
    expect(outcome.status).toBe('no-address');
    const suppression = await runtime.store.db.send(
      new GetCommand({
        TableName: runtime.store.table,
        Key: suppressionKey(addressHash('c-hard@example.com')),
      }),
    );
    expect(suppression.Item).toMatchObject({ kind: 'bounce', time: '2026-11-18T15:00:06Z' });
    expect(JSON.stringify(suppression.Item)).not.toContain('example.com');
    expect(await historyEntries(runtime, 'c-hard', 'preference')).toEqual([
      expect.objectContaining({ action: 'suppressed', channel: 'email' }),
    ]);
  });

  it('a transient bounce suppresses nothing', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-soft', { ...ANA, email: 'c-soft@example.com' });
    const result = await recordSesFeedback(
      runtime,
      sesEvent('Bounce', 'c-soft@example.com', { bounceType: 'Transient', customerId: 'c-soft' }),
    );
    expect(result).toMatchObject({ status: 'not-suppressed' });
    expect(await deliver(deliverTask('c-soft'), runtime)).toMatchObject({ status: 'sent' });
  });

  it('a complaint suppresses the address as the customer not wanting mail', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-spam', { ...ANA, email: 'c-spam@example.com' });
    const first = await recordSesFeedback(
      runtime,
      sesEvent('Complaint', 'c-spam@example.com', { customerId: 'c-spam' }),
    );
    const redelivered = await recordSesFeedback(
      runtime,
      sesEvent('Complaint', 'c-spam@example.com', { customerId: 'c-spam' }),
    );
    expect(first).toMatchObject({ status: 'suppressed', kind: 'complaint', profile: 'suppressed' });
    expect(redelivered).toMatchObject({ status: 'suppressed', profile: 'already' });
    const outcome = await deliver(deliverTask('c-spam'), runtime);
    expect(expectVariant(outcome, 'status', 'opted-out').reason).toContain('complaint');
  });

  it('a late bounce for an address the customer has replaced leaves the new address alone', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-moved', { ...ANA, email: 'c-moved-new@example.com' });
    const result = await recordSesFeedback(
      runtime,
      sesEvent('Bounce', 'c-moved-old@example.com', { customerId: 'c-moved' }),
    );
    expect(result).toMatchObject({ status: 'suppressed', profile: 'other-address' });
    expect(await deliver(deliverTask('c-moved'), runtime)).toMatchObject({ status: 'sent' });
  });

  it('ignores a malformed SES event with the reason, without throwing', async () => {
    const runtime = await createTestRuntime(services);
    const event = sesEvent('Bounce', 'someone@example.com');
    const result = await recordSesFeedback(runtime, { ...event, detail: { eventType: 'Bounce', mail: {} } });
    const { reason } = expectVariant(result, 'status', 'ignored');
    expect(reason).toContain('detail.mail.destination');
    expect(reason).toContain('detail.bounce');
    expect(await recordSesFeedback(runtime, 'not an event')).toMatchObject({ status: 'ignored' });
  });
});

describe('erasure', () => {
  async function seedEverything(runtime: TestRuntime, customerId: string): Promise<void> {
    await seedCustomer(runtime, customerId, { ...ANA, email: `${customerId}@example.com` });
    for (let index = 0; index < 30; index += 1) {
      await appendHistory(
        runtime.store,
        customerId,
        {
          kind: 'journey',
          time: `2026-11-18T15:${String(index).padStart(2, '0')}:00.000Z`,
          journeyId: 'cart-abandonment',
          executionId: 'exec-1',
          action: 'entered',
        },
        `journey#${index}`,
      );
    }
    const put = (Item: Record<string, unknown>) =>
      runtime.store.db.send(new PutCommand({ TableName: runtime.store.table, Item }));
    // Places in journeys as enter takes them: on the customer item, with the triggers taken.
    const rules = { reentry: 'always', maxConcurrent: 2 } as const;
    const now = runtime.now();
    for (const executionId of ['exec-1', 'exec-2']) {
      const trigger = { kind: 'event', eventId: `event-${executionId}` } as const;
      const admission = await admit(
        runtime.store,
        customerId,
        'cart-abandonment',
        executionId,
        trigger,
        rules,
        now,
      );
      expect(admission).toMatchObject({ admitted: true });
    }
    // An execution of another journey that ended: its place is free, its entry time kept.
    const ended = { kind: 'event', eventId: 'event-welcome' } as const;
    await admit(runtime.store, customerId, 'welcome', 'exec-welcome', ended, rules, now);
    await release(runtime.store, customerId, 'welcome', 'exec-welcome');
    await put({ ...waitKey(customerId, 'order.completed', 'exec-1', 'wait-order'), taskToken: 'token-1' });
    await recordSesFeedback(runtime, sesEvent('Bounce', `${customerId}@example.com`, { customerId }));
  }

  it('an erasure request deletes everything about the customer and stops their journeys', async () => {
    // Prepare
    const runtime = await createTestRuntime(services);
    await seedEverything(runtime, 'c-erase');
    await seedCustomer(runtime, 'c-neighbour');
    runtime.workflows.gone.add('exec-2'); // ended on its own before the request
    // Act
    useRuntime(runtime);
    const result = await preferencesHandler(
      envelope('customer.erasure.requested', { customerId: 'c-erase' }, '2026-11-18T16:00:00Z'),
      lambdaContext,
    );
    // Assess
    expect(result).toEqual({
      kind: 'erasure',
      outcome: {
        status: 'erased',
        customerId: 'c-erase',
        // History: the profile event, the 30 journey entries and the bounce's preference entry. The
        // places in journeys and the triggers taken are on the customer item: no items of their own.
        deleted: {
          profile: 1,
          history: 32,
          journeys: 0,
          entries: 0,
          goals: 0,
          recordedEvents: 1,
          waits: 1,
          other: 0,
        },
        executions: { stopped: 1, alreadyEnded: 1 },
      },
    });
    expect(runtime.workflows.stops).toEqual([{ executionId: 'exec-1', cause: 'customer erased' }]);
    // The execution that had already ended was asked to stop too, and left as it was.
    expect(runtime.workflows.stopRequests).toEqual([
      { executionId: 'exec-1', cause: 'customer erased' },
      { executionId: 'exec-2', cause: 'customer erased' },
    ]);
    expect(await partitionItems(runtime, customerKey('c-erase'))).toEqual([]);
    expect(await readCustomer(runtime.store, 'c-neighbour')).toMatchObject({ found: true });
    // The bounce stays, under the address hash alone, so a re-created profile is not mailed again blindly.
    expect(await partitionItems(runtime, suppressionKey(addressHash('c-erase@example.com')).pk)).toHaveLength(
      1,
    );
    expect(await deliver(deliverTask('c-erase'), runtime)).toMatchObject({ status: 'no-address' });
  });

  it('a second erasure request finds nothing to do', async () => {
    const runtime = await createTestRuntime(services);
    await seedEverything(runtime, 'c-twice');
    const request = envelope('customer.erasure.requested', { customerId: 'c-twice' }, '2026-11-18T16:00:00Z');
    useRuntime(runtime);
    await preferencesHandler(request, lambdaContext);
    const requestsAfterFirst = runtime.workflows.stopRequests.length;
    const second = await preferencesHandler(request, lambdaContext);
    expect(second).toEqual({
      kind: 'erasure',
      outcome: { status: 'nothing-to-erase', customerId: 'c-twice' },
    });
    // Both executions were stopped by the first request; the second asks to stop nothing more.
    expect(runtime.workflows.stops.map((stop) => stop.executionId)).toEqual(['exec-1', 'exec-2']);
    expect(requestsAfterFirst).toBe(2);
    expect(runtime.workflows.stopRequests).toHaveLength(requestsAfterFirst);
  });

  it('ignores an erasure request without a customer id', async () => {
    const runtime = await createTestRuntime(services);
    useRuntime(runtime);
    const result = await preferencesHandler(
      envelope('customer.erasure.requested', {}, '2026-11-18T16:00:00Z'),
      lambdaContext,
    );
    expect(expectVariant(result, 'kind', 'ignored').reason).toContain('customerId');
  });

  it('waymark erase deletes the customer and prints the counts', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-cli', { ...ANA, email: 'c-cli@example.com' });
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
    const output = captureIo();
    const args = [
      'c-cli',
      '--table',
      runtime.store.table,
      '--endpoint',
      services.dynamoEndpoint,
      '--region',
      'us-east-1',
    ];
    const code = await eraseCommand(args, output.io);
    const again = await eraseCommand(args, output.io);
    const usage = await eraseCommand(['c-cli'], output.io);
    vi.unstubAllEnvs();
    expect([code, again, usage]).toEqual([0, 0, 2]);
    expect(output.out).toContain('Erased customer c-cli:');
    expect(output.out).toMatch(/profile\s+1/);
    expect(output.out).toMatch(/history entries\s+1/);
    expect(output.out).toContain('Nothing is stored for customer c-cli.');
    expect(output.err).toContain('--table is required');
    expect(await readCustomer(runtime.store, 'c-cli')).toEqual({ found: false });
  });
});
