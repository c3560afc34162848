/**
 * The webhook and function channels through the deliver function, against
 * real loopback HTTP servers and a real table: receivers that are slow,
 * talkative, refusing, gone or leaking a customer's address, templates and
 * settings that are wrong, and a crash between the send and its record. What
 * a user notices: whether the step is retried, recorded as sent or failed,
 * why, and whether the customer's caps were spent on nothing.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsChannelGateway } from '../shared/channels/aws-gateway.ts';
import type { ChannelGateway } from '../shared/channels/gateway.ts';
import { verifyWebhookSignature } from '../shared/channels/webhook-signature.ts';
import { type DeliverTask, TASK_ERRORS } from '../shared/contract/tasks.ts';
import type { TemplateSource } from '../shared/render/templates.ts';
import { deliver } from '../shared/runtime/deliver.ts';
import { deliveryKey } from '../shared/runtime/delivery-history.ts';
import { readCustomer } from '../shared/store/customers.ts';
import { ANA, deliverTask, seedCustomer } from './support/runtime-fixtures.ts';
import {
  createTestRuntime,
  historyEntries,
  localServicesForFile,
  type TestRuntime,
} from './support/runtime-services.ts';
import { audienceProject } from './support/audience.ts';
import { startTestEngine, withTempFolder } from './support/local-engine.ts';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const services = localServicesForFile();

const SECRET_NAME = 'RECEIVER_SIGNING_SECRET';
const SECRET = 'whsec-test-7c1d';
const WITH_WEBHOOK_CONSENT = { ...ANA, consent: { ...ANA.consent, webhook: 'opted-in' } };

// ---------------------------------------------------------------------------------------------
// A loopback receiver whose every answer the test writes itself

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

const open: Receiver[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((receiver) => receiver.close()));
});

/** `answer` gets the request's 0-based number and the response to write. */
async function startReceiver(answer: (index: number, response: ServerResponse) => void): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      // The client may hang up before the answer is written: that is what some tests look for.
      response.on('error', () => undefined);
      answer(received.length - 1, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address: string | AddressInfo | null = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hooks/cart`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  open.push(receiver);
  return receiver;
}

/** A loopback port nothing listens on (a receiver that is down). */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address: string | AddressInfo | null = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hooks/cart`;
}

/** Writes `total` bytes (endless when undefined), as fast as the client reads; `written` counts them. */
function stream(response: ServerResponse, status: number, total: number | undefined): { written: number } {
  const progress = { written: 0 };
  const chunk = Buffer.alloc(64 * 1024, 'x');
  response.writeHead(status, { 'content-type': 'text/plain' });
  const pump = (): void => {
    while (!response.destroyed && (total === undefined || progress.written < total)) {
      progress.written += chunk.length;
      if (!response.write(chunk)) {
        response.once('drain', pump);
        return;
      }
    }
    if (!response.destroyed) response.end();
  };
  pump();
  return progress;
}

// ---------------------------------------------------------------------------------------------
// A runtime whose settings name the receiver

interface HookOptions {
  secret?: string | undefined;
  allowLoopbackHttp?: boolean;
  timeoutSeconds?: number;
  templates?: Record<string, Record<string, string>>;
  channels?: (real: ChannelGateway) => ChannelGateway;
}

async function hookRuntime(url: string, options: HookOptions = {}): Promise<TestRuntime> {
  const real = createAwsChannelGateway(services.clients);
  const base = await createTestRuntime(services, {
    settings: {
      webhooks: {
        receiver: {
          url,
          secret: SECRET_NAME,
          timeoutSeconds: options.timeoutSeconds ?? 2,
          headers: { 'X-Team': 'growth' },
        },
      },
      functions: { 'crm-note': { functionName: 'waymark-crm-note', timeoutSeconds: 5 } },
    },
    channels: options.channels === undefined ? real : options.channels(real),
  });
  const secret = 'secret' in options ? options.secret : SECRET;
  const templates = new Map<string, TemplateSource>(base.project.templates);
  for (const [name, files] of Object.entries(options.templates ?? {})) templates.set(name, { name, files });
  return {
    ...base,
    project: { ...base.project, templates },
    secrets: { get: (name) => Promise.resolve(name === SECRET_NAME ? secret : undefined) },
    allowLoopbackHttp: options.allowLoopbackHttp ?? true,
  };
}

function hookTask(
  runtime: TestRuntime,
  customerId: string,
  reaches: 'customer' | 'system',
  overrides: Partial<DeliverTask> = {},
): DeliverTask {
  return deliverTask(customerId, {
    stepId: 'retarget',
    channels: ['webhook'],
    template: 'cart-retarget',
    target: { channel: 'webhook', endpoint: 'receiver', reaches },
    enteredAt: runtime.now().toISOString(),
    ...overrides,
  });
}

/** The delivery's reservation in the customer's ledger, if it is still there. */
async function reservation(runtime: TestRuntime, task: DeliverTask): Promise<unknown> {
  const read = await readCustomer(runtime.store, task.customerId);
  if (read.found !== true) throw new Error(`no customer ${task.customerId}`);
  return read.customer.ledger.sends.find((record) => record.key === deliveryKey(task));
}

async function expectNothingSent(runtime: TestRuntime, customerId: string): Promise<void> {
  expect(await historyEntries(runtime, customerId, 'message')).toEqual([]);
  expect(await historyEntries(runtime, customerId, 'engagement')).toEqual([]);
}

// ---------------------------------------------------------------------------------------------

describe('a webhook receiver that does not answer in time, or at all', () => {
  it('answering after the timeout: the step is retried later, nothing is recorded, the cap is given back', async () => {
    // Prepare
    const receiver = await startReceiver((index, response) => {
      // The first attempt is answered long after its 0.3 s; the retry at once.
      setTimeout(() => response.end('late'), index === 0 ? 3_000 : 0).unref();
    });
    const runtime = await hookRuntime(receiver.url, { timeoutSeconds: 0.3 });
    await seedCustomer(runtime, 'c-slow', WITH_WEBHOOK_CONSENT);
    const task = hookTask(runtime, 'c-slow', 'customer');
    // Act
    const first = deliver(task, runtime);
    // Assess
    await expect(first).rejects.toMatchObject({
      name: TASK_ERRORS.throttled,
      message: expect.stringContaining('no answer within 0.3 s'),
    });
    await expectNothingSent(runtime, 'c-slow');
    expect(await historyEntries(runtime, 'c-slow', 'skipped')).toEqual([]);
    expect(await reservation(runtime, task)).toBeUndefined();
    // The state machine's retry: the same delivery, the same key for the receiver to drop a repeat.
    const retried = await deliver(task, runtime);
    expect(retried).toMatchObject({ status: 'sent', channel: 'webhook' });
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]?.headers['idempotency-key']).toBe(
      receiver.received[0]?.headers['idempotency-key'],
    );
    expect(await reservation(runtime, task)).toBeDefined();
  });

  it('answering 200 at once but never finishing its body: sent, not retried', async () => {
    const receiver = await startReceiver((_index, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('accepted, now streaming nothing for ever');
    });
    const runtime = await hookRuntime(receiver.url, { timeoutSeconds: 0.3 });
    await seedCustomer(runtime, 'c-drip');
    const outcome = await deliver(hookTask(runtime, 'c-drip', 'system'), runtime);
    expect(outcome).toMatchObject({ status: 'sent', channel: 'webhook' });
    expect(await historyEntries(runtime, 'c-drip', 'message')).toEqual([
      expect.objectContaining({ response: 'HTTP 200', reaches: 'system' }),
    ]);
  });

  it('answering 400 at once but never finishing its body: failed with the status, not retried', async () => {
    const receiver = await startReceiver((_index, response) => {
      response.writeHead(400, { 'content-type': 'text/plain' });
      response.write('unknown audience');
    });
    const runtime = await hookRuntime(receiver.url, { timeoutSeconds: 0.3 });
    await seedCustomer(runtime, 'c-drip-400');
    const outcome = await deliver(hookTask(runtime, 'c-drip-400', 'system'), runtime);
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/answered HTTP 400: unknown audience \(not retried\)/),
    });
  });

  it('refusing the connection: the step is retried later and the reservation given back', async () => {
    const runtime = await hookRuntime(await closedPortUrl());
    await seedCustomer(runtime, 'c-down', WITH_WEBHOOK_CONSENT);
    const task = hookTask(runtime, 'c-down', 'customer');
    await expect(deliver(task, runtime)).rejects.toMatchObject({
      name: TASK_ERRORS.throttled,
      message: expect.stringContaining('ECONNREFUSED'),
    });
    await expectNothingSent(runtime, 'c-down');
    expect(await reservation(runtime, task)).toBeUndefined();
  });
});

describe('a webhook receiver that says too much', () => {
  it('a 10 MB answer to a successful call: sent, with a short response, without reading it whole', async () => {
    let progress = { written: 0 };
    const receiver = await startReceiver((_index, response) => {
      progress = stream(response, 200, 10 * 1024 * 1024);
    });
    const runtime = await hookRuntime(receiver.url);
    await seedCustomer(runtime, 'c-big');
    const outcome = await deliver(hookTask(runtime, 'c-big', 'system'), runtime);
    expect(outcome).toMatchObject({ status: 'sent', channel: 'webhook' });
    const [message] = await historyEntries(runtime, 'c-big', 'message');
    expect(message?.response).toBe('HTTP 200');
    expect(progress.written).toBeGreaterThan(0);
  });

  it('an answer that never ends: still sent, well before the timeout', async () => {
    const receiver = await startReceiver((_index, response) => {
      stream(response, 202, undefined);
    });
    // 30 s: the test's own timeout would fire first if the body were read to its end.
    const runtime = await hookRuntime(receiver.url, { timeoutSeconds: 30 });
    await seedCustomer(runtime, 'c-endless');
    const outcome = await deliver(hookTask(runtime, 'c-endless', 'system'), runtime);
    expect(outcome).toMatchObject({ status: 'sent' });
  }, 10_000);

  it('a 10 MB error page with a 500: retried, the reason a short snippet of it', async () => {
    const receiver = await startReceiver((_index, response) => {
      stream(response, 500, 10 * 1024 * 1024);
    });
    const runtime = await hookRuntime(receiver.url);
    await seedCustomer(runtime, 'c-big-500', WITH_WEBHOOK_CONSENT);
    const task = hookTask(runtime, 'c-big-500', 'customer');
    const error: unknown = await deliver(task, runtime).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: TASK_ERRORS.throttled });
    const message = error instanceof Error ? error.message : '';
    expect(message).toMatch(/^webhook: webhook "receiver" answered HTTP 500: x+$/);
    expect(message.length).toBeLessThan(300);
    expect(await reservation(runtime, task)).toBeUndefined();
  });

  it("a refusal quoting the customer's email address and phone: the stored reason masks both", async () => {
    const receiver = await startReceiver((_index, response) => {
      response.writeHead(422, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ error: 'no member ana.souza+promo@example.com (+5511987654321) in this audience' }),
      );
    });
    const runtime = await hookRuntime(receiver.url);
    await seedCustomer(runtime, 'c-leak');
    const outcome = await deliver(hookTask(runtime, 'c-leak', 'system'), runtime);
    expect(outcome).toMatchObject({ status: 'failed' });
    const [skipped] = await historyEntries(runtime, 'c-leak', 'skipped');
    expect(skipped?.reason).toContain('answered HTTP 422');
    expect(skipped?.reason).toContain('<address>');
    expect(skipped?.reason).toContain('<phone>');
    expect(skipped?.reason).not.toMatch(/ana\.souza|example\.com|987654321/);
  });
});

describe('a webhook that cannot be called as configured', () => {
  it('a template that renders invalid JSON: failed, naming the file and "| json", nothing sent', async () => {
    const receiver = await startReceiver((_index, response) => response.end());
    const runtime = await hookRuntime(receiver.url, {
      templates: {
        'bad-json': { 'webhook.json.liquid': '{"name": {{ profile.attributes.firstName }}, "email": 1}' },
      },
    });
    await seedCustomer(runtime, 'c-bad-json', { attributes: { firstName: 'ana.souza@example.com' } });
    const outcome = await deliver(
      hookTask(runtime, 'c-bad-json', 'system', { template: 'bad-json' }),
      runtime,
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(
        /webhook\.json\.liquid.*not JSON \(invalid JSON( at character \d+)?\).*"\| json"/,
      ),
    });
    // The parser's own message quotes the text around the error: the customer's data, never stored.
    expect(JSON.stringify(outcome)).not.toContain('ana.souza');
    expect(receiver.received).toEqual([]);
    await expectNothingSent(runtime, 'c-bad-json');
  });

  it("a body carrying the customer's address: sent as rendered, the history's preview masks it", async () => {
    const receiver = await startReceiver((_index, response) => {
      response.writeHead(202);
      response.end();
    });
    const runtime = await hookRuntime(receiver.url, {
      templates: {
        audience: {
          'webhook.json.liquid': '{"email": {{ profile.email | json }}, "phone": {{ profile.phone | json }}}',
        },
      },
    });
    await seedCustomer(runtime, 'c-ads', { email: 'ana.souza@example.com', phone: '+5511987654321' });
    const outcome = await deliver(hookTask(runtime, 'c-ads', 'system', { template: 'audience' }), runtime);
    expect(outcome).toMatchObject({ status: 'sent', channel: 'webhook' });
    expect(JSON.parse(receiver.received[0]?.body ?? '{}')).toEqual({
      email: 'ana.souza@example.com',
      phone: '+5511987654321',
    });
    const [message] = await historyEntries(runtime, 'c-ads', 'message');
    expect(message).toMatchObject({ preview: '{"email": "<address>", "phone": "<phone>"}' });
  });

  it('a signing secret that is not set: failed, naming the secret, nothing sent, the cap given back', async () => {
    const receiver = await startReceiver((_index, response) => response.end());
    const runtime = await hookRuntime(receiver.url, { secret: undefined });
    await seedCustomer(runtime, 'c-no-secret', WITH_WEBHOOK_CONSENT);
    const task = hookTask(runtime, 'c-no-secret', 'customer');
    const outcome = await deliver(task, runtime);
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining(`signing secret "${SECRET_NAME}" is not set`),
    });
    expect(receiver.received).toEqual([]);
    await expectNothingSent(runtime, 'c-no-secret');
    expect(await reservation(runtime, task)).toBeUndefined();
  });

  /** A runtime whose Secrets Manager fails with `name`, a customer who consented, and the receiver. */
  async function secretFailing(name: string, customerId: string) {
    const receiver = await startReceiver((_index, response) => response.end());
    const base = await hookRuntime(receiver.url);
    const runtime: TestRuntime = {
      ...base,
      secrets: { get: () => Promise.reject(Object.assign(new Error('refused'), { name })) },
    };
    await seedCustomer(runtime, customerId, WITH_WEBHOOK_CONSENT);
    return { receiver, runtime, task: hookTask(runtime, customerId, 'customer') };
  }

  it('a signing secret that cannot be read right now (Secrets Manager throttled): tried again later, nothing sent', async () => {
    const { receiver, runtime, task } = await secretFailing('ThrottlingException', 'c-secret-throttled');
    await expect(deliver(task, runtime)).rejects.toMatchObject({ name: TASK_ERRORS.throttled });
    expect(receiver.received).toEqual([]);
    await expectNothingSent(runtime, 'c-secret-throttled');
    expect(await reservation(runtime, task)).toBeUndefined();
  });

  it('a signing secret the function may not read (no grant, a KMS key): refused at once, not retried for hours', async () => {
    const { receiver, runtime, task } = await secretFailing('AccessDeniedException', 'c-secret-denied');
    expect(await deliver(task, runtime)).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('its signing secret may not be read (AccessDeniedException)'),
    });
    expect(receiver.received).toEqual([]);
    await expectNothingSent(runtime, 'c-secret-denied');
  });

  it('http to another machine is refused, and http to loopback too where it is not allowed (AWS)', async () => {
    const elsewhere = await hookRuntime('http://hooks.example.net/cart');
    await seedCustomer(elsewhere, 'c-http');
    expect(await deliver(hookTask(elsewhere, 'c-http', 'system'), elsewhere)).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('must be https, not http'),
    });

    const receiver = await startReceiver((_index, response) => response.end());
    const onAws = await hookRuntime(receiver.url, { allowLoopbackHttp: false });
    await seedCustomer(onAws, 'c-loopback', WITH_WEBHOOK_CONSENT);
    const task = hookTask(onAws, 'c-loopback', 'customer');
    expect(await deliver(task, onAws)).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('http is allowed only to a loopback address in the local engine'),
    });
    expect(receiver.received).toEqual([]);
    await expectNothingSent(onAws, 'c-loopback');
    expect(await reservation(onAws, task)).toBeUndefined();
  });

  it('a header value that cannot travel in HTTP: failed with a reason, not an unexplained crash', async () => {
    const receiver = await startReceiver((_index, response) => response.end());
    const runtime = await hookRuntime(receiver.url);
    const settings = runtime.project.settings;
    const endpoint = settings.webhooks.receiver;
    if (endpoint === undefined) throw new Error('no receiver in settings');
    const broken: TestRuntime = {
      ...runtime,
      project: {
        ...runtime.project,
        settings: {
          ...settings,
          webhooks: { receiver: { ...endpoint, headers: { 'X-Team': 'growth 🚀' } } },
        },
      },
    };
    await seedCustomer(broken, 'c-header', WITH_WEBHOOK_CONSENT);
    const task = hookTask(broken, 'c-header', 'customer');
    expect(await deliver(task, broken)).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('X-Team'),
    });
    expect(receiver.received).toEqual([]);
    expect(await reservation(broken, task)).toBeUndefined();
  });
});

/**
 * A deliver function killed right after its first call was answered (a Lambda timeout, a lost
 * container): that call never returns and nothing after it runs. `killed` settles when it happened.
 */
function killedAfterFirstCall(): {
  channels: (real: ChannelGateway) => ChannelGateway;
  killed: Promise<void>;
} {
  let kill = (): void => undefined;
  const killed = new Promise<void>((resolve) => {
    kill = resolve;
  });
  let calls = 0;
  return {
    killed,
    channels: (real) => ({
      ...real,
      callWebhook: async (request) => {
        const result = await real.callWebhook(request);
        calls += 1;
        if (calls > 1) return result;
        kill();
        return new Promise<never>(() => undefined);
      },
    }),
  };
}

describe('a crash between the send and its record', () => {
  async function crashed(
    customerId: string,
    reaches: 'customer' | 'system',
    category: 'marketing' | 'transactional',
  ): Promise<{ runtime: TestRuntime; receiver: Receiver; task: DeliverTask }> {
    const receiver = await startReceiver((_index, response) => {
      response.writeHead(202);
      response.end();
    });
    const crash = killedAfterFirstCall();
    const runtime = await hookRuntime(receiver.url, { channels: crash.channels });
    await seedCustomer(runtime, customerId, WITH_WEBHOOK_CONSENT);
    const task = hookTask(runtime, customerId, reaches, { category });
    // The first attempt is abandoned where it stopped, as the state machine abandons a timed-out task.
    void deliver(task, runtime);
    await crash.killed;
    expect(receiver.received).toHaveLength(1);
    await expectNothingSent(runtime, customerId);
    runtime.clock.now = new Date(runtime.clock.now.getTime() + 30_000);
    return { runtime, receiver, task };
  }

  it('reaching a system: the retry calls again with the same Idempotency-Key, and a later one not at all', async () => {
    const { runtime, receiver, task } = await crashed('c-crash', 'system', 'marketing');

    const retried = await deliver(task, runtime);
    const again = await deliver(task, runtime);

    expect(retried).toMatchObject({ status: 'sent', channel: 'webhook' });
    expect(again).toEqual(retried);
    expect(receiver.received).toHaveLength(2);
    const [first, second] = receiver.received;
    expect(second?.headers['idempotency-key']).toBe(first?.headers['idempotency-key']);
    expect(second?.body).toBe(first?.body);
    for (const request of receiver.received) {
      expect(request.headers['x-team']).toBe('growth');
      const signature = String(request.headers['waymark-signature']);
      expect(verifyWebhookSignature(SECRET, request.body, signature, new Date())).toBe(true);
    }
    expect(await historyEntries(runtime, 'c-crash', 'message')).toHaveLength(1);
    expect(await historyEntries(runtime, 'c-crash', 'engagement')).toEqual([
      expect.objectContaining({ action: 'delivered', channel: 'webhook', stepId: 'retarget' }),
    ]);
  });

  it('reaching the customer, transactional: sent again under its reservation, with the same key', async () => {
    const { runtime, receiver, task } = await crashed('c-crash-tx', 'customer', 'transactional');
    const retried = await deliver(task, runtime);
    expect(retried).toMatchObject({ status: 'sent', channel: 'webhook' });
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]?.headers['idempotency-key']).toBe(
      receiver.received[0]?.headers['idempotency-key'],
    );
    expect(await reservation(runtime, task)).toBeDefined();
  });

  it('reaching the customer, marketing: at most once, not sent again; the timeline says why', async () => {
    const { runtime, receiver, task } = await crashed('c-crash-mk', 'customer', 'marketing');
    const retried = await deliver(task, runtime);
    expect(retried).toMatchObject({ status: 'sent', channel: 'webhook' });
    expect(receiver.received).toHaveLength(1);
    expect(await historyEntries(runtime, 'c-crash-mk', 'skipped')).toEqual([
      expect.objectContaining({ reason: expect.stringContaining('unconfirmed') }),
    ]);
  });
});

describe('the function channel', () => {
  it('a function slower than its timeoutSeconds: given up on and tried again later, before the deliver function runs out', async () => {
    const lambda = await startReceiver((_index, response) => {
      setTimeout(() => {
        if (!response.destroyed) response.end('{}');
      }, 5_000).unref();
    });
    const client = new LambdaClient({
      region: 'us-east-1',
      endpoint: new URL(lambda.url).origin,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const base = await hookRuntime(lambda.url, {
      channels: (real) => ({
        ...real,
        invokeFunction: (invocation) =>
          createAwsChannelGateway({ ...services.clients, lambda: client }).invokeFunction(invocation),
      }),
      templates: { 'crm-note': { 'function.json.liquid': '{"note": {{ values.offerCode | json }}}' } },
    });
    const functions = { 'crm-note': { functionName: 'waymark-crm-note', timeoutSeconds: 0.5 } };
    const runtime: TestRuntime = {
      ...base,
      project: { ...base.project, settings: { ...base.project.settings, functions } },
    };
    await seedCustomer(runtime, 'c-fn-slow');
    const task = deliverTask('c-fn-slow', {
      stepId: 'note',
      channels: ['function'],
      template: 'crm-note',
      category: 'transactional',
      target: { channel: 'function', function: 'crm-note', reaches: 'system' },
      enteredAt: runtime.now().toISOString(),
    });
    await expect(deliver(task, runtime)).rejects.toMatchObject({
      name: TASK_ERRORS.throttled,
      message: expect.stringContaining('function "crm-note": no answer within 0.5 s'),
    });
    await expectNothingSent(runtime, 'c-fn-slow');
  });

  it('a function that fails quoting the customer: failed, not retried, the stored reason masked and short', async () => {
    // Lambda's Invoke as the service answers an unhandled error: 200, X-Amz-Function-Error and the error.
    const lambda = await startReceiver((_index, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
      response.end(
        JSON.stringify({
          errorType: 'Error',
          errorMessage: 'CRM has no contact ana.souza@example.com, +5511987654321',
          trace: Array.from({ length: 50 }, (_, index) => `    at handler (/var/task/index.mjs:${index}:1)`),
        }),
      );
    });
    const client = new LambdaClient({
      region: 'us-east-1',
      endpoint: new URL(lambda.url).origin,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const runtime = await hookRuntime(lambda.url, {
      channels: (real) => ({
        ...real,
        invokeFunction: (invocation) =>
          createAwsChannelGateway({ ...services.clients, lambda: client }).invokeFunction(invocation),
      }),
      templates: { 'crm-note': { 'function.json.liquid': '{"note": {{ values.offerCode | json }}}' } },
    });
    await seedCustomer(runtime, 'c-fn-error');
    const outcome = await deliver(
      deliverTask('c-fn-error', {
        stepId: 'note',
        channels: ['function'],
        template: 'crm-note',
        category: 'transactional',
        target: { channel: 'function', function: 'crm-note', reaches: 'system' },
        enteredAt: runtime.now().toISOString(),
      }),
      runtime,
    );
    expect(outcome).toMatchObject({ status: 'failed', channel: 'function' });
    const reason = outcome.status === 'failed' ? outcome.reason : '';
    expect(reason).toContain('function "crm-note" failed (Unhandled)');
    expect(reason).toContain('<address>');
    expect(reason).not.toMatch(/ana\.souza|987654321/);
    expect(reason).not.toMatch(/\n/);
    expect(lambda.received).toHaveLength(1);
  });

  it('locally, the outbox shows the documented payload the function was given', async () => {
    await withTempFolder('waymark-function-', async (dir) => {
      audienceProject(dir, [
        {
          id: 'crm',
          name: 'crm',
          version: 1,
          status: 'active',
          trigger: { event: 'cart.abandoned' },
          values: { offerCode: 'CART10' },
          start: 'note',
          steps: {
            note: {
              type: 'send',
              channel: 'function',
              function: 'crm-note',
              reaches: 'system',
              template: 'crm-note',
              category: 'transactional',
              next: 'done',
            },
            done: { type: 'end' },
          },
        },
      ]);
      mkdirSync(join(dir, 'templates', 'crm-note'));
      writeFileSync(
        join(dir, 'templates', 'crm-note', 'function.json.liquid'),
        '{"offer": {{ values.offerCode | json }}, "cart": {{ event.cartId | json }}}',
      );
      const file = join(dir, 'settings.json');
      const settings: Record<string, unknown> = JSON.parse(readFileSync(file, 'utf8'));
      settings.functions = { 'crm-note': { functionName: 'waymark-crm-note' } };
      writeFileSync(file, JSON.stringify(settings));
      const engine = await startTestEngine({ journeysDir: dir });
      try {
        expect(engine.host.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
        const put = await engine.put('cart.abandoned', 'c-fn', { cartId: 'cart-9' });
        await engine.advance('1m');
        const [sent, ...more] = await engine.outbox({ channel: 'function' });
        expect(more).toEqual([]);
        expect(sent).toMatchObject({ customerId: 'c-fn', recipient: 'crm-note (waymark-crm-note)' });
        const payload: unknown = JSON.parse(sent?.body ?? '');
        const timeline = await engine.timeline('c-fn');
        const executions = engine.host.engine
          .listExecutions()
          .filter((execution) => execution.customerId === 'c-fn');
        expect(executions.map((execution) => execution.status)).toEqual(['SUCCEEDED']);
        expect(payload).toEqual({
          version: 1,
          idempotencyKey: expect.stringMatching(/^[0-9a-f]{32}$/),
          journeyId: 'crm',
          stepId: 'note',
          executionId: executions[0]?.executionArn,
          customerId: 'c-fn',
          category: 'transactional',
          reaches: 'system',
          trigger: { id: put.Entries?.[0]?.EventId, detailType: 'cart.abandoned', time: expect.any(String) },
          data: { offer: 'CART10', cart: 'cart-9' },
        });
        expect(timeline).toContainEqual(
          expect.objectContaining({
            kind: 'message',
            channel: 'function',
            stepId: 'note',
            reaches: 'system',
            executionId: executions[0]?.executionArn,
            completes: true,
          }),
        );
        expect(timeline).toContainEqual(
          expect.objectContaining({ kind: 'engagement', action: 'delivered', channel: 'function' }),
        );
      } finally {
        await engine.close();
      }
    });
  });
});
