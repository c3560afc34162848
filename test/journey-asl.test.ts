/**
 * A sample journey's real compiled ASL, run by the ASL interpreter, with
 * every Task bound to the runtime functions themselves over the local
 * services: the contract between compiler and functions, exercised end to end.
 */
import { describe, expect, it } from 'vitest';
import { deliverTaskSchema, parseTask, stepsTaskSchema } from '../shared/contract/parse.ts';
import { EVENTS_PUT_EVENTS, LAMBDA_INVOKE, LAMBDA_INVOKE_WAIT_FOR_TOKEN } from '../shared/contract/tasks.ts';
import { createAwsChannelGateway } from '../shared/channels/aws-gateway.ts';
import type { WebhookRequest } from '../shared/channels/gateway.ts';
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
/** The endpoint in journeys/settings.json that cart-abandonment's retarget step calls. */
const ADS_AUDIENCE = 'ads-audience';
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

  it('without an order, nudges by SMS (no push endpoint, no WhatsApp consent), sends the offer to the ads audience by webhook and completes', async () => {
    const { runtime, harness, running, webhooks } = await cartJourneyWaiting('c-asl-nudge', {
      ...ANA,
      email: 'c-asl-nudge@example.com',
      phone: '+5511911112222',
    });
    harness.timeOutWaits();
    const report = await running;
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual(expect.arrayContaining(['remind', 'nudge', 'retarget', 'done']));
    expect(report.entered).not.toContain('retarget.failed');
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
    expect(messages.map((entry) => [entry.stepId, entry.channel])).toEqual([
      ['remind', 'email'],
      ['nudge', 'sms'],
      ['retarget', 'webhook'],
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
    expect(second.entered).toContain('Waymark.NotAdmitted');
    expect(second.calls.filter((call) => call.state === 'remind')).toHaveLength(0);
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
  });
});
