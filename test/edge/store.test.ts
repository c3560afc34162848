/**
 * The local engine's DynamoDB stand-in (dynalite, on a thread of its own) against requests no AWS SDK sends,
 * and against its thread ending. A `null` in a request once ended the thread for the rest of the run: every
 * DynamoDB request after it was refused, every event routed after it became a dead letter, and the health
 * check still said ok. Now the edge refuses such a request, the thread answers what still goes wrong inside
 * it with an error, and a thread that ends all the same is restarted on the same data.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { LOCAL_CREDENTIALS } from '../../infra/local/constants.ts';
import { startLocalHost } from '../../infra/local/host.ts';
import { sampleExample } from '../support/events.ts';
import { engineForSuite, withTempFolder } from '../support/local-engine.ts';
import { sendDynamoRequest } from '../support/signed-request.ts';

const TABLE = 'waymark';

const healthSchema = z.object({
  ok: z.boolean(),
  store: z.object({
    state: z.string(),
    restarts: z.number(),
    lastFailure: z.object({ at: z.string(), reason: z.string() }).optional(),
  }),
});

async function health(endpoint: string): Promise<z.infer<typeof healthSchema>> {
  return healthSchema.parse(await (await fetch(`${endpoint}/_local/health`)).json());
}

function dynamoClient(endpoint: string, maxAttempts?: number): DynamoDBClient {
  return new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: LOCAL_CREDENTIALS,
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  });
}

/** A PutItem then a GetItem of the same item through the SDK: what the stand-in answers while it serves. */
async function expectStoreServes(endpoint: string, name: string): Promise<void> {
  const client = dynamoClient(endpoint);
  const Key = { pk: { S: `store-test#${name}` }, sk: { S: 'item' } };
  await client.send(new PutItemCommand({ TableName: TABLE, Item: { ...Key, note: { S: name } } }));
  const got = await client.send(new GetItemCommand({ TableName: TABLE, Key }));
  expect(got.Item?.note).toEqual({ S: name });
}

/** One chat.session.ended put through PutEvents: the customer's timeline shows it once it is routed. */
function chatEnded(customerId: string): PutEventsCommand {
  return new PutEventsCommand({
    Entries: [
      {
        EventBusName: 'waymark',
        Source: 'test',
        DetailType: 'chat.session.ended',
        Detail: JSON.stringify({
          ...sampleExample('chat.session.ended'),
          customerId,
          resolved: false,
        }),
      },
    ],
  });
}

function answerBody(text: string): { __type?: unknown; message?: unknown } {
  return z.object({ __type: z.unknown(), message: z.unknown() }).partial().parse(JSON.parse(text));
}

describe('DynamoDB requests no SDK sends, through the edge', () => {
  const engine = engineForSuite();

  it('refuses a body that is null, or holds null anywhere, with a SerializationException, and DynamoDB and routing go on', async () => {
    const hostile: [operation: string, body: string][] = [
      ['Scan', 'null'],
      ['GetItem', '{"TableName":"waymark","Key":{"pk":null}}'],
      ['PutItem', '{"TableName":"waymark","Item":{"pk":{"S":"a"},"sk":{"S":"b"},"tags":{"L":[null]}}}'],
      ['BatchGetItem', '{"RequestItems":{"waymark":{"Keys":[null]}}}'],
      ['Scan', '[]'],
      ['Scan', '"waymark"'],
    ];
    for (const [operation, body] of hostile) {
      const answer = await sendDynamoRequest(engine.endpoint, operation, body);
      expect(answer.status, `${operation} ${body}`).toBe(400);
      expect(String(answer.headers['x-amzn-errortype'])).toContain('SerializationException');
      expect(answerBody(answer.text)).toEqual({
        __type: 'com.amazon.coral.service#SerializationException',
        message: expect.any(String),
      });
    }
    expect(
      answerBody((await sendDynamoRequest(engine.endpoint, 'GetItem', hostile[1]?.[1] ?? '')).text),
    ).toEqual(expect.objectContaining({ message: expect.stringContaining('null at Key.pk') }));

    await expectStoreServes(engine.endpoint, 'after-null');
    await engine.put('chat.session.ended', 'store-after-null', { resolved: false });
    const timeline = await engine.timeline('store-after-null');
    expect(timeline.filter((entry) => entry.kind === 'event')).toHaveLength(1);
    expect(engine.host.engine.deadLetters).toBe(0);
    expect(await health(engine.endpoint)).toMatchObject({
      ok: true,
      store: { state: 'serving', restarts: 0 },
    });
  });

  it('has the SDK raise the refusal as a SerializationException', async () => {
    const client = dynamoClient(engine.endpoint, 1);
    // After the SDK serialized the request: the body a client with its own serializer might send.
    client.middlewareStack.add(
      (next) => (args) => {
        if (typeof args.request === 'object' && args.request !== null && 'body' in args.request) {
          args.request.body = '{"TableName":"waymark","Key":{"pk":null}}';
        }
        return next(args);
      },
      { step: 'serialize', priority: 'low' },
    );
    await expect(
      client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'x' }, sk: { S: 'y' } } })),
    ).rejects.toMatchObject({ name: 'SerializationException', $metadata: { httpStatusCode: 400 } });
  });

  it('answers other malformed shapes with AWS errors, an expression nested too deep at once, and keeps serving', async () => {
    const malformed: [operation: string, body: string][] = [
      ['GetItem', '{"TableName":"waymark","Key":[]}'],
      ['GetItem', '{"TableName":"waymark","Key":"x"}'],
      ['GetItem', '{"TableName":"waymark","Key":{"pk":{"S":5},"sk":{"S":"b"}}}'],
      [
        'Query',
        '{"TableName":"waymark","KeyConditionExpression":"pk = :v","ExpressionAttributeValues":{":v":{}}}',
      ],
      ['Scan', '{"TableName":"waymark","Limit":"x"}'],
      ['Scan', '{"TableName":5}'],
      ['Scan', '{"TableName":"waymark","Segment":1,"TotalSegments":0}'],
      ['BatchWriteItem', '{"RequestItems":{"waymark":[{"PutRequest":{}}]}}'],
      // Thirty levels: dynalite's parser would take hours over it, answering nothing else meanwhile.
      [
        'Scan',
        JSON.stringify({
          TableName: TABLE,
          FilterExpression: `${'('.repeat(30)}a = :v${')'.repeat(30)}`,
          ExpressionAttributeValues: { ':v': { S: 'x' } },
        }),
      ],
      ['Scan', JSON.stringify({ TableName: TABLE, FilterExpression: `a = :v${' AND a = :v'.repeat(400)}` })],
    ];
    for (const [operation, body] of malformed) {
      const answer = await sendDynamoRequest(engine.endpoint, operation, body);
      expect(answer.status, `${operation} ${body.slice(0, 100)}`).toBe(400);
      expect(answerBody(answer.text).__type).toMatch(/(SerializationException|ValidationException)$/);
    }
    await expectStoreServes(engine.endpoint, 'after-malformed');
  }, 30_000);

  it("answers a request that fails inside dynalite with AWS's 500, and the thread goes on (the engine's own clients skip the edge)", async () => {
    const direct = engine.host.dynamo.endpoint;
    const answer = await sendDynamoRequest(direct, 'GetItem', '{"TableName":"waymark","Key":{"pk":null}}');
    expect(answer.status).toBe(500);
    expect(answerBody(answer.text).__type).toBe('com.amazon.coral.service#InternalFailure');
    expect((await sendDynamoRequest(direct, 'Scan', 'null')).status).toBe(500);
    await expectStoreServes(direct, 'after-direct-null');
    expect(engine.host.dynamo.health()).toMatchObject({ state: 'serving', restarts: 0 });
  });
});

describe('a DynamoDB thread that ends', () => {
  it('is restarted on the same data folder and port: logged once, unhealthy meanwhile, what it held still there', async () => {
    await withTempFolder('waymark-store-', async (dataDir) => {
      const lines: string[] = [];
      const host = await startLocalHost({
        journeysDir: 'journeys',
        dataDir,
        port: 0,
        clock: { mode: { kind: 'manual' }, start: new Date('2026-11-18T12:00:00Z') },
        log: (line) => lines.push(line),
      });
      try {
        const client = dynamoClient(host.endpoint);
        const Key = { pk: { S: 'store-test#kept' }, sk: { S: 'item' } };
        await client.send(new PutItemCommand({ TableName: TABLE, Item: { ...Key, note: { S: 'before' } } }));

        await host.dynamo.terminateThread('ended by the test');
        // Read in-process: an HTTP health request might only arrive once the restart (~70 ms) is done.
        expect(host.dynamo.health()).toMatchObject({
          state: 'restarting',
          lastFailure: { reason: 'ended by the test' },
        });
        // Sent while the thread is being restarted: the edge holds it until the store serves again.
        const got = await client.send(new GetItemCommand({ TableName: TABLE, Key }));
        expect(got.Item?.note).toEqual({ S: 'before' });
        expect(await health(host.endpoint)).toMatchObject({
          ok: true,
          store: { state: 'serving', restarts: 1, lastFailure: { reason: 'ended by the test' } },
        });
        expect(lines.filter((line) => line.includes('DynamoDB stand-in stopped'))).toEqual([
          'DynamoDB stand-in stopped (ended by the test); restarting it on the same data folder',
        ]);

        // The engine's own clients kept the endpoint: routing stores the event as before.
        await dynamoClient(host.dynamo.endpoint).send(new GetItemCommand({ TableName: TABLE, Key }));
        await new EventBridgeClient({
          region: 'us-east-1',
          endpoint: host.endpoint,
          credentials: LOCAL_CREDENTIALS,
        }).send(chatEnded('store-after-restart'));
        await host.engine.idle();
        const timeline = z
          .object({ entries: z.array(z.object({ kind: z.string() })) })
          .parse(
            await (await fetch(`${host.endpoint}/_local/customers/store-after-restart/timeline`)).json(),
          );
        expect(timeline.entries.filter((entry) => entry.kind === 'event')).toHaveLength(1);
        expect(host.engine.deadLetters).toBe(0);
      } finally {
        await host.close();
      }
    });
  });

  it('answers the requests it held when it ended with an InternalFailure, none left hanging, then serves again', async () => {
    await withTempFolder('waymark-store-', async (dataDir) => {
      const host = await startLocalHost({
        journeysDir: 'journeys',
        dataDir,
        port: 0,
        clock: { mode: { kind: 'manual' }, start: new Date('2026-11-18T12:00:00Z') },
        log: () => undefined,
      });
      try {
        // Keeps the thread busy for minutes (dynalite's parser on 24 levels of parentheses), sent where the
        // edge cannot refuse it: the requests below reach the thread and wait there, surely in flight.
        const busy = sendDynamoRequest(
          host.dynamo.endpoint,
          'Scan',
          JSON.stringify({
            TableName: TABLE,
            FilterExpression: `${'('.repeat(24)}a = :v${')'.repeat(24)}`,
            ExpressionAttributeValues: { ':v': { S: 'x' } },
          }),
        ).catch((error: unknown) => error);
        await new Promise((resolve) => setTimeout(resolve, 200));
        const body = JSON.stringify({ TableName: TABLE, Key: { pk: { S: 'in-flight' }, sk: { S: 'x' } } });
        const held = Array.from({ length: 5 }, () => sendDynamoRequest(host.endpoint, 'GetItem', body));
        await new Promise((resolve) => setTimeout(resolve, 300));

        await host.dynamo.terminateThread('ended while busy');
        for (const answer of await Promise.all(held)) {
          expect(answer.status).toBe(500);
          expect(answerBody(answer.text).__type).toBe('InternalFailure');
        }
        expect(await busy).toBeInstanceOf(Error);
        expect((await sendDynamoRequest(host.endpoint, 'GetItem', body)).status).toBe(200);
        expect(host.dynamo.health()).toMatchObject({ state: 'serving', restarts: 1 });
      } finally {
        await host.close();
      }
    });
  }, 30_000);
});
