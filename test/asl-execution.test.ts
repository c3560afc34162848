/**
 * Compiled journeys executed by aws-local-stepfunctions, the real ASL
 * interpreter, with fake functions that answer what the real ones would.
 * Each machine is built once (construction validates, about 100 ms) and run
 * many times; waits and retry intervals take 0 ms unless a test evaluates one.
 *
 * The shape under test: an execution starts on Waymark.Enter with the bare
 * event, whose answer becomes the state; a state before an end step ends the
 * execution itself; a send goes straight on, sent or not, and a deferral comes
 * back as the Waymark.Deferred error with Lambda's cause; a failure ends on
 * the Waymark.Failed Fail state with the failure's own error and cause; no
 * finish task runs (the finish function reads the status-change event).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deliverTaskSchema, parseTask, stepsTaskSchema } from '../shared/contract/parse.ts';
import {
  type DeliveryOutcome,
  type EnterResult,
  EVENTS_PUT_EVENTS,
  LAMBDA_INVOKE,
  LAMBDA_INVOKE_WAIT_FOR_TOKEN,
  PLACEHOLDERS,
  type StepsTaskKind,
  type StepsTaskResults,
  TASK_ERRORS,
} from '../shared/contract/tasks.ts';
import { createEventCatalog, type EventCatalog } from '../shared/events/catalog.ts';
import type { State, StateMachineDefinition } from '../shared/asl/types.ts';
import { type CompiledJourney, compileJourney, STATE } from '../shared/journey/compile.ts';
import { STANDARD_POLICIES } from '../shared/journey/policies.ts';
import { type Journey, journeySchema } from '../shared/journey/schema.ts';
import { splitHash, splitPathIndex } from '../shared/journey/split.ts';
import { toJsonValue } from '../shared/json.ts';
import { DeferredError } from '../shared/runtime/errors.ts';
import {
  type DeferredOutcome,
  deferredError,
  type ExecutionReport,
  FAKE_BINDINGS,
  type FakeService,
  functionError,
  isJsonObject,
  isRecord,
  type JsonObject,
  type JsonValue,
  lambdaCause,
  LocalStateMachine,
  type RunSettings,
  StatesError,
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
const SENT = { status: 'sent', channel: 'email', messageId: 'm1' } satisfies DeliveryOutcome;
const QUIET = {
  status: 'deferred',
  resumeAt: PAST,
  reason: 'quiet-hours',
  channel: 'email',
} satisfies DeferredOutcome;
const RATE_LIMITED = {
  status: 'rate-limited',
  resumeAt: PAST,
  reason: 'email send rate',
  channel: 'email',
  taken: 2,
} satisfies DeferredOutcome;

type FakeFunction = (payload: JsonObject) => JsonValue | Promise<JsonValue>;
/** The steps function's tasks a definition compiled now may invoke: never `finish`. */
type CurrentStepsTask = Exclude<StepsTaskKind, 'finish'>;
/** One fake per task of the steps function, one for deliver, one for EventBridge PutEvents. */
type Fakes = Record<CurrentStepsTask | 'deliver' | 'putEvents', FakeFunction>;

const STEPS_TASK_KINDS: Record<CurrentStepsTask, true> = {
  enter: true,
  evaluate: true,
  schedule: true,
  updateProfile: true,
  awaitEvent: true,
  recordFailure: true,
  park: true,
  resume: true,
};

function isCurrentStepsTask(value: unknown): value is CurrentStepsTask {
  return typeof value === 'string' && Object.keys(STEPS_TASK_KINDS).includes(value);
}

function compiledFor(journey: Journey, events: EventCatalog = sampleEvents()): CompiledJourney {
  return compileJourney(journey, settings, events);
}

function machineFor(journey: Journey): LocalStateMachine {
  return new LocalStateMachine(compiledFor(journey).definition);
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) current = isRecord(current) ? current[key] : undefined;
  return current;
}

function json(value: unknown): JsonValue {
  return toJsonValue(value);
}

/** The enter task as the steps function reads it (its trigger parsed: only the envelope's own fields). */
function enterTask(payload: JsonObject) {
  const task = parseTask(stepsTaskSchema, payload);
  if (task.task !== 'enter') throw new Error(`not an enter task: ${task.task}`);
  return task;
}

/** What enter answers when it admits the customer: the decision, the customer and the trigger. */
function admitted(payload: JsonObject, values: Record<string, unknown> = CART_VALUES): JsonValue {
  const task = enterTask(payload);
  return json({
    admitted: true,
    values,
    customerId: task.customerId,
    trigger: task.trigger,
  } satisfies EnterResult);
}

/** What enter answers when it turns the event away: empty values, so the ResultSelector finds them. */
function refused(
  payload: JsonObject,
  reason: Extract<EnterResult, { admitted: false }>['reason'],
): JsonValue {
  const task = enterTask(payload);
  return json({
    admitted: false,
    reason,
    values: {},
    customerId: task.customerId,
    trigger: task.trigger,
  } satisfies EnterResult);
}

/** What the deliver function answers for a message sent: `finished` when its task finishes the journey. */
function sent(payload: JsonObject, outcome: DeliveryOutcome = SENT): JsonValue {
  return json(payload.finishes === true ? { ...outcome, finished: true } : outcome);
}

/**
 * The deliver function putting a message off, as functions/deliver/handler.ts does: thrown as
 * Waymark.Deferred when its task asks for that (`deferral: 'error'`), answered otherwise.
 */
function deferring(payload: JsonObject, outcome: DeferredOutcome): JsonValue {
  if (payload.deferral === 'error') throw deferredError(outcome);
  return json(outcome);
}

/** More than any path here takes: a send throttled past all its retries is 31 invocations. */
const MAX_INVOCATIONS = 60;

interface Invocation {
  state: string;
  task: string;
  payload: JsonObject;
  /** When the fake was called (Date.now()). */
  at: number;
}

/**
 * Fake AWS behind the Tasks. A contract violation is recorded before the
 * handler fails: the failure itself is caught by the state machine's own
 * Catch and would otherwise show up only as a strange path. Every payload
 * must parse as the function it goes to parses it.
 */
class FakeAws {
  readonly invocations: Invocation[] = [];
  readonly violations: string[] = [];
  private readonly fakes: Fakes;

  constructor(overrides: Partial<Fakes>) {
    this.fakes = {
      enter: (payload) => admitted(payload),
      evaluate: () => ({ matched: 0 }),
      schedule: () => ({ resumeAt: PAST }) satisfies StepsTaskResults['schedule'],
      updateProfile: () => ({ updated: ['lastSupportCallAt', 'lastSupportCaseId', 'supportTone'] }),
      awaitEvent: () => {
        throw new StatesError('States.Timeout', 'The task timed out (raised by a fake).');
      },
      recordFailure: () => ({ recorded: true }) satisfies StepsTaskResults['recordFailure'],
      park: () => ({ parked: 'scheduled' }) satisfies StepsTaskResults['park'],
      resume: () => ({ run: { id: '', at: PAST, next: null } }) satisfies StepsTaskResults['resume'],
      deliver: (payload) => sent(payload),
      putEvents: () => ({ FailedEntryCount: 0, Entries: [{ EventId: 'event-1' }] }),
      ...overrides,
    };
  }

  readonly service: FakeService = async ({ state, resource, input }) => {
    if (!isJsonObject(input)) return this.violation(`${state}: the Task input is not an object`);
    if (resource === EVENTS_PUT_EVENTS) {
      this.invocations.push({ state, task: 'putEvents', payload: input, at: Date.now() });
      return this.fakes.putEvents(input);
    }
    if (resource !== LAMBDA_INVOKE && resource !== LAMBDA_INVOKE_WAIT_FOR_TOKEN) {
      return this.violation(`${state}: unexpected Resource ${resource}`);
    }
    const { FunctionName: functionName, Payload: payload } = input;
    if (!isJsonObject(payload)) return this.violation(`${state}: no Payload object`);
    const task = payload.task;
    if (typeof task !== 'string') return this.violation(`${state}: the payload has no task`);
    this.invocations.push({ state, task, payload, at: Date.now() });
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
    // The execution's end is the finish function's, from the status-change event: no Task for it.
    if (task === 'finish') return this.violation(`${state}: invokes the finish task`);
    try {
      if (task === 'deliver') parseTask(deliverTaskSchema, payload);
      else parseTask(stepsTaskSchema, payload);
    } catch (error) {
      return this.violation(`${state}: ${error instanceof Error ? error.message : String(error)}`);
    }
    // A definition that loops for ever (a deferral path that never reaches its wait) fails, not hangs.
    if (this.invocations.length > MAX_INVOCATIONS) return this.violation(`${state}: runaway execution`);
    if (task === 'deliver') return this.fakes.deliver(payload);
    if (!isCurrentStepsTask(task)) return this.violation(`${state}: unknown task ${task}`);
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

/** The input of the n-th entry into a state. */
function inputOf(report: ExecutionReport, state: string, entry = 0): unknown {
  const entries = report.events.flatMap((event) =>
    event.type === 'StateEntered' && event.state.name === state ? [event.state.input] : [],
  );
  return entries[entry];
}

/** The output of the n-th exit from a state. */
function outputOf(report: ExecutionReport, state: string, exit = 0): unknown {
  const exits = report.events.flatMap((event) =>
    event.type === 'StateExited' && event.state.name === state ? [event.state.output] : [],
  );
  return exits[exit];
}

/** The Error and Cause the execution failed with, as its ExecutionFailed event gives them. */
function failure(report: ExecutionReport): { Error: unknown; Cause: unknown } | undefined {
  const [failed] = report.events.flatMap((event) =>
    event.type === 'ExecutionFailed' ? [{ Error: event.Error, Cause: event.Cause }] : [],
  );
  return failed;
}

function state(definition: StateMachineDefinition, name: string): State {
  const found = definition.States[name];
  if (found === undefined) throw new Error(`no state ${name}`);
  return found;
}

const ENTRY = [STATE.enter, STATE.admitted];
/** cart-abandonment up to its wait for an order, when the reminder goes out at once. */
const CART_UNTIL_AWAIT = [...ENTRY, 'wait-an-hour', 'remind', 'await-order'];
/** The deferral path of a send, from its Catch to the Choice on why. */
const deferralOf = (id: string) => [`${id}.deferral`, `${id}.deferredOutcome`, `${id}.deferredWhy`];

afterEach(() => {
  vi.useRealTimers();
});

interface HappyPath {
  journeyId: string;
  event: () => JsonObject;
  fakes?: Partial<Fakes>;
  realWaits?: string[];
  /** Written by hand from the journey file: the states of its longest path, as `waymark cost` counts them. */
  path: string[];
  sends: string[];
}

const HAPPY_PATHS: HappyPath[] = [
  {
    // No order within the day: the timeout branch, the longest.
    journeyId: 'cart-abandonment',
    event: () => readEvent('cart.abandoned'),
    path: [...ENTRY, 'wait-an-hour', 'remind', 'await-order', 'nudge', 'retarget'],
    sends: ['remind', 'nudge', 'retarget'],
  },
  {
    journeyId: 'chat-followup',
    event: () => readEvent('chat.session.ended'),
    path: [...ENTRY, 'summary', 'await-return', 'reminder'],
    sends: ['summary', 'reminder'],
  },
  {
    journeyId: 'gold-welcome',
    event: () => readEvent('waymark.segment.entered'),
    path: [...ENTRY, 'welcome'],
    sends: ['welcome'],
  },
  {
    journeyId: 'social-engagement',
    event: () => readEvent('social.engagement'),
    // Really evaluated: TimestampPath must find the schedule's resumeAt.
    realWaits: ['next-day-preferred-hour.wait'],
    path: [...ENTRY, 'next-day-preferred-hour', 'next-day-preferred-hour.wait', 'follow-up'],
    sends: ['follow-up'],
  },
  {
    journeyId: 'support-call-followup',
    event: () => withDetail(readEvent('support.call.completed'), { resolved: false }),
    path: [...ENTRY, 'mark-profile', 'wait-two-hours', 'survey', 'was-it-resolved', 'case-summary'],
    sends: ['survey', 'case-summary'],
  },
  {
    journeyId: 'weekly-newsletter',
    event: () => readEvent('waymark.audience.broadcast'),
    // Not opened: the nudge. Opened, the Choice goes to done instead: as many states, one Task fewer,
    // so waymark cost counts the nudge's path.
    fakes: { evaluate: () => ({ matched: -1 }) },
    path: [...ENTRY, 'newsletter', 'wait-two-days', 'opened', 'opened.choose', 'nudge'],
    sends: ['newsletter', 'nudge'],
  },
];

describe('every sample on its longest path in the ASL interpreter', () => {
  it('covers every sample', () => {
    expect(HAPPY_PATHS.map((path) => path.journeyId).sort()).toEqual(
      project.journeys.map(({ journey }) => journey.id).sort(),
    );
  });

  it.each(HAPPY_PATHS)(
    '$journeyId takes the states waymark cost counts and its last send ends the execution, finishing the journey',
    async ({ journeyId, event, fakes, realWaits, path, sends }) => {
      const journey = sample(journeyId);
      const compiled = compiledFor(journey);
      expect(compiled.cost.longestPath).toEqual(path);
      expect(compiled.cost.stateTransitions).toBe(path.length);
      const { report, aws } = await execute(new LocalStateMachine(compiled.definition), event(), fakes, {
        realWaits: realWaits ?? [],
      });
      expect(report.status, JSON.stringify(report.error)).toBe('SUCCEEDED');
      expect(report.entered).toEqual(path);
      expect(aws.sends()).toEqual(sends);
      // The last send goes to an end step: it ends the execution itself, with no Succeed after it.
      const last = path[path.length - 1] ?? '';
      expect(last).toBe(sends[sends.length - 1]);
      const lastState = state(compiled.definition, last);
      expect(lastState).toMatchObject({ Type: 'Task', End: true, ResultPath: '$.final' });
      expect(lastState).not.toHaveProperty('Next');
      const step = journey.steps[last];
      expect(step?.type === 'send' && journey.steps[step.next]?.type).toBe('end');
      // Only the last send finishes the journey; its outcome is where the finish function reads it.
      expect(aws.calls('deliver').map((call) => [call.state, call.payload.finishes ?? false])).toEqual(
        sends.map((id) => [id, id === last]),
      );
      expect(valueAt(report.output, ['final', 'outcome'])).toEqual({ ...SENT, finished: true });
      expect(valueAt(report.output, ['final', 'outcome', 'finished'])).toBe(true);
      expect(valueAt(report.output, ['steps', last])).toBeUndefined();
      for (const id of sends.slice(0, -1)) {
        expect(valueAt(report.output, ['steps', id, 'outcome']), id).toEqual(SENT);
      }
      expect(aws.calls('recordFailure')).toEqual([]);
    },
  );
});

describe('cart-abandonment in the ASL interpreter', () => {
  const compiled = compiledFor(sample('cart-abandonment'));
  const machine = new LocalStateMachine(compiled.definition);
  const cart = readEvent('cart.abandoned');
  const order = readEvent('order.placed');

  it('starts on Waymark.Enter with the bare event, and makes the state of what enter answers', async () => {
    const { report, aws } = await execute(machine, cart, { awaitEvent: () => order });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered[0]).toBe(STATE.enter);
    expect(inputOf(report, STATE.enter)).toEqual(cart);
    const [enter] = aws.calls('enter');
    expect(enter?.state).toBe(STATE.enter);
    // The customer from the event's detail, the trigger the whole event as the rule delivered it.
    expect(enter?.payload).toMatchObject({
      task: 'enter',
      customerId: 'cust-1001',
      trigger: cart,
      journeyId: 'cart-abandonment',
      entry: { maxConcurrent: 1 },
    });
    // The event is gone: the state is what enter answered, shaped by the ResultSelector.
    const { version: _version, account: _account, region: _region, resources: _resources, ...trigger } = cart;
    const entered = {
      customerId: 'cust-1001',
      trigger,
      entry: { outcome: { admitted: true, values: CART_VALUES } },
      steps: {},
    };
    expect(outputOf(report, STATE.enter)).toEqual(entered);
    expect(inputOf(report, STATE.admitted)).toEqual(entered);
    // Every later task reads the customer and the trigger from that state.
    const [remind] = aws.calls('deliver');
    expect(remind?.payload).toMatchObject({ customerId: 'cust-1001', trigger, values: CART_VALUES });
  });

  it('an order while waiting ends the execution at await-order itself: no nudge, no Succeed state', async () => {
    const awaitedOrder = {
      eventId: 'order-event-1',
      detailType: 'order.placed',
      time: '2026-03-12T15:00:00Z',
    };
    const { report, aws } = await execute(machine, cart, { awaitEvent: () => awaitedOrder });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual(CART_UNTIL_AWAIT);
    expect(state(compiled.definition, 'await-order')).toMatchObject({ End: true });
    // Nothing names "purchased" any more: the end step left no state behind.
    expect(compiled.definition.States.purchased).toBeUndefined();
    expect(aws.sends()).toEqual(['remind']);
    // Whatever SendTaskSuccess hands over (by contract a small AwaitedEvent) lands under the step id.
    expect(valueAt(report.output, ['steps', 'await-order'])).toEqual(awaitedOrder);
    expect(valueAt(report.output, ['final'])).toBeUndefined();
    const [awaited] = aws.calls('awaitEvent');
    expect(awaited?.payload).toMatchObject({
      stepId: 'await-order',
      event: { event: 'order.placed' },
      timeoutSeconds: 23 * 3600,
      customerId: 'cust-1001',
      journeyId: 'cart-abandonment',
    });
  });

  it('no order within the timeout: nudge, then the offer to the ads audience by webhook, which ends it', async () => {
    const webhookSent = { status: 'sent', channel: 'webhook', messageId: 'w1' } satisfies DeliveryOutcome;
    const { report, aws } = await execute(machine, cart, {
      deliver: (payload) => sent(payload, payload.stepId === 'retarget' ? webhookSent : SENT),
    });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual([...CART_UNTIL_AWAIT, 'nudge', 'retarget']);
    expect(aws.sends()).toEqual(['remind', 'nudge', 'retarget']);
    expect(valueAt(report.output, ['steps', 'await-order', 'timeout', 'Error'])).toBe('States.Timeout');
    const [, nudge, retarget] = aws.calls('deliver');
    expect(nudge?.payload).toMatchObject({
      channels: ['push', 'whatsapp', 'sms', 'email'],
      template: 'cart-nudge',
      values: CART_VALUES,
      deferral: 'error',
    });
    expect(nudge?.payload).not.toHaveProperty('finishes');
    // A delivery like any other, to the endpoint settings.json names; the webhook template renders
    // the offer code from the values handed over here. It reaches a system: never deferred.
    expect(retarget?.payload).toMatchObject({
      stepId: 'retarget',
      channels: ['webhook'],
      target: { channel: 'webhook', endpoint: 'ads-audience', reaches: 'system' },
      template: 'cart-retarget',
      category: 'marketing',
      customerId: 'cust-1001',
      journeyId: 'cart-abandonment',
      values: CART_VALUES,
      finishes: true,
    });
    expect(retarget?.payload).not.toHaveProperty('deferral');
    expect(settings.webhooks['ads-audience']?.url).toMatch(/^https:\/\//);
    expect(project.templates.get('cart-retarget')?.files['webhook.json.liquid']).toContain(
      '{{ values.offerCode | json }}',
    );
    expect(aws.calls('putEvents')).toEqual([]);
    // The last send's answer is at $.final, where the finish function reads `finished`.
    expect(valueAt(report.output, ['final', 'outcome'])).toEqual({ ...webhookSent, finished: true });
    expect(valueAt(report.output, ['steps', 'nudge', 'outcome'])).toEqual(SENT);
  });

  // No sample emits an event any more; retarget as it was (an emit step) keeps PutEvents covered.
  it('with retarget an emit step: the retargeting event with the offer goes on the bus and ends it', async () => {
    const emitting = compiledFor(cartWithEmitStep());
    const { report, aws } = await execute(new LocalStateMachine(emitting.definition), cart);
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual([...CART_UNTIL_AWAIT, 'nudge', 'retarget']);
    expect(emitting.cost.longestPath).toEqual(report.entered);
    expect(state(emitting.definition, 'retarget')).toMatchObject({ Type: 'Task', End: true });
    expect(aws.sends()).toEqual(['remind', 'nudge']);
    // The emit step after it is the end, not the nudge: no send finishes this journey.
    expect(aws.calls('deliver').filter((call) => call.payload.finishes !== undefined)).toEqual([]);
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
    expect(valueAt(report.output, ['final'])).toBeUndefined();
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
        return sent(payload);
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
    // The timeout path goes on to the end: the nudge, then the retargeting webhook, the last state.
    expect(aws.sends()).toEqual(['remind', 'nudge', 'retarget']);
    expect(report.entered.slice(-3)).toEqual(['await-order', 'nudge', 'retarget']);
  });

  it.each(['duplicate-event', 'concurrency-limit', 'invalid-event'] as const)(
    'an entry turned away (%s) ends in Waymark.NotAdmitted without any message',
    async (reason) => {
      const { report, aws } = await execute(machine, cart, {
        enter: (payload) => refused(payload, reason),
      });
      expect(report.status).toBe('SUCCEEDED');
      expect(report.entered).toEqual([...ENTRY, STATE.notAdmitted]);
      expect(state(compiled.definition, STATE.notAdmitted).Type).toBe('Succeed');
      expect(aws.invocations.map((call) => call.task)).toEqual(['enter']);
      expect(report.output).toMatchObject({
        customerId: 'cust-1001',
        entry: { outcome: { admitted: false, values: {} } },
        steps: {},
      });
    },
  );

  it('a send deferred by quiet hours waits until resumeAt (read from the Lambda cause) and sends on the retry', async () => {
    // A second and a bit ahead: the Wait really evaluates its TimestampPath and must hold until then.
    const resumeAt = new Date(Date.now() + 1200).toISOString();
    const quiet = { ...QUIET, resumeAt } satisfies DeferredOutcome;
    let remindAttempts = 0;
    const { report, aws } = await execute(
      machine,
      cart,
      {
        deliver: (payload) => {
          if (payload.stepId !== 'remind') return sent(payload);
          remindAttempts += 1;
          return remindAttempts === 1 ? deferring(payload, quiet) : sent(payload);
        },
        awaitEvent: () => order,
      },
      { realWaits: ['remind.quietHours'] },
    );
    expect(report.status, JSON.stringify(report.error)).toBe('SUCCEEDED');
    expect(report.entered).toEqual([
      ...ENTRY,
      'wait-an-hour',
      'remind',
      ...deferralOf('remind'),
      'remind.quietHours',
      'remind',
      'await-order',
    ]);
    expect(aws.sends()).toEqual(['remind', 'remind']);
    // The Catch put Lambda's answer at the step: the error's name, and its cause as Lambda writes it.
    expect(valueAt(inputOf(report, 'remind.deferral'), ['steps', 'remind'])).toEqual({
      Error: TASK_ERRORS.deferred,
      Cause: `{"errorType":"Waymark.Deferred","errorMessage":${JSON.stringify(JSON.stringify(quiet))},"trace":[]}`,
    });
    // Parsed twice: the cause, then the message in it, which is the outcome the Wait reads.
    expect(valueAt(inputOf(report, 'remind.quietHours'), ['steps', 'remind', 'outcome'])).toEqual(quiet);
    const [first, retry] = aws.calls('deliver');
    expect(first?.payload).toMatchObject({ deferral: 'error' });
    expect(retry?.payload).not.toHaveProperty('slot');
    expect(retry?.at).toBeGreaterThanOrEqual(Date.parse(resumeAt));
    // A deferral is no failure.
    expect(aws.calls('recordFailure')).toEqual([]);
    expect(valueAt(report.output, ['steps', 'remind', 'outcome'])).toEqual(SENT);
  });

  it('a rate-limited send waits in rateWait, then sends holding its slot {channel, at, taken}', async () => {
    const resumeAt = new Date(Date.now() + 300).toISOString();
    const limited = { ...RATE_LIMITED, resumeAt } satisfies DeferredOutcome;
    const { report, aws } = await execute(
      machine,
      cart,
      {
        deliver: (payload) => {
          // The deliver function's own error class: what the harness makes of it is what Lambda does.
          if (payload.stepId === 'remind' && payload.slot === undefined) throw new DeferredError(limited);
          return sent(payload);
        },
        awaitEvent: () => order,
      },
      { realWaits: ['remind.rateWait'] },
    );
    expect(report.status, JSON.stringify(report.error)).toBe('SUCCEEDED');
    expect(report.entered).toEqual([
      ...ENTRY,
      'wait-an-hour',
      'remind',
      ...deferralOf('remind'),
      'remind.rateWait',
      'remind.withSlot',
      'await-order',
    ]);
    expect(aws.sends()).toEqual(['remind', 'remind.withSlot']);
    const [first, withSlot] = aws.calls('deliver');
    expect(withSlot?.payload).toMatchObject({
      stepId: 'remind',
      deferral: 'error',
      slot: { channel: 'email', at: resumeAt, taken: 2 },
    });
    // The same message as the first attempt, with the slot added.
    const { slot: _slot, enteredAt: _later, ...again } = withSlot?.payload ?? {};
    const { enteredAt: _first, ...firstPayload } = first?.payload ?? {};
    expect(again).toEqual(firstPayload);
    expect(withSlot?.at).toBeGreaterThanOrEqual(Date.parse(resumeAt));
    expect(valueAt(report.output, ['steps', 'remind', 'outcome'])).toEqual(SENT);
  });

  it('a send deferred again while holding its slot goes round the deferral path to quiet hours', async () => {
    let attempts = 0;
    const { report, aws } = await execute(machine, cart, {
      deliver: (payload) => {
        if (payload.stepId !== 'remind') return sent(payload);
        attempts += 1;
        if (attempts === 1) return deferring(payload, RATE_LIMITED);
        if (payload.slot !== undefined) return deferring(payload, QUIET);
        return sent(payload);
      },
      awaitEvent: () => order,
    });
    expect(report.status, JSON.stringify(report.error)).toBe('SUCCEEDED');
    expect(report.entered).toEqual([
      ...ENTRY,
      'wait-an-hour',
      'remind',
      ...deferralOf('remind'),
      'remind.rateWait',
      'remind.withSlot',
      ...deferralOf('remind'),
      'remind.quietHours',
      'remind',
      'await-order',
    ]);
    expect(aws.sends()).toEqual(['remind', 'remind.withSlot', 'remind']);
  });

  it.each([
    { status: 'capped', reason: 'cap', capId: 'marketing-week', channel: 'email' },
    { status: 'opted-out', reason: 'unsubscribed', channel: 'email' },
    { status: 'no-address', reason: 'no email address' },
    { status: 'failed', reason: 'SES refused the message', channel: 'email' },
  ] satisfies DeliveryOutcome[])(
    'a message not sent ($status) goes straight on to the next step, its outcome kept',
    async (outcome) => {
      const { report, aws } = await execute(machine, cart, {
        deliver: (payload) => (payload.stepId === 'remind' ? json(outcome) : sent(payload)),
        awaitEvent: () => order,
      });
      expect(report.status).toBe('SUCCEEDED');
      expect(report.entered).toEqual(CART_UNTIL_AWAIT);
      expect(valueAt(report.output, ['steps', 'remind', 'outcome'])).toEqual(outcome);
      expect(aws.calls('recordFailure')).toEqual([]);
    },
  );

  it('a throttled send is retried until it goes through', async () => {
    let attempts = 0;
    const { report, aws } = await execute(machine, cart, {
      deliver: (payload) => {
        attempts += 1;
        if (attempts <= 2) throw functionError(TASK_ERRORS.throttled);
        return sent(payload);
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
    expect(report.entered).toEqual(CART_UNTIL_AWAIT);
  });

  it('a send throttled past its retries is recorded as failed and the journey goes on', async () => {
    const throttled = functionError(TASK_ERRORS.throttled, 'Maximum sending rate exceeded.');
    const { report, aws } = await execute(machine, cart, {
      deliver: () => {
        throw throttled;
      },
      awaitEvent: () => order,
    });
    expect(report.status).toBe('SUCCEEDED');
    // The first attempt and every one of the Retry's (hours of them on AWS; no time passes here).
    const attempts = 1 + STANDARD_POLICIES.throttled.MaxAttempts;
    expect(attempts).toBeGreaterThan(20);
    expect(aws.sends()).toEqual(Array.from({ length: attempts }, () => 'remind'));
    expect(report.entered).toEqual([...ENTRY, 'wait-an-hour', 'remind', 'remind.failed', 'await-order']);
    expect(aws.calls('recordFailure').map((call) => call.payload)).toEqual([
      expect.objectContaining({
        stepId: 'remind',
        error: { Error: TASK_ERRORS.throttled, Cause: lambdaCause(throttled) },
      }),
    ]);
  });

  it("a send's function error goes to <id>.failed, which records it, and the journey goes on", async () => {
    const broken = functionError('TypeError', "Cannot read properties of undefined (reading 'email')");
    const { report, aws } = await execute(machine, cart, {
      deliver: (payload) => {
        if (payload.stepId === 'remind') throw broken;
        return sent(payload);
      },
    });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual([
      ...ENTRY,
      'wait-an-hour',
      'remind',
      'remind.failed',
      'await-order',
      'nudge',
      'retarget',
    ]);
    // No deferral path for an error that is not Waymark.Deferred.
    expect(report.entered).not.toContain('remind.deferral');
    expect(
      aws.calls('recordFailure').map((call) => [call.state, call.payload.stepId, call.payload.error]),
    ).toEqual([['remind.failed', 'remind', { Error: 'TypeError', Cause: lambdaCause(broken) }]]);
  });

  it("the last send's error is recorded and the execution ends there, with nothing at $.final", async () => {
    const broken = functionError('Error', 'the webhook secret is missing');
    const { report, aws } = await execute(machine, cart, {
      deliver: (payload) => {
        if (payload.stepId === 'retarget') throw broken;
        return sent(payload);
      },
    });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered.slice(-3)).toEqual(['nudge', 'retarget', 'retarget.failed']);
    expect(state(compiled.definition, 'retarget.failed')).toMatchObject({ End: true });
    expect(aws.calls('recordFailure').map((call) => call.payload.stepId)).toEqual(['retarget']);
    // The finish function then frees the place itself: the send did not.
    expect(valueAt(report.output, ['final'])).toBeUndefined();
    expect(valueAt(report.output, ['steps', 'retarget'])).toEqual({
      Error: 'Error',
      Cause: lambdaCause(broken),
    });
  });

  it("a failing entry task fails the execution with the function's own error and cause", async () => {
    const broken = functionError('TypeError', 'the store is unreachable');
    const { report, aws } = await execute(machine, cart, {
      enter: () => {
        throw broken;
      },
    });
    expect(report.status).toBe('FAILED');
    expect(report.entered).toEqual([STATE.enter, STATE.failed]);
    expect(state(compiled.definition, STATE.failed)).toEqual(
      expect.objectContaining({ Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' }),
    );
    expect(failure(report)).toEqual({ Error: 'TypeError', Cause: lambdaCause(broken) });
    expect(aws.invocations.map((call) => call.task)).toEqual(['enter']);
  });

  it('an entry task failing on the Lambda service, past its retries, fails the execution with that error', async () => {
    const { report, aws } = await execute(machine, cart, {
      enter: () => {
        throw new StatesError('Lambda.ServiceException', 'Lambda is unavailable (raised by a fake).');
      },
    });
    expect(report.status).toBe('FAILED');
    expect(aws.calls('enter')).toHaveLength(1 + STANDARD_POLICIES.lambdaService.MaxAttempts);
    expect(failure(report)).toEqual({
      Error: 'Lambda.ServiceException',
      Cause: 'Lambda is unavailable (raised by a fake).',
    });
  });

  it('a failing wait for an order fails the execution with its error and cause', async () => {
    const broken = functionError('Waymark.JourneyFailed', 'the wait could not be registered');
    const { report, aws } = await execute(machine, cart, {
      awaitEvent: () => {
        throw broken;
      },
    });
    expect(report.status).toBe('FAILED');
    expect(report.entered).toEqual([...CART_UNTIL_AWAIT, STATE.failed]);
    expect(failure(report)).toEqual({ Error: 'Waymark.JourneyFailed', Cause: lambdaCause(broken) });
    expect(aws.sends()).toEqual(['remind']);
  });
});

describe('a send with onNotSent elsewhere in the ASL interpreter', () => {
  const cart = sample('cart-abandonment');
  // Not sent by email: skip the wait for an order and nudge at once.
  const journey = journeySchema.parse({
    ...cart,
    steps: { ...cart.steps, remind: { ...cart.steps.remind, onNotSent: 'nudge' } },
  });
  const compiled = compiledFor(journey);
  const machine = new LocalStateMachine(compiled.definition);
  const event = readEvent('cart.abandoned');
  const order = readEvent('order.placed');

  it('keeps the Choice on the outcome, after the send and after the send with its slot', () => {
    expect(state(compiled.definition, 'remind')).toMatchObject({ Next: 'remind.outcome' });
    expect(state(compiled.definition, 'remind.withSlot')).toMatchObject({ Next: 'remind.outcome' });
    expect(state(compiled.definition, 'remind.outcome')).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.steps.remind.outcome.status', StringEquals: 'sent', Next: 'await-order' }],
      Default: 'nudge',
    });
    // The other sends still go straight on.
    expect(compiled.definition.States['nudge.outcome']).toBeUndefined();
  });

  it('sent: on to next', async () => {
    const { report } = await execute(machine, event, { awaitEvent: () => order });
    expect(report.entered).toEqual([...ENTRY, 'wait-an-hour', 'remind', 'remind.outcome', 'await-order']);
  });

  it('not sent: on to onNotSent', async () => {
    const { report, aws } = await execute(machine, event, {
      deliver: (payload) =>
        payload.stepId === 'remind'
          ? json({ status: 'opted-out', reason: 'unsubscribed', channel: 'email' } satisfies DeliveryOutcome)
          : sent(payload),
    });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual([
      ...ENTRY,
      'wait-an-hour',
      'remind',
      'remind.outcome',
      'nudge',
      'retarget',
    ]);
    expect(aws.calls('awaitEvent')).toEqual([]);
  });

  it('deferred: waits, and the send with its slot goes through the same Choice', async () => {
    const { report } = await execute(machine, event, {
      deliver: (payload) =>
        payload.stepId === 'remind' && payload.slot === undefined
          ? deferring(payload, RATE_LIMITED)
          : sent(payload),
      awaitEvent: () => order,
    });
    expect(report.entered).toEqual([
      ...ENTRY,
      'wait-an-hour',
      'remind',
      ...deferralOf('remind'),
      'remind.rateWait',
      'remind.withSlot',
      'remind.outcome',
      'await-order',
    ]);
  });

  it('a last send with onNotSent does not finish the journey: its Choice names both ends', async () => {
    const chat = sample('chat-followup');
    const elsewhere = compiledFor(
      journeySchema.parse({
        ...chat,
        steps: { ...chat.steps, reminder: { ...chat.steps.reminder, onNotSent: 'came-back' } },
      }),
    );
    const reminder = state(elsewhere.definition, 'reminder');
    expect(reminder).toMatchObject({ Next: 'reminder.outcome', ResultPath: '$.steps.reminder' });
    expect(valueAt(reminder, ['Parameters', 'Payload', 'finishes'])).toBeUndefined();
    expect(state(elsewhere.definition, 'done').Type).toBe('Succeed');
    expect(state(elsewhere.definition, 'came-back').Type).toBe('Succeed');
    const { report, aws } = await execute(
      new LocalStateMachine(elsewhere.definition),
      readEvent('chat.session.ended'),
    );
    expect(report.entered).toEqual([
      ...ENTRY,
      'summary',
      'await-return',
      'reminder',
      'reminder.outcome',
      'done',
    ]);
    expect(aws.calls('deliver').map((call) => call.payload.finishes ?? false)).toEqual([false, false]);
    expect(valueAt(report.output, ['final'])).toBeUndefined();
  });
});

describe('gold-welcome in the ASL interpreter', () => {
  const compiled = compiledFor(sample('gold-welcome'));
  const machine = new LocalStateMachine(compiled.definition);
  const entered = readEvent('waymark.segment.entered');

  it('its only send, rate-limited, finishes the journey from the send with its slot', async () => {
    const { report, aws } = await execute(machine, entered, {
      deliver: (payload) => (payload.slot === undefined ? deferring(payload, RATE_LIMITED) : sent(payload)),
    });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual([
      ...ENTRY,
      'welcome',
      ...deferralOf('welcome'),
      'welcome.rateWait',
      'welcome.withSlot',
    ]);
    expect(state(compiled.definition, 'welcome.withSlot')).toMatchObject({
      End: true,
      ResultPath: '$.final',
    });
    expect(aws.calls('deliver').map((call) => call.payload.finishes)).toEqual([true, true]);
    expect(valueAt(report.output, ['final', 'outcome'])).toEqual({ ...SENT, finished: true });
    // The deferral stays where the Catch put it, under the step.
    expect(valueAt(report.output, ['steps', 'welcome', 'outcome'])).toEqual(RATE_LIMITED);
  });

  it('quiet hours on its only send: back to the send, which finishes the journey', async () => {
    let attempts = 0;
    const { report } = await execute(machine, entered, {
      deliver: (payload) => {
        attempts += 1;
        return attempts === 1 ? deferring(payload, QUIET) : sent(payload);
      },
    });
    expect(report.entered).toEqual([
      ...ENTRY,
      'welcome',
      ...deferralOf('welcome'),
      'welcome.quietHours',
      'welcome',
    ]);
    expect(valueAt(report.output, ['final', 'outcome', 'finished'])).toBe(true);
  });
});

describe('support-call-followup in the ASL interpreter', () => {
  const journey = sample('support-call-followup');
  const machine = machineFor(journey);
  const call = readEvent('support.call.completed');
  const path = (end: string[]): string[] => [...ENTRY, 'mark-profile', 'wait-two-hours', 'survey', ...end];

  it('an unresolved call gets the case summary, which ends the execution', async () => {
    const { report, aws } = await execute(machine, withDetail(call, { resolved: false }));
    expect(report.status).toBe('SUCCEEDED');
    expect(aws.sends()).toEqual(['survey', 'case-summary']);
    // The condition reads only the event: a native Choice decides, no evaluate call.
    expect(report.entered).toEqual(path(['was-it-resolved', 'case-summary']));
    expect(aws.calls('evaluate')).toEqual([]);
    expect(aws.calls('updateProfile')[0]?.payload).toMatchObject({ addTags: ['recent-support-call'] });
  });

  it('a resolved call goes to done, the Succeed state the Choice names', async () => {
    const { report, aws } = await execute(machine, withDetail(call, { resolved: true }));
    expect(aws.sends()).toEqual(['survey']);
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual(path(['was-it-resolved', 'done']));
    expect(valueAt(report.output, ['final'])).toBeUndefined();
  });

  it('a profile update that fails does not stop the journey', async () => {
    const { report } = await execute(machine, withDetail(call, { resolved: true }), {
      updateProfile: () => {
        throw functionError('Error', 'conditional check failed');
      },
    });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual(path(['was-it-resolved', 'done']));
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
      expect(report.entered).toEqual(path(['was-it-resolved', 'was-it-resolved.choose', 'case-summary']));
      expect(aws.sends()).toEqual(['survey', 'case-summary']);
      expect(aws.calls('evaluate')[0]?.payload).toMatchObject({
        stepId: 'was-it-resolved',
        cases: [{ field: 'event.nextSteps', contains: 'callback' }],
        values: {},
      });
    });

    it('matched -1 goes straight to done', async () => {
      const { report, aws } = await execute(evaluated, call, { evaluate: () => ({ matched: -1 }) });
      expect(report.entered).toEqual(path(['was-it-resolved', 'was-it-resolved.choose', 'done']));
      expect(aws.sends()).toEqual(['survey']);
    });
  });
});

describe('weekly-newsletter in the ASL interpreter', () => {
  const machine = machineFor(sample('weekly-newsletter'));
  const broadcast = readEvent('waymark.audience.broadcast');

  it('opened: no nudge, done', async () => {
    const { report, aws } = await execute(machine, broadcast, { evaluate: () => ({ matched: 0 }) });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual([
      ...ENTRY,
      'newsletter',
      'wait-two-days',
      'opened',
      'opened.choose',
      'done',
    ]);
    expect(aws.sends()).toEqual(['newsletter']);
  });

  it('a failing evaluate task fails the execution with its error and cause', async () => {
    const broken = functionError('Waymark.JourneyFailed', 'the history could not be read');
    const { report, aws } = await execute(machine, broadcast, {
      evaluate: () => {
        throw broken;
      },
    });
    expect(report.status).toBe('FAILED');
    expect(report.entered).toEqual([...ENTRY, 'newsletter', 'wait-two-days', 'opened', STATE.failed]);
    expect(failure(report)).toEqual({ Error: 'Waymark.JourneyFailed', Cause: lambdaCause(broken) });
    expect(aws.sends()).toEqual(['newsletter']);
  });
});

describe('chat-followup in the ASL interpreter', () => {
  const machine = machineFor(sample('chat-followup'));
  const ended = readEvent('chat.session.ended');

  it('a customer who comes back gets no reminder: the wait ends the execution', async () => {
    const { report, aws } = await execute(machine, ended, {
      awaitEvent: () => readEvent('chat.session.started'),
    });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.entered).toEqual([...ENTRY, 'summary', 'await-return']);
    expect(aws.sends()).toEqual(['summary']);
  });
});

describe('social-engagement in the ASL interpreter', () => {
  const machine = machineFor(sample('social-engagement'));
  const engagement = readEvent('social.engagement');

  // Guards a fixed compiler bug: the wait-until step's schedule Task ("<id>.schedule")
  // was never entered, because the step's incoming transitions named the Wait ("<id>").
  // The interpreter refused the definition (unreachable state); on AWS the Wait's
  // TimestampPath would have found no resumeAt and failed the execution.
  it('schedules the next-day wait, then sends the follow-up', async () => {
    const { report, aws } = await execute(
      machine,
      engagement,
      {},
      {
        realWaits: ['next-day-preferred-hour.wait'],
      },
    );
    expect(report.status).toBe('SUCCEEDED');
    expect(aws.calls('schedule').map((call) => call.payload.stepId)).toEqual(['next-day-preferred-hour']);
    expect(aws.sends()).toEqual(['follow-up']);
  });

  it('a failing schedule task fails the execution with its error and cause', async () => {
    const broken = functionError('RangeError', 'Invalid time zone specified: Mars/Olympus');
    const { report, aws } = await execute(machine, engagement, {
      schedule: () => {
        throw broken;
      },
    });
    expect(report.status).toBe('FAILED');
    expect(report.entered).toEqual([...ENTRY, 'next-day-preferred-hour', STATE.failed]);
    expect(failure(report)).toEqual({ Error: 'RangeError', Cause: lambdaCause(broken) });
    expect(aws.sends()).toEqual([]);
  });
});

describe('a trigger that keeps the customer id deeper in its detail', () => {
  const catalog = createEventCatalog(
    [...sampleEvents().events.values()].map((definition) =>
      definition.detailType === 'cart.abandoned'
        ? { ...definition, customerIdPath: ['account', 'id'] }
        : definition,
    ),
  );
  const compiled = compiledFor(sample('cart-abandonment'), catalog);

  it('enter reads the customer from that path of the bare event; every later task from the state', async () => {
    expect(valueAt(state(compiled.definition, STATE.enter), ['Parameters', 'Payload', 'customerId.$'])).toBe(
      '$.detail.account.id',
    );
    const cart = readEvent('cart.abandoned');
    const event = withDetail(cart, { customerId: undefined, account: { id: 'acct-7' } });
    const { report, aws } = await execute(new LocalStateMachine(compiled.definition), event, {
      awaitEvent: () => readEvent('order.placed'),
    });
    expect(report.status).toBe('SUCCEEDED');
    expect(aws.invocations.map((call) => [call.state, call.payload.customerId])).toEqual([
      [STATE.enter, 'acct-7'],
      ['remind', 'acct-7'],
      ['await-order', 'acct-7'],
    ]);
    expect(valueAt(report.output, ['customerId'])).toBe('acct-7');
  });
});

describe('the deferral the harness throws', () => {
  it('is the deferral the deliver function throws: same name, the outcome as its message', () => {
    for (const outcome of [QUIET, RATE_LIMITED]) {
      const real = new DeferredError(outcome);
      const fake = deferredError(outcome);
      expect([fake.name, fake.message]).toEqual([real.name, real.message]);
      expect(JSON.parse(fake.message)).toEqual(outcome);
    }
    expect(lambdaCause(deferredError(QUIET))).toBe(
      `{"errorType":"Waymark.Deferred","errorMessage":${JSON.stringify(JSON.stringify(QUIET))},"trace":[]}`,
    );
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
  const compiled = compiledFor(journey);
  const machine = new LocalStateMachine(compiled.definition);
  // A path's Pass state is entered on that path; the ones before an end end the execution.
  const splits = [
    { stepId: 'halves', weights: [50, 50], targets: ['halves.path.a', 'halves.path.b'] },
    { stepId: 'tenth', weights: [10, 90], targets: ['tenth.path.small', 'tenth.path.large'] },
  ];

  it('ends on the path states: the end steps leave no state', () => {
    expect(state(compiled.definition, 'tenth.path.small')).toMatchObject({ Type: 'Pass', End: true });
    expect(state(compiled.definition, 'tenth.path.large')).toMatchObject({ Type: 'Pass', End: true });
    expect(compiled.definition.States.small).toBeUndefined();
    expect(compiled.definition.States.large).toBeUndefined();
  });

  it('every customer takes the path splitPathIndex predicts, in the right proportions', async () => {
    const customers = Array.from({ length: 200 }, (_, index) => `customer-${index}`);
    const counts = splits.map((split) => split.targets.map(() => 0));
    for (const customerId of customers) {
      const { report } = await execute(machine, {
        id: `event-${customerId}`,
        'detail-type': 'cart.abandoned',
        source: 'shop.web',
        time: '2026-01-01T00:00:00Z',
        detail: { customerId },
      });
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
      expect(report.entered[report.entered.length - 1]).toMatch(/^tenth\.path\./);
    }
    const [halves, tenth] = counts;
    expect(halves?.[0]).toBeGreaterThan(70);
    expect(halves?.[0]).toBeLessThan(130);
    expect(tenth?.[0]).toBeGreaterThan(5);
    expect(tenth?.[0]).toBeLessThan(40);
  });
});
