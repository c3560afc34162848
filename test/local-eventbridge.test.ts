import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import {
  EventBridgeClient,
  InvalidEventPatternException,
  ListRulesCommand,
  PutEventsCommand,
  ResourceNotFoundException,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { putEventCommand } from '../infra/cli/put-event.ts';
import { LOCAL_CREDENTIALS } from '../infra/local/constants.ts';
import { type BusRule, handleEventBridge, type LocalBus } from '../infra/local/eventbridge.ts';
import { listenOnLoopback, readRequestBody } from '../infra/local/loopback.ts';
import type { EventEnvelope } from '../shared/events/catalog.ts';
import { captureIo } from './support/io.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const readJson = (path: string) => JSON.parse(readFileSync(`${ROOT}${path}`, 'utf8'));

const cartAbandoned = readJson('test/events/cart.abandoned.json');
const orderPlaced = readJson('test/events/order.placed.json');
const goldenRules: {
  role: string;
  pattern: BusRule['eventPattern'];
  enabled: boolean;
  description: string;
}[] = readJson('test/golden/cart-abandonment.rules.json');

const RULES: BusRule[] = goldenRules.map((rule) => ({
  name: `cart-abandonment-${rule.role}`,
  description: rule.description,
  eventPattern: rule.pattern,
  state: rule.enabled ? 'ENABLED' : 'DISABLED',
}));

const VIRTUAL_NOW = new Date('2030-01-15T08:30:00.000Z');

/** The engine's side of the bus, in memory: what PutEvents handed over, in order. */
const published: EventEnvelope[] = [];
let nextId = 0;
const bus: LocalBus = {
  name: 'waymark',
  rules: () => RULES,
  now: () => VIRTUAL_NOW,
  newEventId: () => `event-${(nextId += 1)}`,
  publish: (event) => {
    published.push(event);
  },
};

let server: Server;
let endpoint: string;
let client: EventBridgeClient;

/** Larger than any test sends: the oversized PutEvents must reach the handler to be refused there. */
const MAX_TEST_BODY_BYTES = 4 * 1024 * 1024;

beforeAll(async () => {
  server = createServer((request, response) => {
    const target = request.headers['x-amz-target'];
    if (typeof target !== 'string' || !target.startsWith('AWSEvents.')) {
      response.writeHead(404).end();
      return;
    }
    void readRequestBody(request, MAX_TEST_BODY_BYTES)
      .then((body) => handleEventBridge(target.slice('AWSEvents.'.length), body, bus))
      .then((reply) => {
        response.writeHead(reply.status, reply.headers).end(JSON.stringify(reply.body));
      });
  });
  endpoint = await listenOnLoopback(server);
  client = new EventBridgeClient({
    endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
});

afterAll(async () => {
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  published.length = 0;
});

const cartEntry = {
  Source: cartAbandoned.source,
  DetailType: cartAbandoned['detail-type'],
  Detail: JSON.stringify(cartAbandoned.detail),
  EventBusName: 'waymark',
};

describe('PutEvents on the local bus', () => {
  it('accepts the cart.abandoned sample and hands the engine an envelope with the same detail', async () => {
    const result = await client.send(new PutEventsCommand({ Entries: [cartEntry] }));

    expect(result.FailedEntryCount).toBe(0);
    const eventId = result.Entries?.[0]?.EventId;
    expect(eventId).toEqual(expect.any(String));
    expect(published).toEqual([
      {
        version: '0',
        id: eventId,
        'detail-type': 'cart.abandoned',
        source: 'shop.web',
        account: '000000000000',
        time: '2030-01-15T08:30:00Z',
        region: 'us-east-1',
        resources: [],
        detail: cartAbandoned.detail,
      },
    ]);
  });

  it('keeps the time the producer gave and the resources', async () => {
    await client.send(
      new PutEventsCommand({
        Entries: [
          { ...cartEntry, Time: new Date('2025-03-11T22:40:00Z'), Resources: ['arn:aws:shop:cart-7f3a91'] },
        ],
      }),
    );
    expect(published[0]?.time).toBe('2025-03-11T22:40:00Z');
    expect(published[0]?.resources).toEqual(['arn:aws:shop:cart-7f3a91']);
  });

  it('fails only the broken entries of a batch, with the AWS codes, and publishes the rest in order', async () => {
    const orderEntry = {
      Source: orderPlaced.source,
      DetailType: orderPlaced['detail-type'],
      Detail: JSON.stringify(orderPlaced.detail),
    };
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          cartEntry,
          { Source: 'shop.web', Detail: '{"customerId":"cust-1"}' },
          { Source: 'shop.web', DetailType: 'cart.abandoned', Detail: '{"customerId": ' },
          { Source: 'shop.web', DetailType: 'cart.abandoned', Detail: '["not", "an", "object"]' },
          { ...orderEntry, EventBusName: 'nonexistent' },
          orderEntry,
        ],
      }),
    );

    expect(result.FailedEntryCount).toBe(4);
    expect(result.Entries?.[1]).toEqual({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
    });
    expect(result.Entries?.[2]).toEqual({
      ErrorCode: 'MalformedDetail',
      ErrorMessage: 'Detail is malformed.',
    });
    expect(result.Entries?.[3]).toEqual({
      ErrorCode: 'MalformedDetail',
      ErrorMessage: 'Detail is malformed.',
    });
    expect(result.Entries?.[4]).toEqual({
      ErrorCode: 'ResourceNotFoundException',
      ErrorMessage: 'Event bus nonexistent does not exist.',
    });
    expect(published.map((event) => event['detail-type'])).toEqual(['cart.abandoned', 'order.placed']);
    expect(published.map((event) => event.id)).toEqual([
      result.Entries?.[0]?.EventId,
      result.Entries?.[5]?.EventId,
    ]);
  });

  it('accepts the bus by ARN and the default bus as the local one', async () => {
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          { ...cartEntry, EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/waymark' },
          { ...cartEntry, EventBusName: 'default' },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(0);
    expect(published).toHaveLength(2);
  });

  it('refuses a call of 11 entries as a whole with a ValidationException', async () => {
    const entries = Array.from({ length: 11 }, () => cartEntry);
    await expect(client.send(new PutEventsCommand({ Entries: entries }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining(
        "at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10",
      ),
    });
    expect(published).toEqual([]);
  });

  it('refuses entries over 256 KB as a whole', async () => {
    const big = { ...cartEntry, Detail: JSON.stringify({ payload: 'p'.repeat(256 * 1024) }) };
    await expect(client.send(new PutEventsCommand({ Entries: [big] }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
    });
    expect(published).toEqual([]);
  });
});

describe('TestEventPattern on the local bus', () => {
  const trigger = RULES.find((rule) => rule.name === 'cart-abandonment-trigger');
  const exit = RULES.find((rule) => rule.name === 'cart-abandonment-exit');

  it('matches the journey trigger against the sample event and not the exit rule', async () => {
    const Event = JSON.stringify(cartAbandoned);
    const matches = await client.send(
      new TestEventPatternCommand({ EventPattern: JSON.stringify(trigger?.eventPattern), Event }),
    );
    const exits = await client.send(
      new TestEventPatternCommand({ EventPattern: JSON.stringify(exit?.eventPattern), Event }),
    );
    expect(matches.Result).toBe(true);
    expect(exits.Result).toBe(false);
  });

  it('names an invalid pattern with the matcher’s explanation', async () => {
    const attempt = client.send(
      new TestEventPatternCommand({
        EventPattern: JSON.stringify({ 'detail-type': 'cart.abandoned' }),
        Event: JSON.stringify(cartAbandoned),
      }),
    );
    await expect(attempt).rejects.toBeInstanceOf(InvalidEventPatternException);
    await expect(attempt).rejects.toMatchObject({
      message: expect.stringMatching(/^Event pattern is not valid\. Reason: .*square brackets/),
    });
  });

  it('refuses an event without the fields every EventBridge event has', async () => {
    const { id: _id, ...withoutId } = cartAbandoned;
    await expect(
      client.send(
        new TestEventPatternCommand({
          EventPattern: JSON.stringify(trigger?.eventPattern),
          Event: JSON.stringify(withoutId),
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', message: 'Parameter Event is not valid.' });
  });
});

describe('ListRules on the local bus', () => {
  it('lists the rules whose names start with the prefix', async () => {
    const result = await client.send(new ListRulesCommand({ NamePrefix: 'cart-abandonment-t' }));
    expect(result.Rules).toEqual([
      {
        Name: 'cart-abandonment-trigger',
        Arn: 'arn:aws:events:us-east-1:000000000000:rule/waymark/cart-abandonment-trigger',
        EventPattern: JSON.stringify(goldenRules[0]?.pattern),
        State: 'ENABLED',
        Description: 'Starts journey cart-abandonment on cart.abandoned',
        EventBusName: 'waymark',
      },
    ]);
    expect(result.NextToken).toBeUndefined();
  });

  it('pages with Limit and NextToken through every rule once', async () => {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListRulesCommand({ EventBusName: 'waymark', Limit: 2, NextToken: token }),
      );
      expect(page.Rules?.length).toBeLessThanOrEqual(2);
      names.push(...(page.Rules ?? []).map((rule) => rule.Name ?? ''));
      token = page.NextToken;
    } while (token !== undefined);
    expect(names).toEqual(['cart-abandonment-exit', 'cart-abandonment-resume', 'cart-abandonment-trigger']);
  });

  it('answers ResourceNotFoundException for another bus', async () => {
    await expect(client.send(new ListRulesCommand({ EventBusName: 'orders' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });
});

describe('calls the local EventBridge does not understand', () => {
  async function rawCall(target: string, body: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': target,
        Authorization:
          'AWS4-HMAC-SHA256 Credential=local/20300115/us-east-1/events/aws4_request, SignedHeaders=host;x-amz-target, Signature=0000',
      },
      body,
    });
    return { status: response.status, body: await response.json() };
  }

  it('names an unknown operation', async () => {
    const reply = await rawCall('AWSEvents.Nope', '{}');
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({
      __type: 'UnknownOperationException',
      message: expect.stringContaining('Nope'),
    });
  });

  it('names a body that is not JSON', async () => {
    const reply = await rawCall('AWSEvents.PutEvents', '{"Entries": [');
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ __type: 'SerializationException' });
    expect(published).toEqual([]);
  });
});

describe('waymark put-event', () => {
  async function putEvent(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const output = captureIo();
    const code = await putEventCommand(args, output.io);
    return { code, out: output.out, err: output.err };
  }

  it('sends an event file as the engine receives it and prints its event id', async () => {
    const result = await putEvent('--file', 'test/events/order.placed.json', '--endpoint', endpoint);

    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      'detail-type': 'order.placed',
      source: 'shop.app',
      detail: orderPlaced.detail,
    });
    expect(result.out).toContain(`id ${published[0]?.id}`);
    expect(result.out).toContain('1 accepted, 0 failed');
  });

  it('builds an event from flags, with --customer setting detail.customerId', async () => {
    const result = await putEvent(
      '--type',
      'cart.abandoned',
      '--source',
      'shop.web',
      '--detail',
      '{"cartId":"cart-1"}',
      '--customer',
      'cust-42',
      '--endpoint',
      endpoint,
    );

    expect(result.code).toBe(0);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      'detail-type': 'cart.abandoned',
      source: 'shop.web',
      detail: { cartId: 'cart-1', customerId: 'cust-42' },
    });
  });

  it("puts --customer where the event's file keeps the customer id", async () => {
    const journeys = mkdtempSync(join(tmpdir(), 'waymark-put-event-'));
    try {
      mkdirSync(join(journeys, 'events'));
      const ticket = {
        $schema: '../event.schema.json',
        title: 'ticket.closed',
        'x-waymark': { customerId: 'account.id' },
        type: 'object',
        properties: { account: { type: 'object', properties: { id: { type: 'string' } } } },
        examples: [{ account: { id: 'acct-1' } }],
      };
      writeFileSync(join(journeys, 'events', 'ticket.closed.json'), JSON.stringify(ticket));
      const result = await putEvent(
        '--type',
        'ticket.closed',
        '--source',
        'helpdesk',
        '--detail',
        '{"account":{"plan":"pro"}}',
        '--customer',
        'acct-42',
        '--journeys',
        journeys,
        '--endpoint',
        endpoint,
      );
      expect(result.code).toBe(0);
      expect(published[0]).toMatchObject({ detail: { account: { plan: 'pro', id: 'acct-42' } } });
    } finally {
      rmSync(journeys, { recursive: true, force: true });
    }
  });

  it('exits 1 and prints the error of an entry the bus refused', async () => {
    const result = await putEvent(
      '--file',
      'test/events/cart.abandoned.json',
      '--bus',
      'orders',
      '--endpoint',
      endpoint,
    );

    expect(result.code).toBe(1);
    expect(result.out).toContain('ResourceNotFoundException: Event bus orders does not exist.');
    expect(published).toEqual([]);
  });

  it('says the engine is not running when nothing listens at the endpoint', async () => {
    const unused = createServer();
    const closedEndpoint = await listenOnLoopback(unused);
    await new Promise((resolve) => unused.close(resolve));

    const result = await putEvent(
      '--type',
      'cart.abandoned',
      '--source',
      'shop.web',
      '--endpoint',
      closedEndpoint,
    );

    expect(result.code).toBe(1);
    expect(result.err).toContain(`No local engine at ${closedEndpoint}; start it with npm start`);
  });

  it('exits 2 with the usage for a wrong command line', async () => {
    const result = await putEvent('--type', 'cart.abandoned');
    expect(result.code).toBe(2);
    expect(result.err).toContain('--source is required');
    expect(result.err).toContain('usage: waymark put-event');
  });
});
