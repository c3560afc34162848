/**
 * Compiled journeys executed by aws-local-stepfunctions, the real ASL
 * interpreter, with fake functions that answer what the real ones would.
 * Each machine is built once (construction validates, about 100 ms) and run
 * many times; waits and retry intervals take 0 ms.
 */
import { STANDARD_POLICIES } from '../shared/journey/policies.ts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type DeliveryOutcome,
  type EntryDecision,
  EVENTS_PUT_EVENTS,
  LAMBDA_INVOKE,
  LAMBDA_INVOKE_WAIT_FOR_TOKEN,
  PLACEHOLDERS,
  type StepsTaskKind,
  type StepsTaskResults,
  TASK_ERRORS,
} from '../shared/contract/tasks.ts';
import { compileJourney, STATE } from '../shared/journey/compile.ts';
import { type Journey, journeySchema } from '../shared/journey/schema.ts';
import { splitHash, splitPathIndex } from '../shared/journey/split.ts';
import {
  type ExecutionReport,
  FAKE_BINDINGS,
  type FakeService,
  isJsonObject,
  isRecord,
  type JsonObject,
  type JsonValue,
  LocalStateMachine,
  type RunSettings,
} from './support/asl-interpreter.ts';
import { cartWithEmitStep } from './support/emit-step.ts';
import { project, readEvent, sample, settings, withDetail } from './support/project.ts';
import { sampleEvents } from './support/events.ts';

const PAST = '2020-01-01T00:00:00.000Z';
const CART_VALUES = {
  offerCode: 'CART10',
  offerText: '10% off your cart',
  cartUrl: 'https://shop.example.com/cart/cart-7f3a91',
};
const ADMITTED = { admitted: true, values: CART_VALUES } satisfies EntryDecision;
const SENT = { status: 'sent', channel: 'email', messageId: 'm1' } satisfies DeliveryOutcome;
const FINISHED = { finished: true } satisfies StepsTaskResults['finish'];

type FakeFunction = (payload: JsonObject) => JsonValue | Promise<JsonValue>;
/** One fake per task of the steps function, one for deliver, one for EventBridge PutEvents. */
type Fakes = Record<StepsTaskKind | 'deliver' | 'putEvents', FakeFunction>;

const STEPS_TASK_KINDS: Record<StepsTaskKind, true> = {
  enter: true,
  evaluate: true,
  schedule: true,
  updateProfile: true,
  awaitEvent: true,
  recordFailure: true,
  finish: true,
};

function isStepsTaskKind(value: unknown): value is StepsTaskKind {
  return typeof value === 'string' && Object.keys(STEPS_TASK_KINDS).includes(value);
}

function machineFor(journey: Journey): LocalStateMachine {
  return new LocalStateMachine(compileJourney(journey, settings, sampleEvents()).definition);
}

/** An error as a function (or SendTaskFailure) raises it: the ASL matches on `name`. */
function taskError(name: string): Error {
  const error = new Error(`${name} (raised by a fake)`);
  error.name = name;
  return error;
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) current = isRecord(current) ? current[key] : undefined;
  return current;
}

interface Invocation {
  state: string;
  task: string;
  payload: JsonObject;
}

/**
 * Fake AWS behind the Tasks. A contract violation is recorded before the
 * handler fails: the failure itself is caught by the state machine's own
 * Catch and would otherwise show up only as a strange path.
 */
class FakeAws {
  readonly invocations: Invocation[] = [];
  readonly violations: string[] = [];
  private readonly fakes: Fakes;

  constructor(overrides: Partial<Fakes>) {
    this.fakes = {
      enter: () => ADMITTED,
      evaluate: () => ({ matched: 0 }),
      schedule: () => ({ resumeAt: PAST }),
      updateProfile: () => ({ updated: ['lastSupportCallAt', 'lastSupportCaseId', 'supportTone'] }),
      awaitEvent: () => {
        throw taskError('States.Timeout');
      },
      recordFailure: () => ({ recorded: true }),
      finish: () => FINISHED,
      deliver: () => SENT,
      putEvents: () => ({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] }),
      ...overrides,
    };
  }

  readonly service: FakeService = async ({ state, resource, input }) => {
    if (!isJsonObject(input)) return this.violation(`${state}: the Task input is not an object`);
    if (resource === EVENTS_PUT_EVENTS) {
      this.invocations.push({ state, task: 'putEvents', payload: input });
      return this.fakes.putEvents(input);
    }
    if (resource !== LAMBDA_INVOKE && resource !== LAMBDA_INVOKE_WAIT_FOR_TOKEN) {
      return this.violation(`${state}: unexpected Resource ${resource}`);
    }
    const { FunctionName: functionName, Payload: payload } = input;
    if (!isJsonObject(payload)) return this.violation(`${state}: no Payload object`);
    const task = payload.task;
    if (typeof task !== 'string') return this.violation(`${state}: the payload has no task`);
    this.invocations.push({ state, task, payload });
    if (typeof payload.executionId !== 'string' || payload.executionId === '')
      this.violation(`${state}: no executionId`);
    if (typeof payload.customerId !== 'string') this.violation(`${state}: no customerId`);
    // Only the deliver function may send; it must never be invoked for anything else.
    const expectedFunction =
      task === 'deliver'
        ? FAKE_BINDINGS[PLACEHOLDERS.deliverFunction]
        : FAKE_BINDINGS[PLACEHOLDERS.stepsFunction];
    if (functionName !== expectedFunction)
      this.violation(`${state}: ${task} sent to ${JSON.stringify(functionName)}`);
    if ((resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN) !== (task === 'awaitEvent')) {
      this.violation(`${state}: ${task} through ${resource}`);
    }
    if (task === 'awaitEvent' && (typeof payload.taskToken !== 'string' || payload.taskToken.length < 10)) {
      this.violation(`${state}: no task token`);
    }
    if (task === 'deliver') return this.fakes.deliver(payload);
    if (!isStepsTaskKind(task)) return this.violation(`${state}: unknown task ${task}`);
    return this.fakes[task](payload);
  };

  calls(task: string): Invocation[] {
    return this.invocations.filter((invocation) => invocation.task === task);
  }

  /** The send states deliver was invoked for, in order, every attempt included. */
  sends(): string[] {
    return this.calls('deliver').map((invocation) => invocation.state);
  }

  private violation(message: string): never {
    this.violations.push(message);
    throw new Error(message);
  }
}

async function execute(
  machine: LocalStateMachine,
  input: JsonObject,
  overrides: Partial<Fakes> = {},
  runSettings: RunSettings = {},
): Promise<{ report: ExecutionReport; aws: FakeAws }> {
  const aws = new FakeAws(overrides);
  const report = await machine.run(input, aws.service, runSettings);
  expect(aws.violations).toEqual([]);
  return { report, aws };
}

const ENTRY = [STATE.start, STATE.enter, STATE.admitted];
/** cart-abandonment up to its wait for an order, when the reminder goes out at once. */
const CART_UNTIL_AWAIT = [...ENTRY, 'wait-an-hour', 'remind', 'remind.outcome', 'await-order'];

afterEach(() => {
  vi.useRealTimers();
});

describe('cart-abandonment in the ASL interpreter', () => {
  const machine = machineFor(sample('cart-abandonment'));
  const cart = readEvent('cart.abandoned');
  const order = readEvent('order.placed');

  it('an order while waiting ends the journey as purchased, with no nudge', async () => {
    const awaitedOrder = {
      eventId: 'order-event-1',
      detailType: 'order.placed',
      time: '2026-03-12T15:00:00Z',
    };
    const { report, aws } = await execute(machine, cart, { awaitEvent: () => awaitedOrder });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual([...CART_UNTIL_AWAIT, 'purchased', STATE.completed]);
    expect(aws.sends()).toEqual(['remind']);
    // Whatever SendTaskSuccess hands over (by contract a small AwaitedEvent) lands under the step id.
    expect(valueAt(report.output, ['steps', 'await-order'])).toEqual(awaitedOrder);
    const [awaited] = aws.calls('awaitEvent');
    expect(awaited?.payload).toMatchObject({
      stepId: 'await-order',
      event: { event: 'order.placed' },
      timeoutSeconds: 23 * 3600,
      customerId: 'cust-1001',
      journeyId: 'cart-abandonment',
    });
    expect(aws.calls('finish').map((call) => call.payload.stepId)).toEqual(['purchased']);
  });

  it('no order within the timeout: nudge, then the offer to the ads audience by webhook, done', async () => {
    const webhookSent = { status: 'sent', channel: 'webhook', messageId: 'w1' } satisfies DeliveryOutcome;
    const { report, aws } = await execute(machine, cart, {
      deliver: (payload) => (payload.stepId === 'retarget' ? webhookSent : SENT),
    });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual([
      ...CART_UNTIL_AWAIT,
      'nudge',
      'nudge.outcome',
      'retarget',
      'done',
      STATE.completed,
    ]);
    expect(aws.sends()).toEqual(['remind', 'nudge', 'retarget']);
    expect(valueAt(report.output, ['steps', 'await-order', 'timeout', 'Error'])).toBe('States.Timeout');
    const [, nudge, retarget] = aws.calls('deliver');
    expect(nudge?.payload).toMatchObject({
      channels: ['push', 'whatsapp', 'sms', 'email'],
      template: 'cart-nudge',
      values: CART_VALUES,
    });
    // A delivery like any other, to the endpoint settings.json names; the webhook template renders
    // the offer code from the values handed over here.
    expect(retarget?.payload).toMatchObject({
      stepId: 'retarget',
      channels: ['webhook'],
      target: { channel: 'webhook', endpoint: 'ads-audience', reaches: 'system' },
      template: 'cart-retarget',
      category: 'marketing',
      customerId: 'cust-1001',
      journeyId: 'cart-abandonment',
      values: CART_VALUES,
    });
    expect(settings.webhooks['ads-audience']?.url).toMatch(/^https:\/\//);
    expect(project.templates.get('cart-retarget')?.files['webhook.json.liquid']).toContain(
      '{{ values.offerCode | json }}',
    );
    expect(aws.calls('putEvents')).toEqual([]);
    // What deliver answered lands under the step id, as for every send.
    expect(valueAt(report.output, ['steps', 'retarget', 'outcome'])).toEqual(webhookSent);
  });

  // No sample emits an event any more; retarget as it was (an emit step) keeps PutEvents covered.
  it('with retarget an emit step: the retargeting event with the offer goes on the bus, done', async () => {
    const { report, aws } = await execute(machineFor(cartWithEmitStep()), cart);
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual([
      ...CART_UNTIL_AWAIT,
      'nudge',
      'nudge.outcome',
      'retarget',
      'done',
      STATE.completed,
    ]);
    expect(aws.sends()).toEqual(['remind', 'nudge']);
    const [put] = aws.calls('putEvents');
    expect(put?.state).toBe('retarget');
    expect(put?.payload.Entries).toEqual([
      {
        EventBusName: FAKE_BINDINGS[PLACEHOLDERS.eventBus],
        Source: 'waymark.journeys',
        DetailType: 'retargeting.audience.requested',
        Detail: expect.objectContaining({
          customerId: 'cust-1001',
          journeyId: 'cart-abandonment',
          offerCode: 'CART10',
          audience: 'cart-abandoners',
        }),
      },
    ]);
    // A successful PutEvents leaves nothing in the state: a rejected entry would have failed the task.
    expect(valueAt(report.output, ['steps', 'retarget'])).toBeUndefined();
  });

  it("the interpreter's own Task timer (TimeoutSeconds) takes the timeout path", async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let markParked: () => void = () => {};
    const parked = new Promise<void>((resolve) => {
      markParked = resolve;
    });
    let nudged = false;
    // Parked like a real callback task: only the Task's TimeoutSeconds can end it.
    const running = execute(machine, cart, {
      awaitEvent: () => {
        markParked();
        return new Promise<JsonValue>(() => {});
      },
      deliver: (payload) => {
        if (payload.stepId === 'nudge') nudged = true;
        return SENT;
      },
    });
    await parked;
    await vi.advanceTimersByTimeAsync(23 * 3600 * 1000 - 1000);
    expect(nudged).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    const { report, aws } = await running;
    expect(report.status).toBe('SUCCEEDED');
    expect(nudged).toBe(true);
    expect(valueAt(report.output, ['steps', 'await-order', 'timeout', 'Error'])).toBe('States.Timeout');
    // The timeout path goes on to the end: the nudge, then the retargeting webhook.
    expect(aws.sends()).toEqual(['remind', 'nudge', 'retarget']);
    expect(report.entered.slice(-2)).toEqual(['done', STATE.completed]);
  });

  it('a duplicate event is turned away without any message', async () => {
    const { report, aws } = await execute(machine, cart, {
      enter: () => ({ admitted: false, reason: 'duplicate-event' }) satisfies EntryDecision,
    });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual([...ENTRY, STATE.notAdmitted]);
    expect(aws.calls('deliver')).toEqual([]);
  });

  it('a send deferred by quiet hours is tried again when they end', async () => {
    let remindAttempts = 0;
    const { report, aws } = await execute(
      machine,
      cart,
      {
        deliver: (payload) => {
          if (payload.stepId !== 'remind') return SENT;
          remindAttempts += 1;
          return remindAttempts === 1
            ? ({
                status: 'deferred',
                resumeAt: PAST,
                reason: 'quiet-hours',
                channel: 'email',
              } satisfies DeliveryOutcome)
            : SENT;
        },
        awaitEvent: () => order,
      },
      // Really evaluated: TimestampPath must point at the deferred outcome's resumeAt.
      { realWaits: ['remind.quietHours'] },
    );
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual([
      ...ENTRY,
      'wait-an-hour',
      'remind',
      'remind.outcome',
      'remind.quietHours',
      'remind',
      'remind.outcome',
      'await-order',
      'purchased',
      STATE.completed,
    ]);
    expect(aws.sends()).toEqual(['remind', 'remind']);
  });

  it('a throttled send is retried until it goes through', async () => {
    let attempts = 0;
    const { report, aws } = await execute(machine, cart, {
      deliver: () => {
        attempts += 1;
        if (attempts <= 2) throw taskError(TASK_ERRORS.throttled);
        return SENT;
      },
      awaitEvent: () => order,
    });
    expect(report.status).toBe('SUCCEEDED');
    expect(aws.sends()).toEqual(['remind', 'remind', 'remind']);
    const retried = report.events.flatMap((event) => (event.type === 'StateRetried' ? [event] : []));
    expect(retried.map((event) => [event.state.name, event.retry.retrier.ErrorEquals])).toEqual([
      ['remind', [TASK_ERRORS.throttled]],
      ['remind', [TASK_ERRORS.throttled]],
    ]);
    expect(report.entered).toEqual([...CART_UNTIL_AWAIT, 'purchased', STATE.completed]);
  });

  it('a send throttled past its retries is recorded as failed and the journey goes on', async () => {
    const { report, aws } = await execute(machine, cart, {
      deliver: () => {
        throw taskError(TASK_ERRORS.throttled);
      },
      awaitEvent: () => order,
    });
    expect(report.status).toBe('SUCCEEDED');
    // The first attempt and every one of the Retry's (hours of them on AWS; no time passes here).
    const attempts = 1 + STANDARD_POLICIES.throttled.MaxAttempts;
    expect(attempts).toBeGreaterThan(20);
    expect(aws.sends()).toEqual(Array.from({ length: attempts }, () => 'remind'));
    expect(report.entered).toEqual([
      ...ENTRY,
      'wait-an-hour',
      'remind',
      'remind.failed',
      'await-order',
      'purchased',
      STATE.completed,
    ]);
    const [recorded] = aws.calls('recordFailure');
    expect(recorded?.payload).toMatchObject({ stepId: 'remind', error: { Error: TASK_ERRORS.throttled } });
  });

  it('a failing entry task records the failure and fails the execution', async () => {
    const { report, aws } = await execute(machine, cart, {
      enter: () => {
        throw taskError('Error');
      },
    });
    expect(report.status).toBe('FAILED');
    expect(report.entered).toEqual([STATE.start, STATE.enter, STATE.failed, STATE.failedEnd]);
    expect(aws.calls('finish').map((call) => call.payload)).toEqual([
      expect.objectContaining({ outcome: 'failed', error: expect.objectContaining({ Error: 'Error' }) }),
    ]);
    expect(aws.calls('deliver')).toEqual([]);
  });
});

describe('support-call-followup in the ASL interpreter', () => {
  const journey = sample('support-call-followup');
  const machine = machineFor(journey);
  const call = readEvent('support.call.completed');
  const path = (end: string[]): string[] => [
    ...ENTRY,
    'mark-profile',
    'wait-two-hours',
    'survey',
    'survey.outcome',
    ...end,
  ];

  it('an unresolved call gets the case summary', async () => {
    const { report, aws } = await execute(machine, withDetail(call, { resolved: false }));
    expect(report.status).toBe('SUCCEEDED');
    expect(aws.sends()).toEqual(['survey', 'case-summary']);
    // The condition reads only the event: a native Choice decides, no evaluate call.
    expect(report.entered).toEqual(
      path(['was-it-resolved', 'case-summary', 'case-summary.outcome', 'done', STATE.completed]),
    );
    expect(aws.calls('evaluate')).toEqual([]);
    expect(aws.calls('updateProfile')[0]?.payload).toMatchObject({ addTags: ['recent-support-call'] });
  });

  it('a resolved call goes straight to done', async () => {
    const { report, aws } = await execute(machine, withDetail(call, { resolved: true }));
    expect(aws.sends()).toEqual(['survey']);
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual(path(['was-it-resolved', 'done', STATE.completed]));
  });

  describe('with a branch only the evaluate task can decide', () => {
    // `contains` has no Choice operator, so this branch goes through the evaluate task.
    const evaluated = machineFor({
      ...journey,
      steps: {
        ...journey.steps,
        'was-it-resolved': {
          type: 'branch',
          cases: [{ when: { field: 'event.nextSteps', contains: 'callback' }, next: 'case-summary' }],
          default: 'done',
        },
      },
    });

    it('matched 0 sends the case summary', async () => {
      const { report, aws } = await execute(evaluated, call, { evaluate: () => ({ matched: 0 }) });
      expect(report.entered).toEqual(
        path([
          'was-it-resolved',
          'was-it-resolved.choose',
          'case-summary',
          'case-summary.outcome',
          'done',
          STATE.completed,
        ]),
      );
      expect(aws.sends()).toEqual(['survey', 'case-summary']);
      expect(aws.calls('evaluate')[0]?.payload).toMatchObject({
        stepId: 'was-it-resolved',
        cases: [{ field: 'event.nextSteps', contains: 'callback' }],
        values: {},
      });
    });

    it('matched -1 goes straight to done', async () => {
      const { report, aws } = await execute(evaluated, call, { evaluate: () => ({ matched: -1 }) });
      expect(report.entered).toEqual(
        path(['was-it-resolved', 'was-it-resolved.choose', 'done', STATE.completed]),
      );
      expect(aws.sends()).toEqual(['survey']);
    });
  });
});

describe('chat-followup in the ASL interpreter', () => {
  const machine = machineFor(sample('chat-followup'));
  const ended = readEvent('chat.session.ended');

  it('a customer who comes back gets no reminder', async () => {
    const { report, aws } = await execute(machine, ended, {
      awaitEvent: () => readEvent('chat.session.started'),
    });
    expect(report.entered.slice(-3)).toEqual(['await-return', 'came-back', STATE.completed]);
    expect(aws.sends()).toEqual(['summary']);
  });

  it('a customer who does not come back gets the reminder', async () => {
    const { report, aws } = await execute(machine, ended);
    expect(report.entered.slice(-5)).toEqual([
      'await-return',
      'reminder',
      'reminder.outcome',
      'done',
      STATE.completed,
    ]);
    expect(aws.sends()).toEqual(['summary', 'reminder']);
  });
});

describe('social-engagement in the ASL interpreter', () => {
  // Guards a fixed compiler bug: the wait-until step's schedule Task ("<id>.schedule")
  // was never entered, because the step's incoming transitions named the Wait ("<id>").
  // The interpreter refused the definition (unreachable state); on AWS the Wait's
  // TimestampPath would have found no resumeAt and failed the execution.
  it('schedules the next-day wait, then sends the follow-up', async () => {
    const machine = machineFor(sample('social-engagement'));
    const { report, aws } = await execute(machine, readEvent('social.engagement'));
    expect(report.status).toBe('SUCCEEDED');
    expect(aws.calls('schedule').map((call) => call.payload.stepId)).toEqual(['next-day-preferred-hour']);
    expect(aws.sends()).toEqual(['follow-up']);
  });
});

describe('stable splits in the ASL interpreter', () => {
  const journey = journeySchema.parse({
    id: 'split-check',
    name: 'Split check',
    version: 1,
    status: 'active',
    trigger: { event: 'cart.abandoned' },
    start: 'halves',
    steps: {
      halves: {
        type: 'split',
        paths: [
          { name: 'a', weight: 50, next: 'half-a' },
          { name: 'b', weight: 50, next: 'half-b' },
        ],
      },
      'half-a': { type: 'wait', duration: '1s', next: 'tenth' },
      'half-b': { type: 'wait', duration: '1s', next: 'tenth' },
      tenth: {
        type: 'split',
        paths: [
          { name: 'small', weight: 10, next: 'small' },
          { name: 'large', weight: 90, next: 'large' },
        ],
      },
      small: { type: 'end' },
      large: { type: 'end' },
    },
  });
  const machine = machineFor(journey);
  const splits = [
    { stepId: 'halves', weights: [50, 50], targets: ['half-a', 'half-b'] },
    { stepId: 'tenth', weights: [10, 90], targets: ['small', 'large'] },
  ];

  it('every customer takes the path splitPathIndex predicts, in the right proportions', async () => {
    const customers = Array.from({ length: 200 }, (_, index) => `customer-${index}`);
    const counts = splits.map((split) => split.targets.map(() => 0));
    for (const customerId of customers) {
      const { report } = await execute(machine, { 'detail-type': 'cart.abandoned', detail: { customerId } });
      expect(report.status).toBe('SUCCEEDED');
      splits.forEach((split, splitIndex) => {
        const hash = splitHash(customerId, journey.id, split.stepId);
        // States.Hash in the interpreter must be node:crypto's lowercase hex SHA-256.
        const [exited] = report.events.flatMap((event) =>
          event.type === 'StateExited' && event.state.name === split.stepId ? [event] : [],
        );
        expect(valueAt(exited?.state.output, ['steps', split.stepId, 'hash'])).toBe(hash);
        const expected = splitPathIndex(hash, split.weights);
        const taken = split.targets.filter((target) => report.entered.includes(target));
        expect(taken, `${customerId} at ${split.stepId}`).toEqual([split.targets[expected]]);
        const row = counts[splitIndex];
        if (row !== undefined) row[expected] = (row[expected] ?? 0) + 1;
      });
    }
    const [halves, tenth] = counts;
    expect(halves?.[0]).toBeGreaterThan(70);
    expect(halves?.[0]).toBeLessThan(130);
    expect(tenth?.[0]).toBeGreaterThan(5);
    expect(tenth?.[0]).toBeLessThan(40);
  });
});
