/**
 * Traces as X-Ray would receive them: the record handler runs in a child process with Lambda's
 * tracing environment, and its segments go over UDP to a socket standing in for the X-Ray daemon.
 * Each AWS call the function makes must show as a subsegment, and no customer data may.
 */
import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable, type LocalDynamo, startLocalDynamo } from '../infra/local/dynamodb.ts';
import { ENVIRONMENT } from '../shared/runtime/environment.ts';
import { envelope } from './support/runtime-fixtures.ts';
import { PROJECT_ROOT, SAMPLE_JOURNEYS } from './support/infra.ts';

const run = promisify(execFile);
const TABLE = 'waymark-tracing';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

let dynamo: LocalDynamo;
let daemon: Socket;
const datagrams: string[] = [];

beforeAll(async () => {
  dynamo = await startLocalDynamo();
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: CREDENTIALS,
  });
  await ensureTable(client, TABLE);
  client.destroy();
  daemon = createSocket('udp4');
  daemon.on('message', (message) => datagrams.push(message.toString('utf8')));
  daemon.bind(0, '127.0.0.1');
  await once(daemon, 'listening');
});

afterAll(async () => {
  daemon.close();
  await dynamo.close();
});

/** A datagram is a JSON header line, then the (sub)segment document. */
function documents(): Record<string, unknown>[] {
  return datagrams.map((datagram) => JSON.parse(datagram.slice(datagram.indexOf('\n') + 1)));
}

function subsegmentNames(document: Record<string, unknown>): string[] {
  const name = typeof document.name === 'string' ? [document.name] : [];
  const children = Array.isArray(document.subsegments) ? document.subsegments : [];
  return [...name, ...children.flatMap((child: Record<string, unknown>) => subsegmentNames(child))];
}

describe('tracing', () => {
  it('shows each DynamoDB call of a function as a subsegment, without the customer data', async () => {
    const address = daemon.address();
    const event = envelope(
      'customer.profile.updated',
      { customerId: 'c-traced', email: 'traced.person@example.com', firstName: 'Tracy' },
      '2026-12-06T10:00:00Z',
    );
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'test/support/traced-handler-child.ts', JSON.stringify(event)],
      {
        cwd: PROJECT_ROOT,
        env: {
          PATH: process.env.PATH,
          // What Lambda sets for a function with active tracing.
          AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
          LAMBDA_TASK_ROOT: PROJECT_ROOT,
          AWS_LAMBDA_FUNCTION_NAME: 'waymark-test-record',
          _HANDLER: 'index.handler',
          _X_AMZN_TRACE_ID: 'Root=1-6753a1b0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1',
          AWS_XRAY_DAEMON_ADDRESS: `${address.address}:${address.port}`,
          AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
          AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
          [ENVIRONMENT.table]: TABLE,
          [ENVIRONMENT.projectDir]: SAMPLE_JOURNEYS,
        },
      },
    );
    expect(stdout).toMatch(/OUTCOME \{"status":"recorded"/);
    await expect.poll(() => documents().flatMap(subsegmentNames)).toContain('DynamoDB');
    const calls = documents()
      .flatMap(function walk(document: Record<string, unknown>): Record<string, unknown>[] {
        const children = Array.isArray(document.subsegments) ? document.subsegments : [];
        return [document, ...children.flatMap(walk)];
      })
      .filter((document) => document.name === 'DynamoDB');
    expect(calls.length).toBeGreaterThan(0);
    expect(JSON.stringify(calls)).toContain('"operation":"');
    // Neither the event nor the answer goes into a trace.
    const everything = datagrams.join('\n');
    expect(everything).not.toContain('traced.person@example.com');
    expect(everything).not.toContain('Tracy');
  }, 60_000);
});
