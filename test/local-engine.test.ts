/**
 * The local engine end to end, through its edge endpoint with real SDK
 * clients and its local API only: what a marketer trying a journey, or a
 * developer testing against it, would see.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import dynalite from 'dynalite';
import { describe, expect, it } from 'vitest';
import { putEventCommand } from '../infra/cli/put-event.ts';
import { simulateCommand } from '../infra/cli/simulate.ts';
import { demoSummary, playDemo } from '../infra/local/demo.ts';
import { ensureTable } from '../infra/local/dynamodb.ts';
import { listenOnLoopback } from '../infra/local/loopback.ts';
import { sampleExample } from './support/events.ts';
import { captureIo } from './support/io.ts';
import {
  engineForSuite,
  entrancesIn,
  OPTED_IN,
  START,
  startTestEngine,
  tempFolderForSuite,
  withTempFolder,
} from './support/local-engine.ts';

const at = (hours: number, minutes = 0): string =>
  new Date(START.getTime() + (hours * 60 + minutes) * 60_000).toISOString();

describe('local engine: the sample journeys', () => {
  const engine = engineForSuite();

  it('is up, lists its journeys, and Step Functions clients see one state machine per journey', async () => {
    const health = await (await fetch(`${engine.endpoint}/_local/health`)).json();
    expect(health).toMatchObject({
      ok: true,
      journeys: expect.arrayContaining(['cart-abandonment', 'chat-followup']),
    });
    const machines = await engine.sfn.send(new ListStateMachinesCommand({}));
    expect(machines.stateMachines?.map((machine) => machine.name).sort()).toEqual([
      'cart-abandonment',
      'chat-followup',
      'gold-welcome',
      'social-engagement',
      'support-call-followup',
      'weekly-newsletter',
    ]);
  });

  it('cart-abandonment: a reminder email an hour later, then an SMS nudge (no push) a day after', async () => {
    await engine.put('customer.profile.updated', 'e2e-cart', {
      email: 'cart@example.com',
      phone: '+5511900001111',
      timeZone: 'America/Sao_Paulo',
      consent: OPTED_IN,
      attributes: { firstName: 'Lia' },
    });
    const put = await engine.put('cart.abandoned', 'e2e-cart');
    expect(put.FailedEntryCount).toBe(0);
    await engine.advance('25h');
    const messages = await engine.outbox({ customerId: 'e2e-cart' });
    expect(messages.map((message) => [message.channel, message.stepId, message.time])).toEqual([
      ['email', 'remind', at(1)],
      ['sms', 'nudge', at(24)],
      // The ads audience's placeholder URL, answered by the engine itself: nothing leaves the machine.
      ['webhook', 'retarget', at(24)],
    ]);
    expect(messages[0]?.subject).toBe('Lia, you left something behind: 10% off your cart');
    expect(messages[1]?.recipient).toBe('+5511900001111');
    expect(messages[2]?.response).toMatch(
      /^HTTP 200 \(placeholder ads\.example\.com: answered by the local engine/,
    );
  });

  it('support-call-followup: an SMS survey two hours after an unresolved call, and the case summary by email', async () => {
    await engine.put('customer.profile.updated', 'e2e-support', {
      email: 'support@example.com',
      phone: '+5511900002222',
      timeZone: 'America/Sao_Paulo',
      consent: OPTED_IN,
    });
    const start = (await engine.advance('1m')).slice(0, 19);
    await engine.put('support.call.completed', 'e2e-support', { resolved: false });
    await engine.advance('3h');
    const messages = await engine.outbox({ customerId: 'e2e-support' });
    expect(messages.map((message) => message.channel)).toEqual(['sms', 'email']);
    expect(
      messages.every((message) => Date.parse(message.time) - Date.parse(`${start}Z`) === 2 * 3_600_000),
    ).toBe(true);
    expect(messages[1]?.subject).toContain('case-3380');
  });

  it('social-engagement: one email the next day, at the hour the customer engages', async () => {
    await engine.put('customer.profile.updated', 'e2e-social', {
      email: 'social@example.com',
      timeZone: 'Europe/Lisbon',
      consent: OPTED_IN,
    });
    await engine.put('social.engagement', 'e2e-social', { network: 'instagram', action: 'comment' });
    const engagement = (await engine.timeline('e2e-social')).find(
      (entry) => entry.kind === 'event' && entry.detailType === 'social.engagement',
    );
    const engagedAt = new Date(String(engagement?.time));
    await engine.advance('2d');
    const messages = await engine.outbox({ customerId: 'e2e-social' });
    expect(messages).toHaveLength(1);
    const sent = new Date(messages[0]?.time ?? '');
    // Lisbon is on UTC in November: the same hour of the clock, on the next day.
    expect(sent.getUTCHours()).toBe(engagedAt.getUTCHours());
    expect(sent.getUTCMinutes()).toBe(0);
    expect(sent.getUTCDate()).toBe(new Date(engagedAt.getTime() + 86_400_000).getUTCDate());
  });

  it('chat-followup: a summary at once, and a push reminder when the customer does not come back in 48h', async () => {
    const endpointArn = await engine.registerDevice('e2e-chat-device');
    await engine.put('customer.profile.updated', 'e2e-chat', {
      email: 'chat@example.com',
      timeZone: 'America/Sao_Paulo',
      consent: OPTED_IN,
      push: { platform: 'fcm', endpointArn },
    });
    await engine.put('chat.session.ended', 'e2e-chat', { resolved: false });
    await engine.advance('49h');
    const messages = await engine.outbox({ customerId: 'e2e-chat' });
    expect(messages.map((message) => [message.channel, message.stepId])).toEqual([
      ['email', 'summary'],
      ['push', 'reminder'],
    ]);
    expect(Date.parse(messages[1]?.time ?? '') - Date.parse(messages[0]?.time ?? '')).toBe(48 * 3_600_000);
  });

  it('a goal event ends the journey: the order stops the cart journey before its nudge', async () => {
    await engine.put('customer.profile.updated', 'e2e-goal', {
      email: 'goal@example.com',
      phone: '+5511900003333',
      consent: OPTED_IN,
    });
    await engine.put('cart.abandoned', 'e2e-goal');
    await engine.advance('2h');
    await engine.put('order.placed', 'e2e-goal');
    await engine.advance('2d');
    expect((await engine.outbox({ customerId: 'e2e-goal' })).map((message) => message.stepId)).toEqual([
      'remind',
    ]);
    const timeline = await engine.timeline('e2e-goal');
    expect(timeline).toContainEqual(
      expect.objectContaining({ kind: 'conversion', journeyId: 'cart-abandonment' }),
    );
    const executions = await engine.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:cart-abandonment',
      }),
    );
    const mine = [];
    for (const execution of executions.executions ?? []) {
      const described = await engine.sfn.send(
        new DescribeExecutionCommand({ executionArn: execution.executionArn }),
      );
      if (described.input?.includes('e2e-goal') === true) mine.push(described);
    }
    expect(mine.map((execution) => execution.status)).toEqual(['ABORTED']);
  });

  it('a second cart event within the re-entry window starts nothing new', async () => {
    await engine.put('customer.profile.updated', 'e2e-twice', {
      email: 'twice@example.com',
      consent: OPTED_IN,
    });
    await engine.put('cart.abandoned', 'e2e-twice');
    await engine.put('cart.abandoned', 'e2e-twice');
    await engine.advance('2h');
    expect(await engine.outbox({ customerId: 'e2e-twice' })).toHaveLength(1);
    const timeline = await engine.timeline('e2e-twice');
    expect(timeline).toContainEqual(
      expect.objectContaining({ kind: 'journey', action: 'not-entered', reason: 'reentry-too-soon' }),
    );
    expect(entrancesIn(timeline)).toEqual([expect.objectContaining({ journeyId: 'cart-abandonment' })]);
  });

  it('an opted-out channel falls back: push turned off, so the nudge goes by SMS', async () => {
    const endpointArn = await engine.registerDevice('e2e-fallback-device');
    await engine.put('customer.profile.updated', 'e2e-fallback', {
      email: 'fallback@example.com',
      phone: '+5511900004444',
      timeZone: 'America/Sao_Paulo',
      consent: { email: 'opted-in', sms: 'opted-in', push: 'opted-out' },
      push: { platform: 'fcm', endpointArn },
    });
    await engine.put('cart.abandoned', 'e2e-fallback');
    await engine.advance('25h');
    const nudge = (await engine.outbox({ customerId: 'e2e-fallback' })).find(
      (message) => message.stepId === 'nudge',
    );
    expect(nudge?.channel).toBe('sms');
  });

  it('waymark put-event sends a file of events through the SDK and the journey starts', async () => {
    const output = captureIo();
    const code = await putEventCommand(
      [
        '--file',
        'test/events/support.call.completed.json',
        '--endpoint',
        engine.endpoint,
        '--customer',
        'e2e-cli',
      ],
      output.io,
    );
    expect(code).toBe(0);
    expect(output.out).toContain('1 accepted, 0 failed');
    await engine.advance('1m');
    expect(entrancesIn(await engine.timeline('e2e-cli'))).toEqual([
      expect.objectContaining({ journeyId: 'support-call-followup' }),
    ]);
  });

  it('StartExecution with the same name and input is idempotent; history and failures answer as Step Functions', async () => {
    const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:support-call-followup';
    const input = JSON.stringify({
      version: '0',
      id: 'manual-1',
      'detail-type': 'support.call.completed',
      source: 'test',
      account: '000000000000',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [],
      detail: {
        customerId: 'e2e-manual',
        callId: 'c',
        caseId: 'k',
        topic: 't',
        resolved: true,
        summary: 's',
        nextSteps: [],
        durationSeconds: 1,
      },
    });
    const first = await engine.sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, name: 'manual-run', input }),
    );
    const again = await engine.sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, name: 'manual-run', input }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    await engine.advance('3h');
    const history = await engine.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: first.executionArn }),
    );
    expect(history.events?.map((event) => event.type)).toEqual(
      expect.arrayContaining([
        'ExecutionStarted',
        'WaitStateEntered',
        'TaskStateEntered',
        'ExecutionSucceeded',
      ]),
    );
    await expect(
      engine.sfn.send(new SendTaskFailureCommand({ taskToken: 'no-such-token', error: 'X' })),
    ).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
  });
});

/** The sample journeys in `dir`, with settings that cap marketing messages at 3 a day. */
function journeysWithDailyCap(dir: string): string {
  cpSync('journeys', dir, { recursive: true });
  writeFileSync(
    join(dir, 'settings.json'),
    JSON.stringify({
      timeZone: 'America/Sao_Paulo',
      caps: [{ id: 'marketing-daily', channels: 'any', limit: 3, window: 'calendarDay' }],
      quietHours: { email: null, sms: null, push: null },
      senders: { email: { from: 'Shop <hello@shop.example.com>' } },
      unsubscribe: { baseUrl: 'https://shop.example.com/unsubscribe' },
    }),
  );
  return dir;
}

describe('local engine: caps across journeys', () => {
  const dir = tempFolderForSuite('waymark-caps-');
  const engine = engineForSuite(() => ({ journeysDir: journeysWithDailyCap(dir()) }));

  it('a cap of 3 a day stops the fourth marketing message and names the cap', async () => {
    await engine.put('customer.profile.updated', 'e2e-capped', {
      phone: '+5511900005555',
      timeZone: 'America/Sao_Paulo',
      consent: OPTED_IN,
    });
    for (let call = 0; call < 4; call += 1) {
      await engine.put('support.call.completed', 'e2e-capped', { resolved: true, callId: `call-${call}` });
      await engine.advance('2h10m');
    }
    expect(await engine.outbox({ customerId: 'e2e-capped' })).toHaveLength(3);
    const skipped = (await engine.timeline('e2e-capped')).filter((entry) => entry.kind === 'skipped');
    expect(skipped).toEqual([
      expect.objectContaining({ status: 'capped', capId: 'marketing-daily', stepId: 'survey' }),
    ]);
  });
});

describe('local engine: a restart in the middle of a wait', () => {
  it('loses nothing: the reminder goes out once, at its time, after the engine comes back', async () => {
    await withTempFolder('waymark-restart-', async (dataDir) => {
      const before = await startTestEngine({ dataDir, start: START });
      await before.put('customer.profile.updated', 'e2e-restart', {
        email: 'restart@example.com',
        phone: '+5511900006666',
        consent: OPTED_IN,
      });
      await before.put('cart.abandoned', 'e2e-restart');
      const putAt = Date.parse(await before.advance('30m')) - 30 * 60_000;
      await before.close();

      const after = await startTestEngine({ dataDir });
      await after.advance('1h');
      const reminder = await after.outbox({ customerId: 'e2e-restart' });
      expect(reminder.map((message) => [message.stepId, Date.parse(message.time) - putAt])).toEqual([
        ['remind', 3_600_000],
      ]);
      await after.advance('1d');
      expect((await after.outbox({ customerId: 'e2e-restart' })).map((message) => message.stepId)).toEqual([
        'remind',
        'nudge',
        'retarget',
      ]);
      await after.close();
    });
  });
});

describe('local engine: bad requests', () => {
  const engine = engineForSuite();

  const signed = (service: string, target: string) => ({
    authorization: `AWS4-HMAC-SHA256 Credential=test/20261118/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    'x-amz-target': target,
    'content-type': 'application/x-amz-json-1.1',
  });

  it('answers malformed JSON, an unknown action and an event missing fields the AWS way, and keeps running', async () => {
    const malformed = await fetch(engine.endpoint, {
      method: 'POST',
      headers: signed('events', 'AWSEvents.PutEvents'),
      body: '{"Entries": [',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ __type: 'SerializationException' });

    const unknown = await fetch(engine.endpoint, {
      method: 'POST',
      headers: signed('states', 'AWSStepFunctions.Teleport'),
      body: '{}',
    });
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });

    const missing = await engine.eventbridge.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'test', Detail: '{"customerId":"x"}' },
          { Source: 'test', DetailType: 'order.placed', Detail: 'not json' },
        ],
      }),
    );
    expect(missing.FailedEntryCount).toBe(2);
    expect(missing.Entries?.map((entry) => entry.ErrorCode)).toEqual(['InvalidArgument', 'MalformedDetail']);

    const health = await fetch(`${engine.endpoint}/_local/health`);
    expect(health.status).toBe(200);
  });

  it('answers bad requests to Step Functions, SNS and DynamoDB with the errors their SDKs name', async () => {
    const sfn = await fetch(engine.endpoint, {
      method: 'POST',
      headers: {
        ...signed('states', 'AWSStepFunctions.StartExecution'),
        'content-type': 'application/x-amz-json-1.0',
      },
      body: '{not json',
    });
    expect(await sfn.json()).toMatchObject({ __type: 'SerializationException' });
    await expect(
      engine.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:nope',
          input: '{}',
        }),
      ),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });

    const sns = await fetch(engine.endpoint, {
      method: 'POST',
      headers: { ...signed('sns', ''), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=Teleport&Version=2010-03-31',
    });
    expect(sns.status).toBe(400);
    expect(await sns.text()).toContain('<Code>InvalidParameter</Code>');

    const dynamo = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: engine.endpoint,
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    });
    await expect(
      dynamo.send(new GetItemCommand({ TableName: 'no-such-table', Key: { pk: { S: 'a' } } })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });

    expect((await fetch(`${engine.endpoint}/_local/health`)).status).toBe(200);
  });

  it('an event whose detail breaks the catalog is recorded with its problems and starts no journey', async () => {
    await engine.put('cart.abandoned', 'e2e-broken', { items: [], total: -1 });
    await engine.advance('2h');
    expect(await engine.outbox({ customerId: 'e2e-broken' })).toEqual([]);
    const timeline = await engine.timeline('e2e-broken');
    expect(timeline).toContainEqual(
      expect.objectContaining({
        kind: 'event',
        problems: expect.arrayContaining([expect.stringContaining('detail.items')]),
      }),
    );
    expect(timeline).toContainEqual(
      expect.objectContaining({
        kind: 'journey',
        action: 'not-entered',
        reason: expect.stringContaining('invalid-event'),
      }),
    );
    expect(entrancesIn(timeline)).toEqual([]);
  });
});

describe('waymark simulate', () => {
  it('plays a day-long journey on a jumping clock and prints the customer timeline', async () => {
    await withTempFolder('waymark-simulate-', async (dir) => {
      const events = join(dir, 'events.json');
      writeFileSync(
        events,
        JSON.stringify([
          {
            'detail-type': 'customer.profile.updated',
            source: 'crm',
            detail: {
              customerId: 'sim-1',
              email: 'sim@example.com',
              phone: '+5511900007777',
              consent: OPTED_IN,
            },
          },
          {
            'detail-type': 'cart.abandoned',
            source: 'shop.web',
            delay: '1m',
            detail: { ...sampleExample('cart.abandoned'), customerId: 'sim-1' },
          },
        ]),
      );
      const output = captureIo();
      const code = await simulateCommand(
        ['cart-abandonment', '--events', events, '--clock-start', '2026-01-05T12:00:00Z'],
        output.io,
      );
      expect({ code, err: output.err }).toEqual({ code: 0, err: '' });
      expect(output.out).toContain('2026-01-05 13:01  sent      email cart-abandonment/remind');
      expect(output.out).toContain('2026-01-06 12:01  sent      sms cart-abandonment/nudge');
      expect(output.out).toContain('Simulated until 2026-01-06T12:01:00.000Z');
    });
  });

  it('names the problem in an events file it cannot use', async () => {
    await withTempFolder('waymark-simulate-', async (dir) => {
      const events = join(dir, 'events.json');
      writeFileSync(events, JSON.stringify([{ source: 'x', detail: { customerId: 'a' } }]));
      const output = captureIo();
      const code = await simulateCommand(['cart-abandonment', '--events', events], output.io);
      expect(code).toBe(2);
      expect(output.err).toContain('event 1 has no "detail-type"');
    });
  });
});

describe('local engine: restarts, harder cases', () => {
  it('a wait for an event survives a restart: the answer after the restart resumes it, its timeout still holds', async () => {
    await withTempFolder('waymark-restart-token-', async (dataDir) => {
      const before = await startTestEngine({ dataDir, start: START });
      const endpointArn = await before.registerDevice('restart-token-device');
      for (const customerId of ['e2e-back', 'e2e-gone']) {
        await before.put('customer.profile.updated', customerId, {
          email: `${customerId}@example.com`,
          consent: OPTED_IN,
          push: { platform: 'fcm', endpointArn },
        });
        await before.put('chat.session.ended', customerId, { resolved: false });
      }
      const endedAt = Date.parse(await before.advance('1h')) - 3_600_000;
      await before.close();

      const after = await startTestEngine({ dataDir });
      await after.put('chat.session.started', 'e2e-back');
      await after.advance('48h');
      expect((await after.outbox({ customerId: 'e2e-back' })).map((message) => message.stepId)).toEqual([
        'summary',
      ]);
      const gone = await after.outbox({ customerId: 'e2e-gone' });
      expect(gone.map((message) => [message.stepId, Date.parse(message.time) - endedAt])).toEqual([
        ['summary', 0],
        ['reminder', 48 * 3_600_000],
      ]);
      await after.close();
    });
  });

  it('a journey edited between runs: executions in flight finish on the definition they started with', async () => {
    await withTempFolder('waymark-edited-', async (dir) => {
      const journeysDir = join(dir, 'journeys');
      const dataDir = join(dir, 'data');
      cpSync('journeys', journeysDir, { recursive: true });
      const before = await startTestEngine({ journeysDir, dataDir, start: START });
      await before.put('customer.profile.updated', 'e2e-old', {
        email: 'old@example.com',
        consent: OPTED_IN,
      });
      await before.put('cart.abandoned', 'e2e-old');
      const startedAt = Date.parse(await before.advance('10m')) - 600_000;
      await before.close();

      const file = join(journeysDir, 'cart-abandonment.json');
      const journey = JSON.parse(readFileSync(file, 'utf8'));
      journey.steps['wait-an-hour'].duration = '3h';
      writeFileSync(file, JSON.stringify(journey));

      const after = await startTestEngine({ journeysDir, dataDir });
      await after.advance('2h');
      const reminder = (await after.outbox({ customerId: 'e2e-old' }))[0];
      expect(reminder?.stepId).toBe('remind');
      expect(Date.parse(reminder?.time ?? '') - startedAt).toBe(3_600_000);
      await after.close();
    });
  });
});

describe('the demo', () => {
  const engine = engineForSuite();

  it("plays the brief's scenarios to the end with the outcomes it promises", async () => {
    const run = await playDemo(engine.host, () => undefined, 'test');
    const summary = (await demoSummary(engine.host, run)).join('\n');
    expect(summary).toContain('converted (cart-abandonment): last touch remind');
    expect(summary).toMatch(/demo-bruno-test\n.*email sent \(cart-abandonment\/remind\)/);
    expect(summary).toContain('sms sent (cart-abandonment/nudge)');
    expect(summary).toContain('sms sent (support-call-followup/survey)');
    expect(summary).toContain('email sent (social-engagement/follow-up)');
    expect(summary).toContain('not sent (chat-followup/reminder): opted-out, push: the customer opted out');
    expect(summary).toContain('converted (cart-abandonment): last touch nudge; linear remind 50%, nudge 50%');
    expect(summary).toMatch(/not sent \(support-call-followup\/survey\): capped, Cap "sms-weekly" reached/);
    expect(await engine.outbox({ customerId: 'demo-eva-test' })).toHaveLength(1);
  });
});

describe('local DynamoDB: the table before its first use', () => {
  it('is ACTIVE when ensureTable answers, however long dynalite takes to create it', async () => {
    // Slower than the engine's own dynalite: a table still CREATING refuses requests as missing.
    const server = dynalite({ createTableMs: 150 });
    const endpoint = await listenOnLoopback(server, 0);
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      await ensureTable(client, 'waymark-slow');
      const read = await client.send(
        new GetItemCommand({ TableName: 'waymark-slow', Key: { pk: { S: 'C#x' }, sk: { S: 'PROFILE' } } }),
      );
      expect(read.Item).toBeUndefined();
    } finally {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
