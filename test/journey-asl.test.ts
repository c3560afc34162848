/**
 * A sample journey's real compiled ASL, run by the ASL interpreter, with
 * every Task bound to the runtime functions themselves over the local
 * services: the contract between compiler and functions, exercised end to end.
 */
import { describe, expect, it } from 'vitest';
import { deliverTaskSchema, parseTask, stepsTaskSchema } from '../shared/contract/parse.ts';
import {
  type DeliveryOutcome,
  EVENTS_PUT_EVENTS,
  LAMBDA_INVOKE,
  LAMBDA_INVOKE_WAIT_FOR_TOKEN,
  TASK_ERRORS,
} from '../shared/contract/tasks.ts';
import { createAwsChannelGateway } from '../shared/channels/aws-gateway.ts';
import type { WebhookRequest } from '../shared/channels/gateway.ts';
import { compileJourney, STATE } from '../shared/journey/compile.ts';
import { isRecord, toJsonValue } from '../shared/json.ts';
import { deliver } from '../shared/runtime/deliver.ts';
import { DeferredError } from '../shared/runtime/errors.ts';
import { EXECUTION_STATUS_CHANGE, finishExecution, type FinishOutcome } from '../shared/runtime/finish.ts';
import { resumeWaits } from '../shared/runtime/resume.ts';
import { runStepsTask } from '../shared/runtime/steps.ts';
import { readMembership } from '../shared/store/journeys.ts';
import { waitsFor } from '../shared/store/waits.ts';
import {
  type ExecutionReport,
  FAKE_ACCOUNT,
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
/** The endpoint in journeys/settings.json that cart-abandonment's retarget step calls. */
const ADS_AUDIENCE = 'ads-audience';
let executions = 0;

interface Harness {
  service: FakeService;
  /** The execution context on the runtime's clock, as Step Functions would give it. */
  settings: RunSettings;
  /** The execution's ARN, `$$.Execution.Id`: what the functions key the customer's place by. */
  executionArn: string;
  emitted: unknown[];
  /** Ends every parked waitForEvent step the way Step Functions does when TimeoutSeconds passes. */
  timeOutWaits: () => void;
  /** Deferrals the deliver function threw, in order. */
  deferrals: DeliveryOutcome[];
}

/** The state machine of a journey as the local engine names it: the journey id. */
function stateMachineArn(journeyId: string): string {
  return `arn:aws:states:us-east-1:${FAKE_ACCOUNT}:stateMachine:${journeyId}`;
}

/**
 * What Step Functions puts on the bus when the execution ends, handed to the finish function as the
 * ExecutionEnds rule does: the state machines end without a Task for it.
 */
async function endOf(
  runtime: TestRuntime,
  harness: Harness,
  input: unknown,
  report: ExecutionReport,
): Promise<FinishOutcome> {
  const failed = report.events.find((event) => event.type === 'ExecutionFailed');
  const stopDate = runtime.now().getTime();
  return finishExecution(
    {
      version: '0',
      id: `status-${harness.executionArn}`,
      'detail-type': EXECUTION_STATUS_CHANGE,
      source: 'aws.states',
      account: FAKE_ACCOUNT,
      time: new Date(stopDate).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: 'us-east-1',
      resources: [harness.executionArn],
      detail: {
        executionArn: harness.executionArn,
        stateMachineArn: stateMachineArn('cart-abandonment'),
        name: harness.executionArn.split(':').pop(),
        status: report.status,
        startDate: stopDate - 60_000,
        stopDate,
        input: JSON.stringify(input),
        inputDetails: { included: true },
        output: report.output === undefined ? null : JSON.stringify(report.output),
        outputDetails: { included: true },
        error: failed?.type === 'ExecutionFailed' ? failed.Error : null,
        cause: failed?.type === 'ExecutionFailed' ? failed.Cause : null,
      },
    },
    runtime,
  );
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
  const deferrals: DeliveryOutcome[] = [];
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
      const task = parseTask(deliverTaskSchema, parameters.Payload);
      const outcome = await deliver(task, runtime);
      // As functions/deliver/handler.ts: a deferral is thrown for a definition that catches it.
      if ((outcome.status === 'deferred' || outcome.status === 'rate-limited') && task.deferral === 'error') {
        deferrals.push(outcome);
        // The Wait that follows takes no time here: the runtime's clock moves to its end instead.
        runtime.clock.now = new Date(outcome.resumeAt);
        throw new DeferredError(outcome);
      }
      return toJson(outcome);
    }
    return toJson(await runStepsTask(parseTask(stepsTaskSchema, parameters.Payload), runtime));
  };
  const timeOutWaits = () => {
    for (const [token, waiting] of parked) {
      parked.delete(token);
      waiting.reject(Object.assign(new Error('the wait timed out'), { name: 'States.Timeout' }));
    }
  };
  const executionArn = `arn:aws:states:us-east-1:${FAKE_ACCOUNT}:execution:cart-abandonment:${runtime.store.table}-${(executions += 1)}`;
  const settings: RunSettings = {
    context: {
      Execution: { Id: executionArn },
      State: {
        get EnteredTime() {
          return runtime.now().toISOString();
        },
      },
    },
  };
  return { service, emitted, timeOutWaits, settings, executionArn, deferrals };
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

const WEBHOOK_SECRET = 'test-webhook-secret-not-for-production';

/**
 * The services' gateway, but webhooks are recorded and answered with a 202 instead of going to the
 * placeholder URL in settings; the signing secret set as on a deployment.
 */
async function runtimeWithWebhooks(): Promise<{ runtime: TestRuntime; webhooks: WebhookRequest[] }> {
  const webhooks: WebhookRequest[] = [];
  const runtime = await createTestRuntime(services, {
    channels: {
      ...createAwsChannelGateway(services.clients),
      callWebhook: (request) => {
        webhooks.push(request);
        return Promise.resolve({ ok: true, messageId: request.idempotencyKey, response: 'HTTP 202' });
      },
    },
  });
  const secretName = runtime.project.settings.webhooks[ADS_AUDIENCE]?.secret;
  runtime.secrets = {
    get: (name) => Promise.resolve(name === secretName ? WEBHOOK_SECRET : undefined),
  };
  return { runtime, webhooks };
}

/** A customer with these profile fields abandons a cart; the journey runs until its wait for an order. */
async function cartJourneyWaiting(customerId: string, fields: Record<string, unknown>) {
  const { runtime, webhooks } = await runtimeWithWebhooks();
  await seedCustomer(runtime, customerId, fields);
  const harness = bindFunctions(runtime);
  const machine = cartJourney(runtime);
  const running = machine.run(toJsonValue(cartTrigger(customerId)), harness.service, harness.settings);
  await untilWaiting(runtime, customerId);
  return { runtime, harness, machine, running, webhooks };
}

/** The retargeting webhook the journey called, with its body read as JSON. */
function retargetWebhook(webhooks: readonly WebhookRequest[], customerId: string) {
  const calls = webhooks.filter((request) => request.meta.customerId === customerId);
  expect(calls).toHaveLength(1);
  const [call] = calls;
  if (call === undefined) throw new Error('no webhook');
  const body: unknown = JSON.parse(call.body);
  return { call, body };
}

describe('cart-abandonment compiled ASL over the runtime functions', () => {
  it('emails a reminder, then an order resumes the wait and ends the journey', async () => {
    const { runtime, harness, running } = await cartJourneyWaiting('c-asl-order', {
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
    // The wait for the order ends the execution itself: "purchased" is no state.
    expect(report.entered).toEqual([STATE.enter, STATE.admitted, 'wait-an-hour', 'remind', 'await-order']);
    expect(await services.emailsTo('c-asl-order@example.com')).toHaveLength(1);
    // Until its status-change event reaches the finish function, the customer holds the place.
    expect((await readMembership(runtime.store, 'c-asl-order', 'cart-abandonment')).active).toEqual([
      harness.executionArn,
    ]);
    const end = await endOf(runtime, harness, cartTrigger('c-asl-order'), report);
    expect(end).toEqual({
      status: 'finished',
      journeyId: 'cart-abandonment',
      execution: 'SUCCEEDED',
      action: 'completed',
      recorded: true,
    });
    const journeyEntries = await historyEntries(runtime, 'c-asl-order', 'journey');
    expect(journeyEntries.map((entry) => [entry.action, entry.executionId])).toEqual([
      ['completed', harness.executionArn],
    ]);
    expect((await readMembership(runtime.store, 'c-asl-order', 'cart-abandonment')).active).toEqual([]);
  });

  it('without an order, nudges by SMS (no push endpoint, no WhatsApp consent), sends the offer to the ads audience by webhook and completes', async () => {
    const { runtime, harness, running, webhooks } = await cartJourneyWaiting('c-asl-nudge', {
      ...ANA,
      email: 'c-asl-nudge@example.com',
      phone: '+5511911112222',
    });
    harness.timeOutWaits();
    const report = await running;
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual([
      STATE.enter,
      STATE.admitted,
      'wait-an-hour',
      'remind',
      'await-order',
      'nudge',
      'retarget',
    ]);
    // The webhook, the last step, freed the place and recorded the end with its own writes.
    expect(report.output).toMatchObject({ final: { outcome: { status: 'sent', finished: true } } });
    expect((await readMembership(runtime.store, 'c-asl-nudge', 'cart-abandonment')).active).toEqual([]);
    // Its history entry says the journey completed with it: no journey entry of its own.
    expect(await historyEntries(runtime, 'c-asl-nudge', 'journey')).toEqual([]);
    // Its status-change event then costs the finish function nothing.
    expect(await endOf(runtime, harness, cartTrigger('c-asl-nudge'), report)).toMatchObject({
      status: 'ignored',
      reason: 'finished-by-step',
    });
    const sms = services.sns
      .published()
      .filter((message) => message.kind === 'sms' && message.phoneNumber === '+5511911112222');
    expect(sms).toHaveLength(1);
    // retarget is a delivery now, through the deliver function: nothing goes on the bus.
    const retargetTask = report.calls.find((call) => call.state === 'retarget');
    expect(retargetTask?.resource).toBe(LAMBDA_INVOKE);
    expect(retargetTask?.input).toMatchObject({
      FunctionName: FAKE_BINDINGS.DeliverFunctionArn,
      Payload: { target: { channel: 'webhook', endpoint: ADS_AUDIENCE, reaches: 'system' } },
    });
    expect(harness.emitted).toEqual([]);
    const { call, body } = retargetWebhook(webhooks, 'c-asl-nudge');
    expect(call).toMatchObject({
      endpoint: ADS_AUDIENCE,
      url: runtime.project.settings.webhooks[ADS_AUDIENCE]?.url,
      secret: WEBHOOK_SECRET,
      meta: { journeyId: 'cart-abandonment', stepId: 'retarget' },
    });
    // The offer code travels: journeys/templates/cart-retarget/webhook.json.liquid renders it.
    expect(body).toEqual({
      audience: 'cart-abandoners',
      customerId: 'c-asl-nudge',
      cartId: cartTrigger('c-asl-nudge').detail.cartId,
      offerCode: 'CART10',
      reason: 'No order within a day of cart.abandoned',
    });
    const messages = await historyEntries(runtime, 'c-asl-nudge', 'message');
    expect(
      messages.map((entry) => [entry.stepId, entry.channel, entry.kind === 'message' && entry.completes]),
    ).toEqual([
      ['remind', 'email', undefined],
      ['nudge', 'sms', undefined],
      ['retarget', 'webhook', true],
    ]);
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
    expect(second.entered).toEqual([STATE.enter, STATE.admitted, STATE.notAdmitted]);
    expect(second.calls.map((call) => call.state)).toEqual([STATE.enter]);
    expect(second.output).toMatchObject({ entry: { outcome: { admitted: false, values: {} } } });
  });

  it('a customer with no address finishes the journey with every skip recorded', async () => {
    const { runtime, harness, running, webhooks } = await cartJourneyWaiting('c-asl-nobody', {
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
    // The webhook reaches the ads system, not the customer: it needs no address of theirs.
    expect(retargetWebhook(webhooks, 'c-asl-nobody').body).toMatchObject({
      customerId: 'c-asl-nobody',
      offerCode: 'CART10',
    });
    // Not sent, and on all the same: no outcome Choice on the way.
    expect(report.entered.slice(-3)).toEqual(['await-order', 'nudge', 'retarget']);
  });

  it('a nudge in quiet hours is thrown as Waymark.Deferred, waits, and goes out by SMS when they end', async () => {
    const { runtime, harness, running } = await cartJourneyWaiting('c-asl-quiet', {
      ...ANA,
      email: 'c-asl-quiet@example.com',
      phone: '+5511933334444',
    });
    // 22:00 in São Paulo: SMS is quiet until 08:00 there (11:00 UTC).
    runtime.clock.now = new Date('2026-11-19T01:00:00Z');
    harness.timeOutWaits();
    const report = await running;
    expect(report.status, JSON.stringify(report.error)).toBe('SUCCEEDED');
    expect(report.entered.slice(4)).toEqual([
      'await-order',
      'nudge',
      'nudge.deferral',
      'nudge.deferredOutcome',
      'nudge.deferredWhy',
      'nudge.quietHours',
      'nudge',
      'retarget',
    ]);
    expect(harness.deferrals).toEqual([expect.objectContaining({ status: 'deferred', channel: 'sms' })]);
    const [deferral] = harness.deferrals;
    // What the state machine parsed from the error's cause is the deliver function's outcome.
    const quiet = report.events.find(
      (event) => event.type === 'StateEntered' && event.state.name === 'nudge.quietHours',
    );
    expect(quiet?.type === 'StateEntered' && quiet.state.input).toMatchObject({
      steps: { nudge: { outcome: deferral } },
    });
    expect(deferral?.status === 'deferred' && deferral.resumeAt).toBe('2026-11-19T11:00:00.000Z');
    const messages = await historyEntries(runtime, 'c-asl-quiet', 'message');
    const nudge = messages.find((entry) => entry.stepId === 'nudge');
    expect(nudge).toMatchObject({ channel: 'sms' });
    expect(Date.parse(nudge?.time ?? '')).toBeGreaterThanOrEqual(Date.parse('2026-11-19T11:00:00Z'));
    // A deferral is no failure: nothing recorded as one.
    expect(report.calls.map((call) => call.state)).not.toContain('nudge.failed');
    expect(report.calls.filter((call) => call.state === 'nudge')).toHaveLength(2);
    expect(TASK_ERRORS.deferred).toBe('Waymark.Deferred');
  });

  it('a failing step fails the execution with its error and cause, and the finish function records it', async () => {
    const { runtime } = await runtimeWithWebhooks();
    await seedCustomer(runtime, 'c-asl-broken', { ...ANA, email: 'c-asl-broken@example.com' });
    const harness = bindFunctions(runtime);
    const broken: FakeService = (call) => {
      if (call.state === 'await-order') throw new Error('the wait could not be registered');
      return harness.service(call);
    };
    const input = toJsonValue(cartTrigger('c-asl-broken'));
    const report = await cartJourney(runtime).run(input, broken, harness.settings);
    expect(report.status).toBe('FAILED');
    expect(report.entered.slice(-2)).toEqual(['await-order', STATE.failed]);
    const failed = report.events.find((event) => event.type === 'ExecutionFailed');
    expect(failed?.type === 'ExecutionFailed' && [failed.Error, failed.Cause]).toEqual([
      'Error',
      JSON.stringify({ errorType: 'Error', errorMessage: 'the wait could not be registered', trace: [] }),
    ]);
    expect(await endOf(runtime, harness, input, report)).toMatchObject({
      status: 'finished',
      execution: 'FAILED',
      action: 'failed',
      recorded: true,
    });
    const journeyEntries = await historyEntries(runtime, 'c-asl-broken', 'journey');
    expect(journeyEntries.map((entry) => [entry.action, entry.reason])).toEqual([
      ['failed', 'Error: the wait could not be registered'],
    ]);
    expect((await readMembership(runtime.store, 'c-asl-broken', 'cart-abandonment')).active).toEqual([]);
  });
});
