/**
 * What the edge passes to the stand-ins and what it gives back: only AWS API routes get through, broken
 * bodies and failing stand-ins get AWS-shaped errors, and no answer carries a stack trace or a file path.
 */
import { createServer } from 'node:http';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../../infra/local/constants.ts';
import { send } from '../../infra/local/edge-reply.ts';
import { forwardToStandIn } from '../../infra/local/edge-stand-ins.ts';
import { publicMessage, publicText } from '../../infra/local/errors.ts';
import { listenOnLoopback } from '../../infra/local/loopback.ts';
import { engineForSuite } from '../support/local-engine.ts';
import { type RawAnswer, rawRequest } from '../support/signed-request.ts';
import { expectNothingInternal, jsonOf, signedFor } from './support.ts';

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
