/**
 * The local engine in its own process, and the SES stand-in in its own, against requests that once ended
 * them: the request gets an AWS error and the process answers the next one.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../support/signed-request.ts';
import { jsonOf, signedFor } from './support.ts';

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
