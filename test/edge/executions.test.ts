/**
 * Step Functions execution names at the edge and on disk: names AWS refuses are refused, names that once
 * looked alike as file names stay apart, and executions saved under the earlier file names are still read.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListExecutionsCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { engineForSuite, startTestEngine, tempFolderForSuite } from '../support/local-engine.ts';
import { rawRequest } from '../support/signed-request.ts';
import { expectNothingInternal, jsonOf, signedFor } from './support.ts';

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
