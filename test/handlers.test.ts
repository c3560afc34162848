/**
 * The Lambda handlers themselves (middy, Powertools), invoked as Lambda
 * would: what they return, what they throw for the state machine to catch,
 * the metrics operators chart, and that no address reaches a log line.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useRuntime } from '../functions/common/runtime.ts';
import { handler as deliverHandler } from '../functions/deliver/handler.ts';
import { handler as recordHandler } from '../functions/record/handler.ts';
import { handler as stepsHandler } from '../functions/steps/handler.ts';
import { lambdaContext } from './support/lambda.ts';
import { ANA, cartTrigger, deliverTask, envelope, seedCustomer } from './support/runtime-fixtures.ts';
import { createTestRuntime, localServicesForFile } from './support/runtime-services.ts';

const services = localServicesForFile();
afterEach(() => {
  useRuntime(undefined);
  vi.restoreAllMocks();
});

/** Everything the handler printed: Powertools writes logs and EMF metrics to stdout, warnings to stderr. */
function captureOutput(): () => string {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => lines.push(args.map(String).join(' ')));
  vi.spyOn(console, 'info').mockImplementation((...args: unknown[]) =>
    lines.push(args.map(String).join(' ')),
  );
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) =>
    lines.push(args.map(String).join(' ')),
  );
  return () => lines.join('\n');
}

interface MetricLine {
  readonly [name: string]: unknown;
  readonly _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] };
}

function metricLines(printed: string): MetricLine[] {
  return printed
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map((line): MetricLine => JSON.parse(line));
}

function dimensionNames(line: MetricLine): string[] {
  return line._aws.CloudWatchMetrics.flatMap((directive) => directive.Dimensions.flat());
}

describe('deliver handler', () => {
  it('returns the outcome, publishes Deliveries by channel and outcome and MessagesSent by journey, and logs no address', async () => {
    const runtime = await createTestRuntime(services);
    useRuntime(runtime);
    await seedCustomer(runtime, 'c-handler', { ...ANA, email: 'private.person@example.com' });
    const output = captureOutput();
    const outcome = await deliverHandler(deliverTask('c-handler'), lambdaContext);
    const printed = output();
    expect(outcome).toMatchObject({ status: 'sent', channel: 'email' });
    const published = metricLines(printed);
    expect(published.find((line) => line.Deliveries !== undefined)).toEqual(
      expect.objectContaining({ channel: 'email', outcome: 'sent', Deliveries: 1 }),
    );
    expect(published.find((line) => line.MessagesSent !== undefined)).toEqual(
      expect.objectContaining({ journey: 'cart-abandonment', MessagesSent: 1 }),
    );
    // Each dimension combination is a billed metric: none may grow with steps (monitoring.ts, METRIC_BOUND).
    for (const line of published) expect(dimensionNames(line)).not.toContain('step');
    expect(printed).toContain('"status":"sent"');
    expect(printed).not.toContain('private.person@example.com');
    expect(printed).not.toContain('Ana');
  });

  it('throws a named error, caught by the state machine, for a payload the compiler would never send', async () => {
    useRuntime(await createTestRuntime(services));
    captureOutput();
    const broken = { ...deliverTask('c-handler'), channels: ['fax'] };
    await expect(deliverHandler(broken, lambdaContext)).rejects.toMatchObject({
      name: 'Waymark.InvalidTask',
      message: expect.stringContaining('channels'),
    });
  });
});

describe('steps handler', () => {
  it('runs the enter task from its ASL payload', async () => {
    const runtime = await createTestRuntime(services);
    useRuntime(runtime);
    const output = captureOutput();
    const trigger = cartTrigger('c-steps');
    const result = await stepsHandler(
      {
        task: 'enter',
        journeyId: 'cart-abandonment',
        journeyVersion: 1,
        executionId: 'exec-handler',
        customerId: 'c-steps',
        trigger,
        entry: { reentry: { after: '7d' }, maxConcurrent: 1 },
        values: { offerCode: 'CART10' },
      },
      lambdaContext,
    );
    // The customer and trigger come back for the states after enter, which read them from its answer.
    const { id, source, time, detail } = trigger;
    expect(result).toEqual({
      admitted: true,
      values: { offerCode: 'CART10' },
      customerId: 'c-steps',
      trigger: { id, 'detail-type': 'cart.abandoned', source, time, detail },
    });
    const published = metricLines(output());
    const stepTasks = published.find((line) => line.StepTasks !== undefined);
    expect(stepTasks).toEqual(expect.objectContaining({ task: 'enter', outcome: 'entered' }));
    expect(stepTasks === undefined ? [] : dimensionNames(stepTasks)).not.toContain('journey');
    expect(published.find((line) => line.Entered !== undefined)).toEqual(
      expect.objectContaining({ journey: 'cart-abandonment', Entered: 1 }),
    );
  });
});

describe('record handler', () => {
  it('answers a malformed event with its problems instead of failing (a retry would not fix it)', async () => {
    useRuntime(await createTestRuntime(services));
    const output = captureOutput();
    const outcome = await recordHandler(
      envelope(
        'customer.profile.updated',
        { customerId: 'c-bad-event', phone: '555-not-e164' },
        '2026-11-18T15:00:00Z',
      ),
      lambdaContext,
    );
    expect(outcome).toMatchObject({ status: 'invalid', customerId: 'c-bad-event' });
    expect(output()).toContain('detail.phone');
    expect(output()).not.toContain('555-not-e164');
  });
});

describe('keys appended to the logger', () => {
  it('do not leak from one invocation into the next one in the same container', async () => {
    const runtime = await createTestRuntime(services);
    useRuntime(runtime);
    await seedCustomer(runtime, 'c-first-invocation', { ...ANA, email: 'first.invocation@example.com' });
    captureOutput();
    await deliverHandler(deliverTask('c-first-invocation'), lambdaContext);
    vi.restoreAllMocks();
    const output = captureOutput();
    // Logged by the record handler, which appends no customer of its own.
    await recordHandler({ not: 'an event' }, lambdaContext);
    expect(output()).toContain('event not applied');
    expect(output()).not.toContain('c-first-invocation');
  });
});
