/**
 * What one customer's entry into a journey uses, on its longest path, from the compiled definition:
 * transitions, executions started, Lambda calls and their time, schedules, DynamoDB request units,
 * events, messages. Standard runs the journey as one execution; high-volume as parts, each an
 * Express execution, parked between them (shared/contract/parts.ts).
 *
 * The longest path is the one shared/journey/cost.ts takes (most states, then most Tasks; error
 * paths and quiet-hours retries left out, a waitForEvent's timeout taken as a designed path), on
 * high-volume across parts: a park goes on where the next part starts.
 */
import type { AslJson, State, StateMachineDefinition } from '../asl/types.ts';
import { stateTargets } from '../asl/types.ts';
import {
  EVENTS_PUT_EVENTS,
  LAMBDA_INVOKE,
  LAMBDA_INVOKE_WAIT_FOR_TOKEN,
  PLACEHOLDERS,
} from '../contract/tasks.ts';
import type { Channel } from '../customer/profile.ts';
import { STANDARD_POLICIES, type Policies } from '../journey/policies.ts';
import { isDeliveryState, placeholder } from '../journey/resources.ts';
import { isAudienceTrigger, type Journey } from '../journey/schema.ts';
import { worstCaseSeconds } from '../journey/timing.ts';
import { isBroadcastTrigger } from '../journey/trigger.ts';
import {
  ASSUMED_DURATION_MS,
  ASSUMED_ITEM_BYTES,
  type Call,
  type CallKind,
  durationMs,
  type ItemBytes,
  requestCounts,
  requestsOf,
  requestUnits,
  type TriggerKind,
} from './tasks.ts';

export type Target = 'standard' | 'high-volume';
export const TARGETS: readonly Target[] = ['standard', 'high-volume'];

/** The states a high-volume machine starts each later part on (shared/journey/compile-parts.ts). */
export const PART_STATES = ['Waymark.Part', 'Waymark.Resume', 'Waymark.Resumed'] as const;

/** Per entry, on the longest path. */
export interface EntryUsage {
  journeyId: string;
  target: Target;
  /** The states in order; on high-volume each later part begins with PART_STATES. */
  path: string[];
  /** The function calls in order: the trigger's record, each email's delivery report, the end's. */
  calls: Call[];
  /** Executions one entry runs: 1 on Standard, one per part on high-volume. */
  parts: number;
  /** Standard state transitions (billed); high-volume's Express parts have none billed. */
  transitions: number;
  standardStarts: number;
  /** Express executions started (each a request billed): the first part, then one per schedule or event. */
  expressStarts: number;
  expressGbSeconds: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  /** Lambda time summed, in seconds: what the entry holds of the account's concurrency. */
  lambdaSeconds: number;
  schedulesCreated: number;
  schedulerInvocations: number;
  /**
   * How long an entry lives: the longest waits summed over any path (timing.ts worstCaseSeconds with
   * tasks taking no time; a wait until a local time at its bound: 2 days for a preferred hour, 7 for
   * a local window). A Standard execution is open that long; a high-volume run holds one schedule.
   */
  lifetimeSeconds: number;
  dynamodbReadUnits: number;
  dynamodbWriteUnits: number;
  /** Write units of the bySentDay index: one per message entry. */
  dynamodbIndexWriteUnits: number;
  /** Requests, as the request bench counts them (the figures' marker writes included in writes). */
  dynamodbRequests: { reads: number; writes: number };
  /** Custom events put on the bus (PutEvents entries, each billed): the trigger, emits. */
  customEvents: number;
  /**
   * Rule target invocations: the record function, the journey's start, SES's delivery event for each
   * email, the status-change finish.
   */
  ruleInvocations: number;
  /** Messages to the customer (emails, SMS, push, WhatsApp, webhooks that reach them). */
  messages: number;
  messagesByChannel: Partial<Record<Channel, number>>;
  /** Calls that feed another system (`reaches: "system"`): sent, but no message to the customer. */
  systemCalls: number;
}

/** What the model assumes, each overridable. */
export interface Assumptions {
  durationsMs: Readonly<Record<CallKind | 'deliverSystem', number>>;
  itemBytes: ItemBytes;
  /** Lambda memory of every Waymark function (waymark-function.ts). */
  lambdaMemoryMb: number;
  /** Time an Express Task spends on a Lambda call beyond the function's own, and on any other state. */
  expressInvokeOverheadMs: number;
  expressStateOverheadMs: number;
  /** Express memory billed: the 64 MB minimum holds the definition and a state under 256 KB. */
  expressMemoryMb: number;
}

export const ASSUMPTIONS: Assumptions = {
  durationsMs: ASSUMED_DURATION_MS,
  itemBytes: ASSUMED_ITEM_BYTES,
  lambdaMemoryMb: 1024,
  expressInvokeOverheadMs: 20,
  expressStateOverheadMs: 2,
  expressMemoryMb: 64,
};

/** Policies under which every task takes no time and nothing retries: only the waits are left. */
const WAITS_ONLY: Policies = {
  taskTimeoutSeconds: 0,
  lambdaService: { ...STANDARD_POLICIES.lambdaService, MaxAttempts: 0 },
  throttled: { ...STANDARD_POLICIES.throttled, MaxAttempts: 0 },
  events: { ...STANDARD_POLICIES.events, MaxAttempts: 0 },
};

/** The longest waits summed over any path; for a journey that loops, the waits on `path`. */
export function lifetimeSeconds(journey: Journey, fallback: number): number {
  return worstCaseSeconds(journey, WAITS_ONLY) ?? fallback;
}

export function triggerKind(journey: Journey): TriggerKind {
  if (isBroadcastTrigger(journey.trigger)) return 'broadcast';
  return isAudienceTrigger(journey.trigger) ? 'segment-entry' : 'event';
}

interface Edge {
  to: string;
  /** States passed on the way: a later part's start. */
  via: readonly string[];
}

function isRecord(value: AslJson | undefined): value is { [key: string]: AslJson } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function payloadOf(state: State): { [key: string]: AslJson } | undefined {
  if (state.Type !== 'Task') return undefined;
  const payload = state.Parameters.Payload;
  return isRecord(payload) ? payload : undefined;
}

function isPark(state: State): boolean {
  return payloadOf(state)?.task === 'park';
}

/** A park's continuations: where the next part starts after the wait, and on a waitForEvent's event. */
function parkContinuations(state: State): { next?: string; onEvent?: string } {
  const payload = payloadOf(state);
  const awaits = payload?.awaits;
  return {
    ...(typeof payload?.next === 'string' ? { next: payload.next } : {}),
    ...(isRecord(awaits) && typeof awaits.next === 'string' ? { onEvent: awaits.next } : {}),
  };
}

export function isHighVolumeDefinition(definition: StateMachineDefinition): boolean {
  return (
    definition.StartAt === PART_STATES[0] || Object.values(definition.States).some((state) => isPark(state))
  );
}

function edgesOf(definition: StateMachineDefinition, name: string): Edge[] {
  const state = definition.States[name];
  if (state === undefined) return [];
  // A run's first part enters; the Choice's way to Waymark.Resume is taken only after a park.
  if (name === PART_STATES[0] && state.Type === 'Choice') return [{ to: state.Default, via: [] }];
  if (isPark(state)) {
    const { next, onEvent } = parkContinuations(state);
    return [next, onEvent].flatMap((to) => (to === undefined ? [] : [{ to, via: PART_STATES }]));
  }
  const timeouts =
    state.Type === 'Task'
      ? (state.Catch ?? []).filter((c) => c.ErrorEquals.includes('States.Timeout')).map((c) => c.Next)
      : [];
  return [...stateTargets(state, { includeCatch: false }), ...timeouts].map((to) => ({ to, via: [] }));
}

/**
 * The longest path from StartAt as states in order (a later part's start included), with back edges
 * (loops) left out; only paths that end where an execution, or a run, ends count.
 */
export function longestRunPath(definition: StateMachineDefinition): string[] {
  const order: string[] = [];
  const mark = new Map<string, 'open' | 'closed'>();
  const forward = new Map<string, Edge[]>();
  const visit = (name: string): void => {
    mark.set(name, 'open');
    const kept: Edge[] = [];
    for (const edge of edgesOf(definition, name)) {
      const targetMark = mark.get(edge.to);
      if (targetMark === 'open') continue;
      kept.push(edge);
      if (targetMark === undefined) visit(edge.to);
    }
    forward.set(name, kept);
    mark.set(name, 'closed');
    order.push(name);
  };
  visit(definition.StartAt);
  const tasks = (states: readonly string[]): number =>
    states.filter((name) => definition.States[name]?.Type === 'Task').length;
  const sends = (states: readonly string[]): number =>
    states.filter((name) => {
      const state = definition.States[name];
      return state !== undefined && isDeliveryState(state);
    }).length;
  // The path with the most messages first: both targets are then costed on the same customer's way
  // (on high-volume a waitForEvent's event path can have more states than its timeout path, and fewer
  // messages, where on Standard the timeout path is the longer).
  const longer = (path: readonly string[], than: readonly string[]): boolean => {
    if (sends(path) !== sends(than)) return sends(path) > sends(than);
    return path.length !== than.length ? path.length > than.length : tasks(path) > tasks(than);
  };
  const best = new Map<string, string[]>();
  for (const name of order) {
    if (edgesOf(definition, name).length === 0) {
      best.set(name, [name]);
      continue;
    }
    let longest: string[] | undefined;
    for (const edge of forward.get(name) ?? []) {
      const after = best.get(edge.to);
      if (after === undefined) continue;
      const candidate = [...edge.via, ...after];
      if (longest === undefined || longer(candidate, longest)) longest = candidate;
    }
    if (longest !== undefined) best.set(name, [name, ...longest]);
  }
  return best.get(definition.StartAt) ?? [];
}

/** The call a Task state makes, or undefined for a state that calls no function of ours. */
export function callOfState(state: State, journey: Journey): Call | undefined {
  if (state.Type !== 'Task') return undefined;
  const payload = payloadOf(state);
  if (state.Resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN) return { kind: 'awaitEvent' };
  if (state.Resource !== LAMBDA_INVOKE || payload === undefined) return undefined;
  if (state.Parameters.FunctionName === placeholder(PLACEHOLDERS.deliverFunction)) {
    const channels = Array.isArray(payload.channels) ? payload.channels : [];
    const target = payload.target;
    return {
      kind: 'deliver',
      // The first channel the step names: the customer is taken to be reachable on it.
      channel: channelOf(channels[0]),
      system: isRecord(target) && target.reaches === 'system',
      finishes: payload.finishes === true,
    };
  }
  switch (payload.task) {
    case 'enter': {
      const values = isRecord(payload.values) ? Object.values(payload.values) : [];
      const readsProfile = values.some(
        (value) => isRecord(value) && typeof value.from === 'string' && value.from.startsWith('profile.'),
      );
      return { kind: 'enter', readsProfile, trigger: triggerKind(journey) };
    }
    case 'evaluate':
      return { kind: 'evaluate' };
    case 'schedule': {
      const until = payload.until;
      return { kind: 'schedule', preferredHour: isRecord(until) && until.kind === 'preferredHour' };
    }
    case 'updateProfile':
      return { kind: 'updateProfile' };
    case 'park':
      return { kind: 'park', awaits: isRecord(payload.awaits) };
    case 'resume':
      return { kind: 'resume', afterAwait: false };
    case 'finish':
      return { kind: 'finishTask' };
    case 'recordFailure':
      return { kind: 'recordFailure' };
    default:
      return undefined;
  }
}

const CHANNELS: readonly Channel[] = ['email', 'sms', 'push', 'whatsapp', 'webhook', 'function'];

function channelOf(value: AslJson | undefined): Channel {
  return CHANNELS.find((channel) => channel === value) ?? 'email';
}

/** Seconds a wait state on the path holds the entry: a Wait, a park, a waitForEvent's timeout. */
function waitSecondsOf(state: State, journey: Journey, name: string): number {
  if (state.Type === 'Wait' && state.Seconds !== undefined) return state.Seconds;
  if (state.Type === 'Task' && state.Resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN) return state.TimeoutSeconds;
  const wake = payloadOf(state)?.wake;
  if (isPark(state) && isRecord(wake) && typeof wake.seconds === 'number') return wake.seconds;
  if (state.Type === 'Wait' || isPark(state)) {
    // Until a local time (a step's `.wait`): timing.ts's bounds.
    const step = journey.steps[name.replace(/\.wait$/, '')];
    if (step?.type === 'wait' && step.until !== undefined) {
      return step.until.kind === 'localWindow' ? 7 * 86_400 : 2 * 86_400;
    }
  }
  return 0;
}

/** A counter of what the walk finds, turned into EntryUsage at the end. */
export function emptyUsage(journeyId: string, target: Target): EntryUsage {
  return {
    journeyId,
    target,
    path: [],
    calls: [],
    parts: 0,
    transitions: 0,
    standardStarts: 0,
    expressStarts: 0,
    expressGbSeconds: 0,
    lambdaInvocations: 0,
    lambdaGbSeconds: 0,
    lambdaSeconds: 0,
    schedulesCreated: 0,
    schedulerInvocations: 0,
    lifetimeSeconds: 0,
    dynamodbReadUnits: 0,
    dynamodbWriteUnits: 0,
    dynamodbIndexWriteUnits: 0,
    dynamodbRequests: { reads: 0, writes: 0 },
    customEvents: 0,
    ruleInvocations: 0,
    messages: 0,
    messagesByChannel: {},
    systemCalls: 0,
  };
}

/** Adds one function call to the usage; answers its duration in ms. */
function addCall(usage: EntryUsage, call: Call, assumptions: Assumptions): number {
  const ms = durationMs(call, assumptions.durationsMs);
  const request = requestsOf(call);
  const units = requestUnits(request, assumptions.itemBytes);
  const counts = requestCounts(request);
  usage.calls.push(call);
  usage.lambdaInvocations += 1;
  usage.lambdaSeconds += ms / 1000;
  usage.lambdaGbSeconds += (ms / 1000) * (assumptions.lambdaMemoryMb / 1024);
  usage.dynamodbReadUnits += units.reads;
  usage.dynamodbWriteUnits += units.writes - request.indexWrites * indexUnits(assumptions);
  usage.dynamodbIndexWriteUnits += request.indexWrites * indexUnits(assumptions);
  usage.dynamodbRequests.reads += counts.reads;
  usage.dynamodbRequests.writes += counts.writes;
  if (call.kind === 'deliver') {
    if (call.system) usage.systemCalls += 1;
    else {
      usage.messages += 1;
      usage.messagesByChannel[call.channel] = (usage.messagesByChannel[call.channel] ?? 0) + 1;
    }
  }
  if (call.kind === 'park') {
    usage.schedulesCreated += 1;
  }
  return ms;
}

function indexUnits(assumptions: Assumptions): number {
  return Math.max(1, Math.ceil(assumptions.itemBytes.history / 1024));
}

/** Express billing of one part: its time rounded up to 100 ms, at the memory billed. */
function partGbSeconds(ms: number, assumptions: Assumptions): number {
  const billedMs = Math.max(100, Math.ceil(ms / 100) * 100);
  return (billedMs / 1000) * (assumptions.expressMemoryMb / 1024);
}

/**
 * The usage of one entry, from the journey's definition compiled for `target`. The walk adds what
 * happens around the state machine: the trigger's event and record, and on Standard the end's
 * status-change event that the finish function takes.
 */
export function entryUsage(
  journey: Journey,
  definition: StateMachineDefinition,
  target: Target,
  assumptions: Assumptions = ASSUMPTIONS,
): EntryUsage {
  const highVolume = isHighVolumeDefinition(definition);
  if ((target === 'high-volume') !== highVolume) {
    throw new Error(
      `journey "${journey.id}": the definition is compiled for ${highVolume ? 'high-volume' : 'a single execution'}, not ${target}`,
    );
  }
  const usage = emptyUsage(journey.id, target);
  const trigger = triggerKind(journey);
  // The trigger: an event on the bus is recorded (record rule) and starts the journey (its rule); a
  // broadcast's member is started by the audience function, whose scan read its profile.
  if (trigger === 'broadcast') {
    usage.dynamodbReadUnits += 0.5;
  } else {
    usage.customEvents += 1;
    usage.ruleInvocations += 2;
    addCall(usage, { kind: 'record' }, assumptions);
  }
  if (target === 'standard') usage.standardStarts += 1;
  else usage.expressStarts += 1;
  usage.parts = 1;

  const path = longestRunPath(definition);
  usage.path = path;
  let partMs = 0;
  let pathWaits = 0;
  let lastDeliverFinishes = false;
  let parkedAwaiting = false;
  for (const [index, name] of path.entries()) {
    const state = definition.States[name];
    if (state === undefined) continue;
    // A later part begins: the schedule (or the awaited event) starts it.
    if (highVolume && name === PART_STATES[0] && index > 0) {
      usage.expressGbSeconds += partGbSeconds(partMs, assumptions);
      partMs = 0;
      usage.parts += 1;
      usage.expressStarts += 1;
      const parked = definition.States[path[index - 1] ?? ''];
      const onEvent = parked === undefined ? undefined : parkContinuations(parked).onEvent;
      const resumedAt = path[index + PART_STATES.length];
      if (onEvent !== undefined && onEvent === resumedAt) {
        // The awaited event: put by its producer, it reaches the resume function by its rule.
        usage.ruleInvocations += 1;
        usage.lambdaInvocations += 1;
        usage.lambdaSeconds += assumptions.durationsMs.resume / 1000;
        usage.lambdaGbSeconds +=
          (assumptions.durationsMs.resume / 1000) * (assumptions.lambdaMemoryMb / 1024);
        // waitsFor: one Query of the customer's registrations.
        usage.dynamodbReadUnits += 0.5;
        usage.dynamodbRequests.reads += 1;
      } else {
        usage.schedulerInvocations += 1;
      }
    }
    if (
      state.Type === 'Task' &&
      state.Resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN &&
      state.Next !== undefined &&
      path[index + 1] === state.Next
    ) {
      // The awaited event came (Standard): its rule brings it to the resume function, which finds the
      // registration (one Query), calls SendTaskSuccess and deletes it.
      usage.ruleInvocations += 1;
      usage.lambdaInvocations += 1;
      usage.lambdaSeconds += assumptions.durationsMs.resume / 1000;
      usage.lambdaGbSeconds += (assumptions.durationsMs.resume / 1000) * (assumptions.lambdaMemoryMb / 1024);
      usage.dynamodbReadUnits += 0.5;
      usage.dynamodbWriteUnits += 1;
      usage.dynamodbRequests.reads += 1;
      usage.dynamodbRequests.writes += 1;
    }
    if (target === 'standard') usage.transitions += 1;
    pathWaits += waitSecondsOf(state, journey, name);
    const found = callOfState(state, journey);
    // A resume after a waitForEvent's park also takes the registration away.
    const call = found?.kind === 'resume' ? { ...found, afterAwait: parkedAwaiting } : found;
    if (found?.kind === 'park') parkedAwaiting = found.awaits;
    if (state.Type === 'Task' && state.Resource === EVENTS_PUT_EVENTS) {
      // An emit step: its event is recorded like any other.
      usage.customEvents += 1;
      usage.ruleInvocations += 1;
      addCall(usage, { kind: 'record' }, assumptions);
      partMs += assumptions.expressInvokeOverheadMs;
    } else if (call !== undefined) {
      partMs += addCall(usage, call, assumptions) + assumptions.expressInvokeOverheadMs;
      lastDeliverFinishes = call.kind === 'deliver' && call.finishes;
      if (call.kind === 'deliver' && call.channel === 'email' && !call.system) {
        // SES's Delivery event (default bus, an AWS service event: not billed) reaches the preferences
        // function by its rule; opens and clicks, when tracked, come on top (not counted).
        usage.ruleInvocations += 1;
        addCall(usage, { kind: 'deliveryReport' }, assumptions);
      }
    } else {
      partMs += assumptions.expressStateOverheadMs;
    }
  }
  if (highVolume) usage.expressGbSeconds += partGbSeconds(partMs, assumptions);
  else {
    // Standard's end: the status-change event (an AWS service event, free) reaches the finish function.
    usage.ruleInvocations += 1;
    addCall(usage, { kind: 'finishOnEvent', freedByStep: lastDeliverFinishes }, assumptions);
  }
  usage.lifetimeSeconds = lifetimeSeconds(journey, pathWaits);
  return usage;
}
