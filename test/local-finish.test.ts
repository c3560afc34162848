/**
 * An execution's end on one machine: the engine puts the status-change event Step Functions would put
 * on the bus (infra/local/execution-events.ts), the router takes it to the finish function as the
 * rule does on AWS, and an end the engine saved just before a crash still reaches it at the next start.
 */
import { join } from 'node:path';
import { StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../shared/events/pattern.ts';
import { readMembership } from '../shared/store/journeys.ts';
import { readHistory } from '../shared/store/history.ts';
import type { HistoryEntryOf } from '../shared/customer/history.ts';
import type { Runtime } from '../shared/runtime/runtime.ts';
import { executionStatusEvent, STATUS_EVENT_DATA_LIMIT } from '../infra/local/execution-events.ts';
import { type ExecutionRecord, ExecutionStore } from '../infra/local/executions.ts';
import { coreRules } from '../infra/local/router.ts';
import { engineForSuite, startTestEngine, withTempFolder } from './support/local-engine.ts';
import { sampleEvents } from './support/events.ts';

async function journeyEntries(runtime: Runtime, customerId: string): Promise<HistoryEntryOf<'journey'>[]> {
  const stored = await readHistory(runtime.store, customerId, '2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z');
  return stored.flatMap(({ entry }) => (entry.kind === 'journey' ? [entry] : []));
}

function ended(overrides: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return {
    executionArn: 'arn:aws:states:us-east-1:000000000000:execution:chat-followup:run-1',
    name: 'run-1',
    stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:chat-followup',
    journeyId: 'chat-followup',
    customerId: 'c-1',
    status: 'SUCCEEDED',
    input: { detail: { customerId: 'c-1' } },
    output: { customerId: 'c-1', steps: {} },
    startDate: '2026-11-18T12:00:00.000Z',
    stopDate: '2026-11-18T13:00:00.250Z',
    steps: [],
    ...overrides,
  };
}

describe('the status-change event the engine puts on the bus', () => {
  it('has the fields Step Functions gives, the same id for the same end, and reaches the finish rule', () => {
    const event = executionStatusEvent(ended());
    expect(event).toMatchObject({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      account: '000000000000',
      time: '2026-11-18T13:00:00.250Z',
      resources: [ended().executionArn],
      detail: {
        executionArn: ended().executionArn,
        stateMachineArn: ended().stateMachineArn,
        name: 'run-1',
        status: 'SUCCEEDED',
        startDate: Date.parse('2026-11-18T12:00:00.000Z'),
        stopDate: Date.parse('2026-11-18T13:00:00.250Z'),
        input: '{"detail":{"customerId":"c-1"}}',
        inputDetails: { included: true },
        output: '{"customerId":"c-1","steps":{}}',
        outputDetails: { included: true },
        error: null,
        cause: null,
      },
    });
    expect(executionStatusEvent(ended()).id).toBe(event.id);
    expect(executionStatusEvent(ended({ status: 'FAILED' })).id).not.toBe(event.id);
    const rules = coreRules('waymark', sampleEvents());
    const matching = rules.filter((rule) => matchesPattern(rule.eventPattern, event));
    // Only the finish function's: the record rule, say, wants a customer id in the detail.
    expect(matching.map((rule) => rule.target)).toEqual([{ kind: 'function', name: 'finish' }]);
  });

  it('leaves out what EventBridge would not carry: the output past the limit, the input past it with the output', () => {
    const big = 'x'.repeat(STATUS_EVENT_DATA_LIMIT);
    const bigOutput = executionStatusEvent(ended({ output: { big } }));
    expect(bigOutput.detail).toMatchObject({
      output: null,
      outputDetails: { included: false },
      inputDetails: { included: true },
    });
    const half = 'x'.repeat(STATUS_EVENT_DATA_LIMIT / 2);
    const together = executionStatusEvent(ended({ input: { half }, output: { half } }));
    expect(together.detail).toMatchObject({
      input: null,
      inputDetails: { included: false },
      outputDetails: { included: true },
    });
  });
});

describe('an execution ending on the local engine', () => {
  const engine = engineForSuite();

  it('stopped with StopExecution: the finish function frees the place and records "stopped"', async () => {
    await engine.put('cart.abandoned', 'c-local-stop');
    const runtime = engine.host.runtime;
    const [executionArn] = (await readMembership(runtime.store, 'c-local-stop', 'cart-abandonment')).active;
    expect(executionArn).toBeDefined();
    await engine.sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Ops.Stop', cause: 'stopped by ops' }),
    );
    await engine.host.engine.idle();
    expect((await readMembership(runtime.store, 'c-local-stop', 'cart-abandonment')).active).toEqual([]);
    expect(await journeyEntries(runtime, 'c-local-stop')).toContainEqual(
      expect.objectContaining({
        action: 'stopped',
        executionId: executionArn,
        reason: 'Ops.Stop: stopped by ops',
      }),
    );
  });

  it('stopped by a goal: released, and "exited" is the only end recorded', async () => {
    await engine.put('cart.abandoned', 'c-local-goal');
    await engine.put('order.placed', 'c-local-goal');
    await engine.host.engine.idle();
    const runtime = engine.host.runtime;
    expect((await readMembership(runtime.store, 'c-local-goal', 'cart-abandonment')).active).toEqual([]);
    const ends = (await journeyEntries(runtime, 'c-local-goal')).filter(
      (entry) => entry.action !== 'entered' && entry.action !== 'profile-updated',
    );
    expect(ends.map((entry) => entry.action)).toEqual(['exited']);
  });

  it('failed: the event carries the error and, apart from it, the cause, as Step Functions reports them', async () => {
    // An input without the customer id the trigger keeps: enter's parameters cannot be built.
    const stateMachineArn = engine.host.engine
      .stateMachines()
      .find((machine) => machine.name === 'cart-abandonment')?.arn;
    const started = await engine.sfn.send(
      new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ detail: {} }) }),
    );
    await engine.host.engine.idle();
    const record = engine.host.engine.describeExecution(started.executionArn ?? '');
    expect(record).toMatchObject({ status: 'FAILED', error: 'States.Runtime' });
    expect(record.cause).not.toMatch(/^States\.Runtime/);
    expect(executionStatusEvent(record).detail).toMatchObject({
      error: 'States.Runtime',
      cause: record.cause,
    });
  });

  it('succeeded: the place is free and the end recorded once', async () => {
    await engine.put('chat.session.ended', 'c-local-done', { resolved: false });
    await engine.put('chat.session.started', 'c-local-done');
    await engine.host.engine.idle();
    const runtime = engine.host.runtime;
    const [execution] = engine.host.engine.listExecutions(
      engine.host.engine.stateMachines().find((machine) => machine.name === 'chat-followup')?.arn,
    );
    expect(execution).toMatchObject({ customerId: 'c-local-done', status: 'SUCCEEDED' });
    expect((await readMembership(runtime.store, 'c-local-done', 'chat-followup')).active).toEqual([]);
    const completed = (await journeyEntries(runtime, 'c-local-done')).filter(
      (entry) => entry.action === 'completed',
    );
    expect(completed).toHaveLength(1);
  });
});

describe('an end saved just before a crash', () => {
  it('reaches the finish function at the next start, once', async () => {
    await withTempFolder('waymark-finish-restart-', async (dataDir) => {
      // Prepare: an execution waiting, then the engine stops
      const first = await startTestEngine({ dataDir, start: new Date('2026-11-18T12:00:00Z') });
      await first.put('cart.abandoned', 'c-restart');
      const [executionArn] = (await readMembership(first.host.runtime.store, 'c-restart', 'cart-abandonment'))
        .active;
      await first.close();
      // What a kill -9 right after finish() saved the end leaves: the record ended, its event in no journal.
      const store = new ExecutionStore(join(dataDir, 'executions'));
      const record = store.all().find((candidate) => candidate.executionArn === executionArn);
      if (record === undefined) throw new Error('the execution was not saved');
      const { checkpoint: _checkpoint, ...withoutCheckpoint } = record;
      store.save({
        ...withoutCheckpoint,
        status: 'FAILED',
        stopDate: '2026-11-18T12:00:01.000Z',
        error: 'States.TaskFailed',
        cause: 'the engine stopped right after',
        endEventPending: true,
      });
      // Act
      const second = await startTestEngine({ dataDir });
      await second.host.engine.idle();
      const runtime = second.host.runtime;
      // Assess
      expect((await readMembership(runtime.store, 'c-restart', 'cart-abandonment')).active).toEqual([]);
      const failed = (await journeyEntries(runtime, 'c-restart')).filter(
        (entry) => entry.action === 'failed',
      );
      expect(failed).toEqual([
        expect.objectContaining({
          executionId: executionArn,
          time: '2026-11-18T12:00:01.000Z',
          reason: 'States.TaskFailed: the engine stopped right after',
        }),
      ]);
      expect(second.host.engine.describeExecution(executionArn ?? '').endEventPending).toBeUndefined();
      await second.close();
      // A third start finds nothing pending and records nothing more.
      const third = await startTestEngine({ dataDir });
      await third.host.engine.idle();
      expect(
        (await journeyEntries(third.host.runtime, 'c-restart')).filter((entry) => entry.action === 'failed'),
      ).toHaveLength(1);
      await third.close();
    });
  }, 60_000);
});
