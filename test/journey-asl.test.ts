/**
 * A sample journey's real compiled ASL, run by the ASL interpreter, with
 * every Task bound to the runtime functions themselves over the local
 * services: the contract between compiler and functions, exercised end to end.
 */
import { describe, expect, it } from 'vitest';
import { deliverTaskSchema, parseTask, stepsTaskSchema } from '../shared/contract/parse.ts';
import { EVENTS_PUT_EVENTS, LAMBDA_INVOKE, LAMBDA_INVOKE_WAIT_FOR_TOKEN } from '../shared/contract/tasks.ts';
import { compileJourney } from '../shared/journey/compile.ts';
import { isRecord, toJsonValue } from '../shared/json.ts';
import { deliver } from '../shared/runtime/deliver.ts';
import { resumeWaits } from '../shared/runtime/resume.ts';
import { runStepsTask } from '../shared/runtime/steps.ts';
import { readMembership } from '../shared/store/journeys.ts';
import { waitsFor } from '../shared/store/waits.ts';
import {
  FAKE_BINDINGS,
  type FakeService,
  isJsonValue,
  LocalStateMachine,
  type RunSettings,
} from './support/asl-interpreter.ts';
import { ANA, cartTrigger, envelope, fixtureEvent, seedCustomer } from './support/runtime-fixtures.ts';
import {
  createTestRuntime,
  historyEntries,
  localServicesForFile,
  type TestRuntime,
} from './support/runtime-services.ts';

const services = localServicesForFile();
let executions = 0;

interface Harness {
  service: FakeService;
  /** The execution context on the runtime's clock, as Step Functions would give it. */
  settings: RunSettings;
  emitted: unknown[];
  /** Ends every parked waitForEvent step the way Step Functions does when TimeoutSeconds passes. */
  timeOutWaits: () => void;
}

/** Binds lambda:invoke to the functions by ARN, and parks token tasks until SendTaskSuccess. */
function bindFunctions(runtime: TestRuntime): Harness {
  const parked = new Map<string, { resolve: (output: unknown) => void; reject: (error: Error) => void }>();
  runtime.workflows.sendTaskSuccess = (taskToken, output) => {
    const waiting = parked.get(taskToken);
    parked.delete(taskToken);
    waiting?.resolve(output);
    return Promise.resolve(waiting !== undefined);
  };
  const emitted: unknown[] = [];
  const service: FakeService = async (call) => {
    // Each step takes a moment, as on AWS, so the history keeps the order things happened in.
    runtime.clock.now = new Date(runtime.clock.now.getTime() + 1000);
    const parameters = isRecord(call.input) ? call.input : {};
    const toJson = (value: unknown) => (isJsonValue(value) ? value : null);
    if (call.resource === EVENTS_PUT_EVENTS) {
      emitted.push(parameters);
      return { Entries: [{ EventId: 'emitted-1' }], FailedEntryCount: 0 };
    }
    if (call.resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN) {
      const task = parseTask(stepsTaskSchema, parameters.Payload);
      if (task.task !== 'awaitEvent') throw new Error('only awaitEvent waits for a token');
      const result = new Promise<unknown>((resolve, reject) =>
        parked.set(task.taskToken, { resolve, reject }),
      );
      // The test may time the wait out while awaitEvent is still registering: handled below, not lost.
      result.catch(() => undefined);
      await runStepsTask(task, runtime);
      return toJson(await result);
    }
    if (call.resource !== LAMBDA_INVOKE) throw new Error(`unexpected resource ${call.resource}`);
    if (parameters.FunctionName === FAKE_BINDINGS.DeliverFunctionArn) {
      return toJson(await deliver(parseTask(deliverTaskSchema, parameters.Payload), runtime));
    }
    return toJson(await runStepsTask(parseTask(stepsTaskSchema, parameters.Payload), runtime));
  };
  const timeOutWaits = () => {
    for (const [token, waiting] of parked) {
      parked.delete(token);
      waiting.reject(Object.assign(new Error('the wait timed out'), { name: 'States.Timeout' }));
    }
  };
  const settings: RunSettings = {
    context: {
      Execution: { Id: `exec-${runtime.store.table}-${(executions += 1)}` },
      State: {
        get EnteredTime() {
          return runtime.now().toISOString();
        },
      },
    },
  };
  return { service, emitted, timeOutWaits, settings };
}

async function untilWaiting(runtime: TestRuntime, customerId: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if ((await waitsFor(runtime.store, customerId, 'order.placed')).length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the journey never reached its wait');
}

function cartJourney(runtime: TestRuntime): LocalStateMachine {
  const journey = runtime.project.journeys.find((candidate) => candidate.id === 'cart-abandonment');
  if (journey === undefined) throw new Error('sample journey missing');
  return new LocalStateMachine(
    compileJourney(journey, runtime.project.settings, runtime.project.events).definition,
  );
}

/** A customer with these profile fields abandons a cart; the journey runs until its wait for an order. */
async function cartJourneyWaiting(customerId: string, fields: Record<string, unknown>) {
  const runtime = await createTestRuntime(services);
  await seedCustomer(runtime, customerId, fields);
  const harness = bindFunctions(runtime);
  const machine = cartJourney(runtime);
  const running = machine.run(toJsonValue(cartTrigger(customerId)), harness.service, harness.settings);
  await untilWaiting(runtime, customerId);
  return { runtime, harness, machine, running };
}

describe('cart-abandonment compiled ASL over the runtime functions', () => {
  it('emails a reminder, then an order resumes the wait and ends the journey', async () => {
    const { runtime, running } = await cartJourneyWaiting('c-asl-order', {
      ...ANA,
      email: 'c-asl-order@example.com',
    });
    const order = fixtureEvent('order.placed');
    await resumeWaits(
      envelope('order.placed', { ...order.detail, customerId: 'c-asl-order' }, '2026-11-18T15:30:00Z'),
      runtime,
    );
    const report = await running;
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toContain('purchased');
    expect(report.entered).not.toContain('nudge');
    expect(await services.emailsTo('c-asl-order@example.com')).toHaveLength(1);
    const journeyEntries = await historyEntries(runtime, 'c-asl-order', 'journey');
    expect(journeyEntries.map((entry) => entry.action)).toEqual(['entered', 'completed']);
    expect((await readMembership(runtime.store, 'c-asl-order', 'cart-abandonment')).active).toEqual([]);
  });

  it('without an order, nudges by SMS (no push endpoint), emits the retargeting event and completes', async () => {
    const { harness, running } = await cartJourneyWaiting('c-asl-nudge', {
      ...ANA,
      email: 'c-asl-nudge@example.com',
      phone: '+5511911112222',
    });
    harness.timeOutWaits();
    const report = await running;
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual(expect.arrayContaining(['remind', 'nudge', 'retarget', 'done']));
    const sms = services.sns
      .published()
      .filter((message) => message.kind === 'sms' && message.phoneNumber === '+5511911112222');
    expect(sms).toHaveLength(1);
    expect(JSON.stringify(harness.emitted)).toContain('CART10');
  });

  it('the same cart event a second time starts nothing new', async () => {
    const {
      runtime,
      harness,
      machine,
      running: first,
    } = await cartJourneyWaiting('c-asl-dup', {
      ...ANA,
      email: 'c-asl-dup@example.com',
    });
    const second = await machine.run(
      toJsonValue(cartTrigger('c-asl-dup')),
      harness.service,
      bindFunctions(runtime).settings,
    );
    harness.timeOutWaits();
    await first;
    expect(second.status).toBe('SUCCEEDED');
    expect(second.entered).toContain('Waymark.NotAdmitted');
    expect(second.calls.filter((call) => call.state === 'remind')).toHaveLength(0);
  });

  it('a customer with no address finishes the journey with every skip recorded', async () => {
    const { runtime, harness, running } = await cartJourneyWaiting('c-asl-nobody', {
      consent: { email: 'opted-in' },
    });
    harness.timeOutWaits();
    const report = await running;
    expect(report.status).toBe('SUCCEEDED');
    const skipped = await historyEntries(runtime, 'c-asl-nobody', 'skipped');
    expect(skipped.map((entry) => [entry.stepId, entry.status])).toEqual([
      ['remind', 'no-address'],
      // An address is checked before consent: without one, consent does not matter.
      ['nudge', 'no-address'],
    ]);
  });
});
