/**
 * The local engine's edge against what a careless or hostile client sends: the stand-ins' own routes,
 * broken bodies, reserved event sources, times and details no event can carry, execution names AWS
 * refuses, broken %-escapes, other host names and other sites. Every answer is AWS-shaped, none
 * carries a stack trace or a file path, and the engine answers the next request.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../infra/local/constants.ts';
import { send } from '../infra/local/edge-reply.ts';
import { forwardToStandIn } from '../infra/local/edge-stand-ins.ts';
import { publicMessage, publicText } from '../infra/local/errors.ts';
import { listenOnLoopback } from '../infra/local/loopback.ts';
import { engineForSuite, OPTED_IN, startTestEngine, tempFolderForSuite } from './support/local-engine.ts';
import { type RawAnswer, rawRequest } from './support/signed-request.ts';

/** A SigV4 header the edge routes by: it reads the service in the credential scope, as AWS does. */
function signedFor(service: string, target?: string): Record<string, string> {
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=test/20261118/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    ...(target === undefined ? {} : { 'x-amz-target': target }),
  };
}

/** Nothing an answer says may show the engine's insides: a stack frame or a path on this machine. */
function expectNothingInternal(text: string): void {
  expect(text).not.toMatch(/\bat [^\s]+ \(/);
  expect(text).not.toMatch(/node_modules|<pre>|<html/i);
  expect(text).not.toContain(process.cwd());
  expect(text).not.toContain(tmpdir());
}

function jsonOf(answer: RawAnswer): unknown {
  return JSON.parse(answer.text);
}

describe('the edge in its own process: one request cannot end it', () => {
  let child: ChildProcess | undefined;
  let endpoint = '';
  let dataDir = '';
  let output = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'waymark-edge-child-'));
    const started = spawn(
      process.execPath,
      ['bin/waymark.mjs', 'local', '--port', '0', '--data-dir', dataDir, '--journeys', 'journeys'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    endpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the engine did not start:\n${output}`)), 60_000);
      const read = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        const found = /local engine on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
        }
      };
      started.stdout?.on('data', read);
      started.stderr?.on('data', read);
      started.once('exit', (code) => reject(new Error(`the engine exited (${String(code)}):\n${output}`)));
    });
  }, 90_000);

  afterAll(async () => {
    const running = child;
    if (running !== undefined && running.exitCode === null) {
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a GET signed for ses to the stand-in's own /get-emlContent gets an AWS error, and the engine lives on", async () => {
    const answer = await rawRequest(endpoint, {
      path: '/get-emlContent?messageId=x',
      headers: signedFor('ses'),
    });
    expect(answer.status).toBe(404);
    expect(answer.headers['x-amzn-errortype']).toBe('UnknownOperationException');
    expect(jsonOf(answer)).toMatchObject({ __type: 'UnknownOperationException' });
    // Give a second answer or an unhandled rejection time to end the process, as it did.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const health = await rawRequest(endpoint, { path: '/_local/health' });
    expect(health.status).toBe(200);
    expect(child?.exitCode).toBeNull();
    expect(output).not.toContain('ERR_HTTP_HEADERS_SENT');
  });

  it('a DynamoDB item nested thousands deep gets a ValidationException instead of ending dynalite and the engine', async () => {
    let value = '{"S":"x"}';
    for (let level = 0; level < 3_000; level += 1) value = `{"M":{"a":${value}}}`;
    const answer = await rawRequest(endpoint, {
      method: 'POST',
      path: '/',
      headers: {
        ...signedFor('dynamodb', 'DynamoDB_20120810.PutItem'),
        'content-type': 'application/x-amz-json-1.0',
      },
      body: `{"TableName":"waymark","Item":{"pk":{"S":"a"},"sk":{"S":"b"},"deep":${value}}}`,
    });
    expect(answer.status).toBe(400);
    expect(jsonOf(answer)).toMatchObject({ __type: 'ValidationException' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await rawRequest(endpoint, { path: '/_local/health' })).status).toBe(200);
    expect(child?.exitCode).toBeNull();
  });
});

describe('the SES stand-in on its own', () => {
  it('answering a request twice no longer ends the process it runs in', () => {
    // Straight to the stand-in, as nothing through the edge can reach /get-emlContent any more.
    const script = `
      import { startLocalSes } from './infra/local/ses.ts';
      const ses = await startLocalSes();
      const answer = await fetch(ses.endpoint + '/get-emlContent?messageId=x');
      console.log('status', answer.status);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await ses.close();
      console.log('alive');
    `;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stdout).toContain('status 400');
    expect(run.stdout).toContain('alive');
    expect(run.status).toBe(0);
  });
});

describe('a stand-in that fails', () => {
  /** A server in front of `standIn` that answers as the edge does, through the edge's own forwarding. */
  async function frontOf(standIn: string): Promise<{ endpoint: string; close: () => Promise<void> }> {
    const server = createServer((incoming, response) => {
      const url = new URL(incoming.url ?? '/', 'http://localhost');
      void forwardToStandIn('ses', incoming, url, standIn).then((answer) => {
        if (answer.kind === 'reply') send(response, answer.reply);
        else {
          response.writeHead(answer.status, answer.headers);
          response.end(answer.body);
        }
      });
    });
    const endpoint = await listenOnLoopback(server);
    return { endpoint, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  const sendEmail = (endpoint: string): Promise<RawAnswer> =>
    rawRequest(endpoint, {
      method: 'POST',
      path: '/v2/email/outbound-emails',
      headers: { ...signedFor('ses'), 'content-type': 'application/json' },
      body: '{}',
    });

  it('gone: an AWS-shaped 500 for that request', async () => {
    // A port that was free a moment ago: nothing answers there.
    const gone = createServer();
    const goneEndpoint = await listenOnLoopback(gone);
    await new Promise((resolve) => gone.close(resolve));
    const front = await frontOf(goneEndpoint);
    try {
      const answer = await sendEmail(front.endpoint);
      expect(answer.status).toBe(500);
      expect(answer.headers['x-amzn-errortype']).toBe('InternalFailure');
      expect(jsonOf(answer)).toMatchObject({ __type: 'InternalFailure' });
    } finally {
      await front.close();
    }
  });

  it('answering with a stack trace: the client gets an AWS error, never the trace', async () => {
    const broken = createServer((_incoming, response) => {
      response.writeHead(500, { 'content-type': 'text/html' });
      response.end(
        `<pre>TypeError: x is undefined<br> &nbsp; &nbsp;at handler (${process.cwd()}/node_modules/x.js:1:1)</pre>`,
      );
    });
    const brokenEndpoint = await listenOnLoopback(broken);
    const front = await frontOf(brokenEndpoint);
    try {
      const answer = await sendEmail(front.endpoint);
      expect(answer.status).toBe(500);
      expect(jsonOf(answer)).toMatchObject({ __type: 'InternalFailure' });
      expectNothingInternal(answer.text);
    } finally {
      await front.close();
      await new Promise((resolve) => broken.close(resolve));
    }
  });
});

describe('what an error may tell a client', () => {
  it('keeps the message, takes out stack frames and absolute paths, and leaves URLs alone', () => {
    const error = new Error(
      "ENAMETOOLONG: name too long, open '/home/someone/.waymark/executions/x.json'\n    at open (node:fs:1:1)",
    );
    expect(publicMessage(error)).toBe("ENAMETOOLONG: name too long, open '<path>'");
    expect(publicText('see C:\\Users\\x\\data.json or http://127.0.0.1:4566/_local/health')).toBe(
      'see <path> or http://127.0.0.1:4566/_local/health',
    );
  });
});

describe('the edge: only AWS API routes reach the stand-ins', () => {
  const engine = engineForSuite();
  const ses = (): SESv2Client =>
    new SESv2Client({ region: 'us-east-1', endpoint: engine.endpoint, credentials: LOCAL_CREDENTIALS });

  it("the SES stand-in's own routes (/store, /clear-store, its web page) are not reachable", async () => {
    for (const [method, path] of [
      ['GET', '/store'],
      ['POST', '/clear-store'],
      ['GET', '/'],
      ['GET', '/health-check'],
      ['GET', '/v2/email/../../store'],
      ['POST', '/v2/../clear-store'],
    ] as const) {
      const answer = await rawRequest(engine.endpoint, { method, path, headers: signedFor('ses') });
      expect({ method, path, status: answer.status }).toEqual({ method, path, status: 404 });
      expect(jsonOf(answer)).toMatchObject({ __type: 'UnknownOperationException' });
      expect(answer.text).not.toContain('emails');
      expectNothingInternal(answer.text);
    }
  });

  it('broken JSON to SES gets a BadRequestException, not an HTML page with a stack trace', async () => {
    const answer = await rawRequest(engine.endpoint, {
      method: 'POST',
      path: '/v2/email/outbound-emails',
      headers: { ...signedFor('ses'), 'content-type': 'application/json' },
      body: '{"Content": {',
    });
    expect(answer.status).toBe(400);
    expect(answer.headers['x-amzn-errortype']).toBe('BadRequestException');
    expect(answer.headers['content-type']).toContain('application/json');
    expect(jsonOf(answer)).toMatchObject({
      __type: 'BadRequestException',
      message: expect.stringContaining('not valid JSON'),
    });
    expectNothingInternal(answer.text);
    // The SDK still sends through the same route.
    const sent = await ses().send(
      new SendEmailCommand({
        FromEmailAddress: 'shop@example.com',
        Destination: { ToAddresses: ['someone@example.com'] },
        Content: { Simple: { Subject: { Data: 'Hi' }, Body: { Text: { Data: 'Hello' } } } },
      }),
    );
    expect(sent.MessageId).toEqual(expect.any(String));
  });

  it("the stand-in's own errors reach an SDK client with their type and no internals", async () => {
    const answer = await rawRequest(engine.endpoint, {
      method: 'POST',
      path: '/v2/email/outbound-emails',
      headers: { ...signedFor('ses'), 'content-type': 'application/json' },
      body: '{"Content": 42}',
    });
    expect(answer.status).toBe(400);
    expect(jsonOf(answer)).toMatchObject({ __type: 'BadRequestException', message: expect.any(String) });
    expectNothingInternal(answer.text);
  });

  it('DynamoDB takes POST / with a DynamoDB_20120810 target only', async () => {
    const get = await rawRequest(engine.endpoint, { path: '/shell/', headers: signedFor('dynamodb') });
    expect(get.status).toBe(404);
    expect(jsonOf(get)).toMatchObject({ __type: 'UnknownOperationException' });
    const noTarget = await rawRequest(engine.endpoint, {
      method: 'POST',
      path: '/',
      headers: { ...signedFor('dynamodb'), 'content-type': 'application/x-amz-json-1.0' },
      body: '{}',
    });
    expect(noTarget.status).toBe(400);
    expect(jsonOf(noTarget)).toMatchObject({ __type: 'UnknownOperationException' });
    const dynamo = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: engine.endpoint,
      credentials: LOCAL_CREDENTIALS,
    });
    expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toContain('waymark');
  });
});

describe('the edge: PutEvents refuses what no event may carry', () => {
  const engine = engineForSuite();

  const putRaw = (entries: unknown[]): Promise<RawAnswer> =>
    rawRequest(engine.endpoint, {
      method: 'POST',
      path: '/',
      headers: {
        ...signedFor('events', 'AWSEvents.PutEvents'),
        'content-type': 'application/x-amz-json-1.1',
      },
      body: JSON.stringify({ Entries: entries }),
    });

  it('refuses an aws.* source per entry: no producer may pass for SES', async () => {
    const bounce = JSON.stringify({
      eventType: 'Bounce',
      bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'x@example.com' }] },
      mail: { tags: { 'ses:configuration-set': ['waymark'] } },
    });
    const result = await engine.eventbridge.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: 'waymark', Source: 'aws.ses', DetailType: 'Email Bounced', Detail: bounce },
          {
            EventBusName: 'waymark',
            Source: 'test',
            DetailType: 'chat.session.ended',
            Detail: JSON.stringify({ customerId: 'edge-not-aws' }),
          },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[0]).toMatchObject({ ErrorCode: 'NotAuthorizedForSourceException' });
    expect(result.Entries?.[1]?.EventId).toEqual(expect.any(String));
  });

  it.each([
    ['1e15 seconds', 1e15],
    ['a negative time', -1],
    ['a string that is no time', 'NaN'],
    ['a date past year 9999', '+275760-09-13T00:00:00Z'],
  ])('answers Time as %s with a 400, never a 500', async (_label, time) => {
    const answer = await putRaw([
      { Source: 'test', DetailType: 'chat.session.ended', Detail: '{"customerId":"edge-time"}', Time: time },
    ]);
    expect(answer.status).toBe(400);
    expect(jsonOf(answer)).toMatchObject({
      __type: expect.stringMatching(/^(Serialization|Validation)Exception$/),
    });
    expect(jsonOf(answer)).toMatchObject({ message: expect.stringContaining('Entries[0].Time') });
  });

  it('refuses a detail nested too deep, or with a __proto__ key, per entry with MalformedDetail', async () => {
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const answer = await putRaw([
      { Source: 'test', DetailType: 'chat.session.ended', Detail: deep },
      {
        Source: 'test',
        DetailType: 'chat.session.ended',
        Detail: '{"customerId":"edge-proto","__proto__":{"customerId":"someone-else"}}',
      },
    ]);
    expect(answer.status).toBe(200);
    const body = jsonOf(answer);
    expect(body).toMatchObject({
      FailedEntryCount: 2,
      Entries: [
        { ErrorCode: 'MalformedDetail', ErrorMessage: expect.stringContaining('100 levels') },
        { ErrorCode: 'MalformedDetail', ErrorMessage: expect.stringContaining('__proto__') },
      ],
    });
    expect(await engine.timeline('edge-proto')).toEqual([]);
  });

  it('refuses a "constructor" key, which the DynamoDB marshaller takes for a class, and keeps "prototype"', async () => {
    const answer = await putRaw([
      {
        Source: 'test',
        DetailType: 'chat.session.ended',
        Detail: JSON.stringify({ customerId: 'edge-constructor', nested: { constructor: 1 } }),
      },
      {
        Source: 'test',
        DetailType: 'chat.session.ended',
        Detail: JSON.stringify({ customerId: 'edge-prototype', prototype: 'y', nested: { prototype: [1] } }),
      },
    ]);
    expect(jsonOf(answer)).toMatchObject({
      FailedEntryCount: 1,
      Entries: [
        {
          ErrorCode: 'MalformedDetail',
          ErrorMessage: expect.stringContaining('"constructor" at detail.nested.constructor'),
        },
        { EventId: expect.any(String) },
      ],
    });
    await engine.advance('1m');
    expect(await engine.timeline('edge-constructor')).toEqual([]);
    expect(await engine.timeline('edge-prototype')).toContainEqual(
      expect.objectContaining({ kind: 'event', detailType: 'chat.session.ended' }),
    );
  });
});

describe('the edge: Step Functions execution names', () => {
  const engine = engineForSuite();
  const machine = 'arn:aws:states:us-east-1:000000000000:stateMachine:chat-followup';
  const input = JSON.stringify({ detail: { customerId: 'edge-names' } });

  it.each([
    ['10,000 characters', 'n'.repeat(10_000)],
    ['81 characters', 'n'.repeat(81)],
    ['a slash', 'a/b'],
    ['a colon', 'a:b'],
    ['a space', 'a b'],
    ['a bracket', 'a<b'],
    ['a wildcard', 'a*b'],
    ['a control character', 'a\u0001b'],
    ['a C1 control character', 'a\u0085b'],
    ['nothing', ''],
  ])('refuses a name with %s as InvalidName, leaving no execution behind', async (_label, name) => {
    const answer = await rawRequest(engine.endpoint, {
      method: 'POST',
      path: '/',
      headers: {
        ...signedFor('states', 'AWSStepFunctions.StartExecution'),
        'content-type': 'application/x-amz-json-1.0',
      },
      body: JSON.stringify({ stateMachineArn: machine, name, input }),
    });
    expect(answer.status).toBe(400);
    expect(jsonOf(answer)).toMatchObject({ __type: 'InvalidName' });
    expectNothingInternal(answer.text);
    expect(answer.text.length).toBeLessThan(1_000);
    const listed = await engine.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine }));
    expect(listed.executions?.some((execution) => execution.name === name)).toBe(false);
  });

  it('takes a name of 80 characters, and one with characters AWS allows', async () => {
    for (const name of ['n'.repeat(80), 'order=1.(retry)@x+y!']) {
      const started = await engine.sfn.send(
        new StartExecutionCommand({ stateMachineArn: machine, name, input }),
      );
      expect(started.executionArn?.endsWith(`:${name}`)).toBe(true);
    }
  });
});

describe('the edge: names that looked alike on disk', () => {
  const dataDir = tempFolderForSuite('waymark-edge-names-');
  const machine = 'arn:aws:states:us-east-1:000000000000:stateMachine:chat-followup';

  it('keeps two executions whose names differ only in = and _ apart across a restart', async () => {
    const first = await startTestEngine({ dataDir: dataDir() });
    for (const [name, customerId] of [
      ['order=1', 'edge-equals'],
      ['order_1', 'edge-underscore'],
    ] as const) {
      await first.put('customer.profile.updated', customerId, { email: `${customerId}@example.com` });
      await first.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: machine,
          name,
          input: JSON.stringify({ detail: { customerId } }),
        }),
      );
    }
    await first.close();
    const second = await startTestEngine({ dataDir: dataDir() });
    try {
      const listed = await second.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine }));
      const names = listed.executions?.map((execution) => execution.name).sort();
      expect(names).toEqual(['order=1', 'order_1']);
    } finally {
      await second.close();
    }
  });
});

describe('the edge: executions saved under the earlier file names', () => {
  const dataDir = tempFolderForSuite('waymark-edge-old-names-');

  it('are read, and moved to their new names once', async () => {
    const executionArn = 'arn:aws:states:us-east-1:000000000000:execution:chat-followup:from-before';
    const folder = join(dataDir(), 'executions');
    mkdirSync(folder, { recursive: true });
    const oldFile = join(folder, `${executionArn.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
    writeFileSync(
      oldFile,
      JSON.stringify({
        executionArn,
        name: 'from-before',
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:chat-followup',
        journeyId: 'chat-followup',
        customerId: 'edge-before',
        status: 'SUCCEEDED',
        input: {},
        startDate: '2026-11-18T12:00:00.000Z',
        stopDate: '2026-11-18T12:00:01.000Z',
        steps: [],
      }),
    );
    const engine = await startTestEngine({ dataDir: dataDir() });
    try {
      const listed = await engine.sfn.send(new ListExecutionsCommand({}));
      expect(listed.executions?.map((execution) => execution.name)).toContain('from-before');
      expect(existsSync(oldFile)).toBe(false);
      expect(
        readdirSync(folder).filter((file) => file.startsWith('chat-followup_from-before.')),
      ).toHaveLength(1);
    } finally {
      await engine.close();
    }
  });
});

describe('the edge: the local API and loopback', () => {
  const engine = engineForSuite();

  it('answers a broken %-escape in a customer id with 400', async () => {
    const answer = await rawRequest(engine.endpoint, { path: '/_local/customers/%E0%A4%A/timeline' });
    expect(answer.status).toBe(400);
    expect(jsonOf(answer)).toMatchObject({ message: expect.stringContaining('%-escape') });
  });

  it('answers the local API, the AWS routes and the unsubscribe link on loopback host names only', async () => {
    for (const [path, headers] of [
      ['/_local/outbox', {}],
      ['/_local/health', {}],
      [
        '/',
        { ...signedFor('dynamodb', 'DynamoDB_20120810.Scan'), 'content-type': 'application/x-amz-json-1.0' },
      ],
      ['/unsubscribe?token=x', {}],
    ] as const) {
      const answer = await rawRequest(engine.endpoint, {
        method: path === '/' ? 'POST' : 'GET',
        path,
        headers: { ...headers, host: 'rebound.example:80' },
        body: path === '/' ? '{"TableName":"waymark"}' : undefined,
      });
      expect({ path, status: answer.status }).toEqual({ path, status: 403 });
      expect(answer.text).not.toContain('@example.com');
    }
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3:9', '[::1]:4566', 'LOCALHOST:1']) {
      const answer = await rawRequest(engine.endpoint, { path: '/_local/health', headers: { host } });
      expect({ host, status: answer.status }).toEqual({ host, status: 200 });
    }
  });

  it('refuses a cross-site POST: the clock stays where it was', async () => {
    const before = await rawRequest(engine.endpoint, { path: '/_local/clock' });
    const crossSite: Record<string, string>[] = [
      { origin: 'https://evil.example', 'content-type': 'text/plain' },
      { origin: 'null', 'content-type': 'text/plain' },
      { 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' },
    ];
    for (const headers of crossSite) {
      const answer = await rawRequest(engine.endpoint, {
        method: 'POST',
        path: '/_local/clock',
        headers,
        body: JSON.stringify({ by: '30d' }),
      });
      expect(answer.status).toBe(403);
    }
    const signedCrossSite = await rawRequest(engine.endpoint, {
      method: 'POST',
      path: '/',
      headers: {
        ...signedFor('events', 'AWSEvents.PutEvents'),
        origin: 'https://evil.example',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: '{"Entries":[]}',
    });
    expect(signedCrossSite.status).toBe(403);
    expect(jsonOf(signedCrossSite)).toMatchObject({ __type: 'AccessDeniedException' });
    const after = await rawRequest(engine.endpoint, { path: '/_local/clock' });
    expect(jsonOf(after)).toEqual(jsonOf(before));
    // The same page (its own origin) and tools that send no Origin still move it.
    const own = await rawRequest(engine.endpoint, {
      method: 'POST',
      path: '/_local/clock',
      headers: { origin: engine.endpoint, 'sec-fetch-site': 'same-origin' },
      body: JSON.stringify({ by: '1m' }),
    });
    expect(own.status).toBe(200);
  });
});

describe('the local engine serves the unsubscribe link in its emails', () => {
  const engine = engineForSuite();

  it('the link in a local email opens a page, and its one-click POST unsubscribes', async () => {
    await engine.put('customer.profile.updated', 'edge-unsub', {
      email: 'unsub@example.com',
      timeZone: 'America/Sao_Paulo',
      consent: OPTED_IN,
    });
    await engine.put('cart.abandoned', 'edge-unsub');
    await engine.advance('2h');
    const [email] = await engine.outbox({ customerId: 'edge-unsub', channel: 'email' });
    const link = /https?:\/\/[^\s"'<>]+\/unsubscribe\?token=[A-Za-z0-9._%-]+/.exec(
      `${email?.body ?? ''} ${email?.html ?? ''}`,
    )?.[0];
    expect(link?.startsWith(`${engine.endpoint}/unsubscribe?token=`)).toBe(true);
    const url = link ?? '';

    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<form method="post"');

    // What a mailbox provider sends (RFC 8058): a form POST from its servers, no Origin.
    const oneClick = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect(await oneClick.text()).toContain('Unsubscribed from emails');
    expect(await engine.timeline('edge-unsub')).toContainEqual(
      expect.objectContaining({ kind: 'preference', action: 'unsubscribed', channel: 'email' }),
    );

    // Its page's own button: a browser names the page's origin, which is this endpoint.
    const button = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: engine.endpoint,
        'sec-fetch-site': 'same-origin',
      },
      body: 'confirm=unsubscribe',
    });
    expect(button.status).toBe(200);
    expect(await button.text()).toContain('You were already unsubscribed');

    const forged = await fetch(`${engine.endpoint}/unsubscribe?token=forged.token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(forged.status).toBe(400);
  });
});
