/**
 * The finish function (shared/runtime/finish.ts, functions/finish): a journey execution's status-change
 * event frees the customer's place and records the end, once, however the execution ended; events it
 * has nothing to do for cost no DynamoDB request; a malformed one is refused, not thrown.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useRuntime } from '../functions/common/runtime.ts';
import { handler as finishHandler } from '../functions/finish/handler.ts';
import { handleExitEvent } from '../shared/runtime/goals.ts';
import { runStepsTask } from '../shared/runtime/steps.ts';
import {
  EXECUTION_STATUS_CHANGE,
  executionEndPattern,
  finishExecution,
  MAX_REASON_LENGTH,
} from '../shared/runtime/finish.ts';
import { WAYMARK_STOP_ERROR } from '../shared/runtime/runtime.ts';
import { createSfnWorkflowControl } from '../shared/runtime/workflows.ts';
import { matchesPattern } from '../shared/events/pattern.ts';
import { admit, readMembership } from '../shared/store/journeys.ts';
import { lambdaContext } from './support/lambda.ts';
import { cartTrigger, envelope, fixtureEvent } from './support/runtime-fixtures.ts';
import {
  createTestRuntime,
  expectVariant,
  historyEntries,
  localServicesForFile,
  type TestRuntime,
} from './support/runtime-services.ts';

const services = localServicesForFile();
afterEach(() => {
  useRuntime(undefined);
  vi.restoreAllMocks();
});

const JOURNEY = 'cart-abandonment';
const STATE_MACHINE = `arn:aws:states:us-east-1:123456789012:stateMachine:waymark-dev-${JOURNEY}`;
const STARTED = Date.parse('2026-11-18T15:00:00Z');
const STOPPED = Date.parse('2026-11-18T16:02:03.456Z');

function executionArn(name: string): string {
  return `arn:aws:states:us-east-1:123456789012:execution:waymark-dev-${JOURNEY}:${name}`;
}

/** The event Step Functions puts on the default bus, as its guide shows it. */
function statusEvent(
  customerId: string,
  name: string,
  detail: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    version: '0',
    id: `event-${name}-${typeof detail.status === 'string' ? detail.status : 'SUCCEEDED'}`,
    'detail-type': EXECUTION_STATUS_CHANGE,
    source: 'aws.states',
    account: '123456789012',
    time: '2026-11-18T16:02:03Z',
    region: 'us-east-1',
    resources: [executionArn(name)],
    detail: {
      executionArn: executionArn(name),
      stateMachineArn: STATE_MACHINE,
      name,
      status: 'SUCCEEDED',
      startDate: STARTED,
      stopDate: STOPPED,
      input: JSON.stringify(cartTrigger(customerId)),
      inputDetails: { included: true },
      output: JSON.stringify({ customerId, steps: {} }),
      outputDetails: { included: true },
      error: null,
      cause: null,
      ...detail,
    },
  };
}

/** The customer in the journey, as enter leaves them: the execution's ARN in the membership's `active`. */
async function inJourney(runtime: TestRuntime, customerId: string, name: string): Promise<void> {
  const admission = await admit(
    runtime.store,
    customerId,
    JOURNEY,
    executionArn(name),
    { kind: 'event', eventId: `trigger-${name}` },
    { reentry: 'always', maxConcurrent: 3 },
    runtime.now(),
  );
  expect(admission.admitted).toBe(true);
}

async function active(runtime: TestRuntime, customerId: string): Promise<string[]> {
  return (await readMembership(runtime.store, customerId, JOURNEY)).active;
}

describe('finishExecution, for each way an execution ends', () => {
  it('SUCCEEDED: frees the place and records "completed" at the stop time', async () => {
    // Prepare
    const runtime = await createTestRuntime(services);
    await inJourney(runtime, 'c-succeeded', 'run-1');
    await inJourney(runtime, 'c-succeeded', 'run-other');
    // Act
    const outcome = await finishExecution(statusEvent('c-succeeded', 'run-1'), runtime);
    // Assess
    expect(outcome).toEqual({
      status: 'finished',
      journeyId: JOURNEY,
      execution: 'SUCCEEDED',
      action: 'completed',
      recorded: true,
    });
    expect(await active(runtime, 'c-succeeded')).toEqual([executionArn('run-other')]);
    expect(await historyEntries(runtime, 'c-succeeded', 'journey')).toEqual([
      {
        kind: 'journey',
        time: '2026-11-18T16:02:03.456Z',
        journeyId: JOURNEY,
        executionId: executionArn('run-1'),
        action: 'completed',
      },
    ]);
  });

  it('FAILED: records "failed" with the error and cause, addresses and numbers masked, cut short', async () => {
    const runtime = await createTestRuntime(services);
    await inJourney(runtime, 'c-failed', 'run-1');
    const cause = JSON.stringify({
      errorType: 'Error',
      errorMessage: `cannot reach ana@example.com or +5511987654321 ${'x'.repeat(2_000)}`,
      trace: ['Error: cannot reach', '    at deliver (/var/task/index.mjs:1:2)'],
    });
    const outcome = await finishExecution(
      statusEvent('c-failed', 'run-1', {
        status: 'FAILED',
        output: null,
        error: 'Lambda.Unknown',
        cause,
      }),
      runtime,
    );
    expect(outcome).toMatchObject({ status: 'finished', action: 'failed', recorded: true });
    expect(await active(runtime, 'c-failed')).toEqual([]);
    const [entry] = await historyEntries(runtime, 'c-failed', 'journey');
    expect(entry).toMatchObject({ action: 'failed', executionId: executionArn('run-1') });
    // The Lambda error's message, not its JSON or its stack trace.
    expect(entry?.reason).toMatch(/^Lambda\.Unknown: cannot reach <address> or <phone> x+…$/);
    expect(entry?.reason).not.toContain('ana@example.com');
    expect(entry?.reason).not.toContain('987654321');
    expect(entry?.reason?.length).toBe(MAX_REASON_LENGTH);
  });

  it('TIMED_OUT: records "failed", "timed out"', async () => {
    const runtime = await createTestRuntime(services);
    await inJourney(runtime, 'c-timed-out', 'run-1');
    const outcome = await finishExecution(
      statusEvent('c-timed-out', 'run-1', { status: 'TIMED_OUT', output: null }),
      runtime,
    );
    expect(outcome).toMatchObject({ status: 'finished', execution: 'TIMED_OUT', action: 'failed' });
    expect(await active(runtime, 'c-timed-out')).toEqual([]);
    expect(await historyEntries(runtime, 'c-timed-out', 'journey')).toEqual([
      expect.objectContaining({ action: 'failed', reason: 'timed out' }),
    ]);
  });

  it('ABORTED by hand: records "stopped" with what the stop said', async () => {
    const runtime = await createTestRuntime(services);
    await inJourney(runtime, 'c-stopped', 'run-1');
    const outcome = await finishExecution(
      statusEvent('c-stopped', 'run-1', {
        status: 'ABORTED',
        output: null,
        error: null,
        cause: 'stopped from the console by ops',
      }),
      runtime,
    );
    expect(outcome).toMatchObject({ status: 'finished', execution: 'ABORTED', action: 'stopped' });
    expect(await active(runtime, 'c-stopped')).toEqual([]);
    expect(await historyEntries(runtime, 'c-stopped', 'journey')).toEqual([
      expect.objectContaining({ action: 'stopped', reason: 'stopped from the console by ops' }),
    ]);
  });

  it('ABORTED by a goal exit (Waymark.Exited): frees the place again and records nothing beside "exited"', async () => {
    // Prepare: the goal stops the execution and records its exit, as goals does
    const runtime = await createTestRuntime(services);
    await inJourney(runtime, 'c-exited', 'run-1');
    const order = fixtureEvent('order.placed');
    const exit = await handleExitEvent(
      envelope('order.placed', { ...order.detail, customerId: 'c-exited' }, runtime.now().toISOString()),
      runtime,
    );
    expect(exit.status).toBe('handled');
    expect(runtime.workflows.stops).toEqual([
      expect.objectContaining({ executionId: executionArn('run-1') }),
    ]);
    // Act: Step Functions reports the stop
    const outcome = await finishExecution(
      statusEvent('c-exited', 'run-1', {
        status: 'ABORTED',
        output: null,
        error: WAYMARK_STOP_ERROR,
        cause: 'The customer reached order.placed (goal)',
      }),
      runtime,
    );
    // Assess
    expect(outcome).toEqual({
      status: 'finished',
      journeyId: JOURNEY,
      execution: 'ABORTED',
      action: undefined,
      recorded: false,
    });
    expect(await active(runtime, 'c-exited')).toEqual([]);
    expect((await historyEntries(runtime, 'c-exited', 'journey')).map((entry) => entry.action)).toEqual([
      'exited',
    ]);
  });

  it('FAILED on a definition compiled before this end existed (its finish Task recorded why, then Waymark.JourneyFailed): frees the place, records nothing more', async () => {
    const runtime = await createTestRuntime(services);
    await inJourney(runtime, 'c-old-failed', 'run-1');
    const outcome = await finishExecution(
      statusEvent('c-old-failed', 'run-1', {
        status: 'FAILED',
        output: null,
        error: 'Waymark.JourneyFailed',
        cause: 'A step failed; see the execution history.',
      }),
      runtime,
    );
    expect(outcome).toMatchObject({ status: 'finished', action: undefined, recorded: false });
    expect(await active(runtime, 'c-old-failed')).toEqual([]);
    expect(await historyEntries(runtime, 'c-old-failed', 'journey')).toEqual([]);
  });

  it("an old Standard definition's finish Task frees the place and leaves the completion to this event, once", async () => {
    const runtime = await createTestRuntime(services);
    await inJourney(runtime, 'c-old-done', 'run-1');
    const ref = {
      journeyId: JOURNEY,
      journeyVersion: 1,
      executionId: executionArn('run-1'),
      customerId: 'c-old-done',
      enteredAt: '2026-11-18T16:02:00.000Z',
    };
    await runStepsTask({ ...ref, task: 'finish', outcome: 'completed', stepId: 'done' }, runtime);
    expect(await active(runtime, 'c-old-done')).toEqual([]);
    await finishExecution(statusEvent('c-old-done', 'run-1'), runtime);
    expect(await historyEntries(runtime, 'c-old-done', 'journey')).toEqual([
      expect.objectContaining({ action: 'completed', executionId: executionArn('run-1') }),
    ]);
  });

  it('writes nothing back for a customer erased since the execution was admitted', async () => {
    const runtime = await createTestRuntime(services);
    const outcome = await finishExecution(
      statusEvent('c-erased', 'run-1', { status: 'FAILED', output: null }),
      runtime,
    );
    expect(outcome).toMatchObject({ status: 'ignored', reason: 'unknown-customer' });
    expect(await historyEntries(runtime, 'c-erased', 'journey')).toEqual([]);
  });

  it('records one entry for the same event delivered twice (EventBridge is at least once)', async () => {
    const runtime = await createTestRuntime(services);
    await inJourney(runtime, 'c-twice', 'run-1');
    const event = statusEvent('c-twice', 'run-1', {
      status: 'FAILED',
      output: null,
      error: 'States.Timeout',
    });
    const first = await finishExecution(event, runtime);
    const second = await finishExecution(event, runtime);
    expect(first).toMatchObject({ status: 'finished', recorded: true });
    expect(second).toMatchObject({ status: 'finished', recorded: false });
    expect(await historyEntries(runtime, 'c-twice', 'journey')).toHaveLength(1);
    expect(await active(runtime, 'c-twice')).toEqual([]);
  });

  it('reads the input from DescribeExecution when the event left it out for its size', async () => {
    const runtime = await createTestRuntime(services);
    await inJourney(runtime, 'c-large', 'run-1');
    runtime.workflows.described.set(executionArn('run-1'), {
      input: cartTrigger('c-large'),
      output: { customerId: 'c-large', steps: {} },
    });
    const outcome = await finishExecution(
      statusEvent('c-large', 'run-1', {
        input: null,
        inputDetails: { included: false },
        output: null,
        outputDetails: { included: false },
      }),
      runtime,
    );
    expect(outcome).toMatchObject({ status: 'finished', action: 'completed', recorded: true });
    expect(await active(runtime, 'c-large')).toEqual([]);
    // Step Functions no longer knows the execution: nothing to go on, nothing written.
    const before = services.dynamoRequests.count;
    const unknown = await finishExecution(
      statusEvent('c-large', 'run-gone', { input: null, inputDetails: { included: false } }),
      runtime,
    );
    expect(unknown).toMatchObject({ status: 'ignored', reason: 'unknown-execution' });
    expect(services.dynamoRequests.count).toBe(before);
  });
});

describe('finishExecution, for events it has nothing to do for', () => {
  it('makes no DynamoDB request for a success whose last send step finished the journey, nor for an entry turned away', async () => {
    const runtime = await createTestRuntime(services);
    await inJourney(runtime, 'c-skip', 'run-1');
    const before = services.dynamoRequests.count;
    const finishedByStep = await finishExecution(
      statusEvent('c-skip', 'run-1', {
        output: JSON.stringify({
          customerId: 'c-skip',
          final: { outcome: { status: 'sent', finished: true } },
        }),
      }),
      runtime,
    );
    const notEntered = await finishExecution(
      statusEvent('c-skip', 'run-2', {
        output: JSON.stringify({ entry: { outcome: { admitted: false, values: {} } }, steps: {} }),
      }),
      runtime,
    );
    expect(finishedByStep).toMatchObject({ status: 'ignored', reason: 'finished-by-step' });
    expect(notEntered).toMatchObject({ status: 'ignored', reason: 'not-entered' });
    expect(services.dynamoRequests.count).toBe(before);
    // The step that finished it released the place; this one left it alone.
    expect(await active(runtime, 'c-skip')).toEqual([executionArn('run-1')]);
  });

  it('ignores the state machines that run no journey (the broadcast machine, a Map Run, another app) and executions still running', async () => {
    const runtime = await createTestRuntime(services);
    await inJourney(runtime, 'c-other', 'run-1');
    const before = services.dynamoRequests.count;
    const machines = [
      'arn:aws:states:us-east-1:123456789012:stateMachine:waymark-dev_broadcasts',
      'arn:aws:states:us-east-1:123456789012:stateMachine:waymark-dev_broadcasts/MapRun',
      'arn:aws:states:us-east-1:123456789012:stateMachine:billing-monthly',
      'not an arn',
    ];
    for (const stateMachineArn of machines) {
      const outcome = await finishExecution(statusEvent('c-other', 'run-1', { stateMachineArn }), runtime);
      expect(outcome).toMatchObject({ status: 'ignored', reason: 'not-a-journey' });
    }
    for (const status of ['RUNNING', 'PENDING_REDRIVE']) {
      const outcome = await finishExecution(
        statusEvent('c-other', 'run-1', { status, stopDate: null }),
        runtime,
      );
      expect(outcome).toEqual({ status: 'ignored', reason: 'not-ended', execution: status });
    }
    expect(services.dynamoRequests.count).toBe(before);
    expect(await active(runtime, 'c-other')).toEqual([executionArn('run-1')]);
  });

  it('refuses a malformed event with the fields at fault, without throwing (a retry would not fix it)', async () => {
    const runtime = await createTestRuntime(services);
    const before = services.dynamoRequests.count;
    const good = statusEvent('c-malformed', 'run-1');
    const malformed: unknown[] = [
      undefined,
      'SUCCEEDED',
      { ...good, source: 'shop.web' },
      { ...good, 'detail-type': 'Order Placed' },
      statusEvent('c-malformed', 'run-1', { executionArn: 42 }),
      statusEvent('c-malformed', 'run-1', { input: '{"cut short' }),
    ];
    for (const event of malformed) {
      const outcome = expectVariant(await finishExecution(event, runtime), 'status', 'invalid');
      expect(outcome.problems.length).toBeGreaterThan(0);
      // Field names and expectations only: nothing of the event's content.
      expect(outcome.problems.join(' ')).not.toContain('c-malformed');
    }
    expect(services.dynamoRequests.count).toBe(before);
  });

  it('ignores an execution whose input names no customer (no place was taken)', async () => {
    const runtime = await createTestRuntime(services);
    const trigger = cartTrigger('c-none');
    const { customerId: _dropped, ...detail } = trigger.detail;
    const outcome = await finishExecution(
      statusEvent('c-none', 'run-1', { status: 'FAILED', input: JSON.stringify({ ...trigger, detail }) }),
      runtime,
    );
    expect(outcome).toMatchObject({ status: 'ignored', reason: 'no-customer' });
  });
});

describe('the rule pattern', () => {
  it("matches the ends of the stage's journey machines and nothing else", () => {
    const pattern = executionEndPattern('arn:aws:states:us-east-1:123456789012:stateMachine:waymark-dev-');
    const event = (detail: Record<string, unknown>) => statusEvent('c-pattern', 'run-1', detail);
    for (const status of ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'])
      expect(matchesPattern(pattern, event({ status }))).toBe(true);
    expect(matchesPattern(pattern, event({ status: 'RUNNING' }))).toBe(false);
    expect(
      matchesPattern(
        pattern,
        event({
          stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:waymark-dev_broadcasts',
        }),
      ),
    ).toBe(false);
    expect(
      matchesPattern(
        pattern,
        event({ stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:waymark-prod-cart' }),
      ),
    ).toBe(false);
  });
});

describe('Step Functions calls on AWS (createSfnWorkflowControl)', () => {
  /** An SFN client that answers every call itself and keeps what it was asked. */
  function answeringClient(answer: Record<string, unknown>): { sfn: SFNClient; calls: unknown[] } {
    const sfn = new SFNClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const calls: unknown[] = [];
    sfn.middlewareStack.add(
      () => (args) => {
        calls.push(args.input);
        return Promise.resolve({ output: { $metadata: {}, ...answer }, response: {} });
      },
      { step: 'initialize', name: 'answerLocally' },
    );
    return { sfn, calls };
  }

  it('stops an execution with the error Waymark.Exited, so the finish function records no second end', async () => {
    const { sfn, calls } = answeringClient({ stopDate: new Date() });
    await createSfnWorkflowControl(sfn).stopExecution(
      executionArn('run-1'),
      'The customer reached order.placed',
    );
    expect(calls).toEqual([
      {
        executionArn: executionArn('run-1'),
        error: 'Waymark.Exited',
        cause: 'The customer reached order.placed',
      },
    ]);
  });

  it('describes an execution as parsed input and output', async () => {
    const { sfn } = answeringClient({ input: '{"detail":{"customerId":"c-1"}}', output: 'not json' });
    expect(await createSfnWorkflowControl(sfn).describeExecution(executionArn('run-1'))).toEqual({
      input: { detail: { customerId: 'c-1' } },
      output: undefined,
    });
  });
});

describe('finish handler', () => {
  function captureOutput(): () => string {
    const lines: string[] = [];
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
    }
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) =>
      lines.push(args.map(String).join(' ')),
    );
    vi.spyOn(console, 'info').mockImplementation((...args: unknown[]) =>
      lines.push(args.map(String).join(' ')),
    );
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) =>
      lines.push(args.map(String).join(' ')),
    );
    return () => lines.join('\n');
  }

  it('returns the outcome, counts ExecutionEnds by end, and logs no customer', async () => {
    const runtime = await createTestRuntime(services);
    useRuntime(runtime);
    await inJourney(runtime, 'ana@example.com', 'run-1');
    const output = captureOutput();
    const outcome = await finishHandler(statusEvent('ana@example.com', 'run-1'), lambdaContext);
    const printed = output();
    expect(outcome).toMatchObject({ status: 'finished', action: 'completed' });
    expect(printed).toContain('"ExecutionEnds"');
    expect(printed).toContain('"end":"completed"');
    expect(printed).not.toContain('ana@example.com');
  });

  it('answers a malformed event with its problems instead of throwing into a retry loop, logged as a warning', async () => {
    const runtime = await createTestRuntime(services);
    useRuntime(runtime);
    const output = captureOutput();
    const outcome = await finishHandler(
      { source: 'aws.states', detail: { email: 'ana@example.com' } },
      lambdaContext,
    );
    const printed = output();
    expect(outcome.status).toBe('invalid');
    expect(printed).toContain('status-change event refused');
    expect(printed).not.toContain('ana@example.com');
  });
});
