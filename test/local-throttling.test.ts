/**
 * The account's send rates on the local stand-ins (`npm start -- --ses-max-send-rate <n>` and its SNS
 * siblings): real SDK clients get the errors SES and SNS give past the rate, counted per second of the
 * engine's clock, and a journey whose sends are throttled gets them all out through its retries.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { localCommand } from '../infra/cli/local.ts';
import { RetryPacer, type RetrierSpec } from '../infra/local/retry-clock.ts';
import { startLocalHost } from '../infra/local/host.ts';
import { isRecord } from '../shared/json.ts';
import { sampleExample } from './support/events.ts';
import { captureIo } from './support/io.ts';
import { engineForSuite, OPTED_IN, START } from './support/local-engine.ts';

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/**
 * One attempt per call: the SDK retries a throttling error by itself, after a real-time backoff that only
 * slows the test and hides which call was refused.
 */
function clients(endpoint: string): { ses: SESv2Client; sns: SNSClient } {
  const config = { region: 'us-east-1', endpoint, credentials: CREDENTIALS, maxAttempts: 1 };
  return { ses: new SESv2Client(config), sns: new SNSClient(config) };
}

/** A SendEmail; `content: false` sends one without content, which SES refuses for itself. */
function sendEmail(ses: SESv2Client, content = true): Promise<unknown> {
  return ses.send(
    new SendEmailCommand({
      FromEmailAddress: 'hello@shop.example.com',
      Destination: { ToAddresses: ['reader@example.com'] },
      Content: content ? { Simple: { Subject: { Data: 'Hello' }, Body: { Text: { Data: 'Hi.' } } } } : {},
    }),
  );
}

function publishSms(sns: SNSClient): Promise<unknown> {
  return sns.send(new PublishCommand({ PhoneNumber: '+15555550123', Message: 'Hi.' }));
}

function publishPush(sns: SNSClient, targetArn: string): Promise<unknown> {
  return sns.send(new PublishCommand({ TargetArn: targetArn, Message: 'Hi.' }));
}

/** How a call ended: `ok`, or the error's name, HTTP status and message as the SDK reports them. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    if (!(error instanceof Error)) return `non-error ${String(error)}`;
    const metadata = '$metadata' in error && isRecord(error.$metadata) ? error.$metadata : {};
    return `${error.name} ${String(metadata.httpStatusCode)}: ${error.message}`;
  }
}

/** Calls one after another, each answered before the next is made. */
async function inTurn(count: number, call: () => Promise<unknown>): Promise<string[]> {
  const outcomes: string[] = [];
  for (let index = 0; index < count; index += 1) outcomes.push(await outcome(call()));
  return outcomes;
}

const SES_THROTTLED = 'TooManyRequestsException 429: Maximum sending rate exceeded.';
const SNS_THROTTLED = 'ThrottledException 429: Rate exceeded';

/** The engine's clock moved to START plus `ms`, through the local API. */
async function clockAt(endpoint: string, ms: number): Promise<void> {
  const response = await fetch(`${endpoint}/_local/clock`, {
    method: 'POST',
    body: JSON.stringify({ to: new Date(START.getTime() + ms).toISOString() }),
  });
  expect(response.status).toBe(200);
}

describe('local SES and SNS with send limits', () => {
  const engine = engineForSuite({ sendLimits: { email: 2, sms: 2, push: 2 } });

  it('SendEmail past the rate gets SES’s throttling error; the next second takes sends again', async () => {
    const ses = clients(engine.endpoint).ses;
    await clockAt(engine.endpoint, 0);
    expect(await inTurn(4, () => sendEmail(ses))).toEqual(['ok', 'ok', SES_THROTTLED, SES_THROTTLED]);
    // Any one second: half a second on, the two sends are still in it.
    await clockAt(engine.endpoint, 500);
    expect(await outcome(sendEmail(ses))).toBe(SES_THROTTLED);
    // A second after them they are out of it, and the refused ones never counted.
    await clockAt(engine.endpoint, 1000);
    expect(await inTurn(3, () => sendEmail(ses))).toEqual(['ok', 'ok', SES_THROTTLED]);
  });

  it('a SendEmail SES refuses for itself takes no slot', async () => {
    const ses = clients(engine.endpoint).ses;
    await clockAt(engine.endpoint, 10_000);
    const refused = await outcome(sendEmail(ses, false));
    expect(refused).toMatch(/^BadRequestException 400/);
    expect(await inTurn(3, () => sendEmail(ses))).toEqual(['ok', 'ok', SES_THROTTLED]);
  });

  it('the SDK error carries the name, status and fault the deliver function reads', async () => {
    const { ses, sns } = clients(engine.endpoint);
    await clockAt(engine.endpoint, 20_000);
    await inTurn(2, () => sendEmail(ses));
    const error: unknown = await sendEmail(ses).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'TooManyRequestsException',
      $fault: 'client',
      $metadata: { httpStatusCode: 429 },
    });
    await clockAt(engine.endpoint, 21_000);
    const published = await publishSms(sns);
    expect(published).toMatchObject({ MessageId: expect.any(String) });
    await publishSms(sns);
    const throttled: unknown = await publishSms(sns).catch((caught: unknown) => caught);
    expect(throttled).toMatchObject({
      name: 'ThrottledException',
      $fault: 'client',
      $metadata: { httpStatusCode: 429 },
    });
  });

  it('SMS and push each have their own rate: Publish past it gets SNS’s ThrottledException', async () => {
    const { ses, sns } = clients(engine.endpoint);
    const endpointArn = await engine.registerDevice('throttling-device');
    await clockAt(engine.endpoint, 30_000);
    expect(await inTurn(3, () => publishSms(sns))).toEqual(['ok', 'ok', SNS_THROTTLED]);
    // The SMS second is full; the push second is not.
    expect(await inTurn(3, () => publishPush(sns, endpointArn))).toEqual(['ok', 'ok', SNS_THROTTLED]);
    // Email is counted apart from both.
    expect(await outcome(sendEmail(ses))).toBe('ok');
    await clockAt(engine.endpoint, 31_000);
    expect(await inTurn(3, () => publishSms(sns))).toEqual(['ok', 'ok', SNS_THROTTLED]);
    expect(await inTurn(3, () => publishPush(sns, endpointArn))).toEqual(['ok', 'ok', SNS_THROTTLED]);
  });

  it('a Publish SNS refuses for itself takes no slot', async () => {
    const { sns } = clients(engine.endpoint);
    await clockAt(engine.endpoint, 40_000);
    const refused = await outcome(sns.send(new PublishCommand({ PhoneNumber: '555', Message: 'Hi.' })));
    expect(refused).toMatch(/^InvalidParameterException 400/);
    expect(await inTurn(3, () => publishSms(sns))).toEqual(['ok', 'ok', SNS_THROTTLED]);
  });
});

describe('local SES and SNS without send limits', () => {
  const engine = engineForSuite();

  it('throttle nothing, however many sends come in one second', async () => {
    const { ses, sns } = clients(engine.endpoint);
    const endpointArn = await engine.registerDevice('unthrottled-device');
    const outcomes = await Promise.all([
      ...Array.from({ length: 20 }, () => outcome(sendEmail(ses))),
      ...Array.from({ length: 20 }, () => outcome(publishSms(sns))),
      ...Array.from({ length: 20 }, () => outcome(publishPush(sns, endpointArn))),
    ]);
    expect(new Set(outcomes)).toEqual(new Set(['ok']));
  });
});

describe('a journey under --ses-max-send-rate 1', () => {
  const engine = engineForSuite({ sendLimits: { email: 1 } });
  const customers = ['rate-a', 'rate-b', 'rate-c'];

  it('sends all three emails: the throttled ones are retried by the state machine, none is failed', async () => {
    for (const customerId of customers) {
      await engine.put('customer.profile.updated', customerId, {
        email: `${customerId}@example.com`,
        consent: OPTED_IN,
      });
    }
    // Three chats end at once, in one PutEvents: three summaries want out in the same second.
    const example = sampleExample('chat.session.ended');
    const answer = await engine.eventbridge.send(
      new PutEventsCommand({
        Entries: customers.map((customerId) => ({
          EventBusName: 'waymark',
          Source: 'test',
          DetailType: 'chat.session.ended',
          Detail: JSON.stringify({ ...example, customerId, resolved: false }),
        })),
      }),
    );
    expect(answer.FailedEntryCount).toBe(0);
    await engine.advance('6h');

    const emails = await engine.outbox({ channel: 'email' });
    expect(emails.map((message) => message.customerId).sort()).toEqual(customers);
    expect(emails.every((message) => message.stepId === 'summary')).toBe(true);
    // They went out at least a second apart: SES let one through per second.
    const times = emails.map((message) => Date.parse(message.time)).sort((a, b) => a - b);
    for (let index = 1; index < times.length; index += 1) {
      expect((times[index] ?? 0) - (times[index - 1] ?? 0)).toBeGreaterThanOrEqual(1000);
    }
    for (const customerId of customers) {
      const skipped = (await engine.timeline(customerId)).filter((entry) => entry.kind === 'skipped');
      expect(skipped, customerId).toEqual([]);
    }
  }, 60_000);
});

describe('the send limit options', () => {
  it.each([['0'], ['-1'], ['2.5'], ['ten'], ['']])(
    'refuse --ses-max-send-rate %j, naming it',
    async (value) => {
      const output = captureIo();
      expect(await localCommand([`--ses-max-send-rate=${value}`], output.io)).toBe(2);
      expect(output.err).toContain(
        `--ses-max-send-rate must be a whole number of sends a second, 1 or more, not ${value || '""'}`,
      );
      expect(output.err).toContain('usage: waymark local');
    },
  );

  it('are listed in the usage, and refused for SMS and push too', async () => {
    const output = captureIo();
    expect(await localCommand(['--sms-max-send-rate', '0'], output.io)).toBe(2);
    expect(output.err).toContain('--sms-max-send-rate must be a whole number');
    for (const option of ['--ses-max-send-rate <n>', '--sms-max-send-rate <n>', '--push-max-send-rate <n>']) {
      expect(output.err).toContain(option);
    }
    const push = captureIo();
    expect(await localCommand(['--push-max-send-rate', '1.5'], push.io)).toBe(2);
    expect(push.err).toContain('--push-max-send-rate must be a whole number');
  });

  it('are checked by startLocalHost before anything starts', async () => {
    await expect(
      startLocalHost({
        journeysDir: 'journeys',
        clock: { mode: { kind: 'manual' }, start: START },
        log: () => undefined,
        sendLimits: { email: 0 },
      }),
    ).rejects.toThrow('The email send limit must be a whole number of sends a second, 1 or more, not 0');
  });
});

describe('retries on the engine clock', () => {
  const throttled = Object.assign(new Error('slow down'), { name: 'Waymark.Throttled' });
  const retriers: RetrierSpec[] = [
    {
      ErrorEquals: ['Waymark.Throttled'],
      IntervalSeconds: 2,
      MaxAttempts: 30,
      BackoffRate: 2,
      MaxDelaySeconds: 900,
      JitterStrategy: 'FULL',
    },
    { ErrorEquals: ['Lambda.ServiceException'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 },
  ];

  it('wait as Step Functions does: backoff, capped at MaxDelaySeconds, the full jitter drawn from it', () => {
    const pacer = new RetryPacer(retriers, () => 0.5);
    const at = new Date(0);
    const waits: number[] = [];
    for (let attempt = 0; attempt < 12; attempt += 1) {
      pacer.failed(throttled, at);
      waits.push(pacer.takeDue()?.getTime() ?? -1);
    }
    // Half of 2, 4, 8, ... seconds, until 2 × 2^9 passes 900.
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 450, 450, 450].map((seconds) => seconds * 1000));
    expect(pacer.takeDue()).toBeUndefined();
  });

  it('stop when the interpreter stops: past MaxAttempts, on an error no retrier names, after a success', () => {
    const pacer = new RetryPacer(retriers, () => 1);
    const lambdaError = Object.assign(new Error('boom'), { name: 'Lambda.ServiceException' });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      pacer.failed(lambdaError, new Date(0));
      expect(pacer.takeDue()).toBeDefined();
    }
    pacer.failed(lambdaError, new Date(0));
    expect(pacer.takeDue()).toBeUndefined();
    pacer.failed(new Error('unnamed'), new Date(0));
    expect(pacer.takeDue()).toBeUndefined();
    pacer.failed(throttled, new Date(0));
    pacer.takeDue();
    pacer.succeeded();
    // A later entry of the state starts again at the first interval.
    pacer.failed(throttled, new Date(0));
    expect(pacer.takeDue()?.getTime()).toBe(2000);
  });
});
