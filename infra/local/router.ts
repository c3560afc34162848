/**
 * The local bus's routing, as the EventBridge rules do it on AWS: each accepted event to the functions and
 * journeys whose rules match it. Events of one customer are routed one after the other, in the order they
 * were accepted (the profile relies on it); events of different customers are routed side by side, a few
 * dozen customers at a time, since each event spends most of its time waiting for DynamoDB.
 */
import type { EventCatalog } from '../../shared/events/catalog.ts';
import type { EventEnvelope } from '../../shared/events/catalog.ts';
import { matchesPattern } from '../../shared/events/pattern.ts';
import {
  erasurePattern,
  receiptPattern,
  recordPattern,
  sesFeedbackPattern,
} from '../../shared/events/routes.ts';
import { executionEndPattern } from '../../shared/runtime/finish.ts';
import { maskIdentifier } from '../../shared/text/mask.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './constants.ts';
import type { BusRule } from './eventbridge.ts';

/** The runtime functions as the engine calls them: the Lambda handlers, in this process. */
export interface LocalFunctions {
  steps(payload: unknown): Promise<unknown>;
  deliver(payload: unknown): Promise<unknown>;
  record(event: EventEnvelope): Promise<unknown>;
  resume(event: EventEnvelope): Promise<unknown>;
  goals(event: EventEnvelope): Promise<unknown>;
  preferences(event: EventEnvelope): Promise<unknown>;
  finish(event: EventEnvelope): Promise<unknown>;
}

export type RuleTarget =
  | { kind: 'journey'; journeyId: string }
  | { kind: 'function'; name: 'record' | 'resume' | 'goals' | 'preferences' | 'finish' };

export interface LocalRule extends BusRule {
  target: RuleTarget;
}

/** The core rules, with the same patterns as the CDK stack's. */
export function coreRules(configurationSet: string, events: EventCatalog): LocalRule[] {
  return [
    {
      name: 'waymark-record',
      description: 'Every customer event: profile and history (record function)',
      eventPattern: recordPattern(events),
      state: 'ENABLED',
      target: { kind: 'function', name: 'record' },
    },
    {
      name: 'waymark-erasure',
      description: 'Erasure requests (preferences function)',
      eventPattern: erasurePattern(),
      state: 'ENABLED',
      target: { kind: 'function', name: 'preferences' },
    },
    {
      name: 'waymark-ses-feedback',
      description:
        'SES deliveries, opens, clicks, bounces and complaints of the configuration set (preferences function)',
      eventPattern: sesFeedbackPattern(configurationSet),
      state: 'ENABLED',
      target: { kind: 'function', name: 'preferences' },
    },
    {
      name: 'waymark-receipts',
      description: 'SMS and WhatsApp delivery statuses (preferences function)',
      eventPattern: receiptPattern(),
      state: 'ENABLED',
      target: { kind: 'function', name: 'preferences' },
    },
    {
      name: 'waymark-execution-ends',
      description: "Journey executions' ends, as Step Functions reports them (finish function)",
      // Every state machine the engine runs is a journey's.
      eventPattern: executionEndPattern(`arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:`),
      state: 'ENABLED',
      target: { kind: 'function', name: 'finish' },
    },
  ];
}

/**
 * The order a person would expect: the profile first, then exits and resumes, an execution's end,
 * then new journeys.
 */
const FUNCTION_ORDER = ['record', 'preferences', 'goals', 'resume', 'finish'] as const;

/**
 * Customers routed at once: enough to keep the functions and dynalite's thread busy side by side; more only
 * makes each event wait longer. On two cores the journey mix of bench/intake.bench.ts routed 124, 135, 145
 * and 125 events/s with 8, 16, 32 and 64.
 */
export const ROUTING_CONCURRENCY = 32;

export interface RouterOptions {
  rules(): readonly LocalRule[];
  /** The customer an event is about, read where its event type keeps the id; undefined when none. */
  customerOf(event: EventEnvelope): string | undefined;
  functions: LocalFunctions;
  /** Starts the journey for its trigger event, at most once per journey and event however often it is asked. */
  startJourney(journeyId: string, event: EventEnvelope): void;
  log(line: string): void;
  stamp(): string;
  /** The event's routing is done (or failed and was logged): it is not routed again, even after a restart. */
  routed(event: EventEnvelope): void;
  /**
   * A target that kept failing, as a rule target's dead-letter queue receives it on AWS: kept with the
   * reason so that nothing accepted is silently lost.
   */
  deadLetter(event: EventEnvelope, target: string, reason: string): void;
  /** Waits between a failed call and the next try; default TARGET_RETRY_DELAYS_MS. */
  retryDelaysMs?: readonly number[];
  concurrency?: number;
}

/** A first-in first-out list of customers whose next event is ready to route. */
class KeyQueue {
  private keys: string[] = [];
  private head = 0;

  push(key: string): void {
    this.keys.push(key);
  }

  shift(): string | undefined {
    if (this.head >= this.keys.length) return undefined;
    const key = this.keys[this.head];
    this.head += 1;
    // Drops the consumed part once it is most of the list, so a long burst does not keep it all.
    if (this.head > 1024 && this.head * 2 > this.keys.length) {
      this.keys = this.keys.slice(this.head);
      this.head = 0;
    }
    return key;
  }
}

/**
 * EventBridge retries a failing target (for up to 24 hours) before its dead-letter queue takes the event;
 * locally a target is tried three times, a moment apart, which rides out a busy moment of the store.
 */
export const TARGET_RETRY_DELAYS_MS: readonly number[] = [100, 1_000];

export class EventRouter {
  /** Per customer, the events accepted and not yet routed, the one being routed first. */
  private readonly queues = new Map<string, EventEnvelope[]>();
  /** Customers with an event to route and none being routed: each key is here or in flight, never both. */
  private readonly ready = new KeyQueue();
  private inFlight = 0;
  private waiting = 0;
  private closed = false;
  private readonly concurrency: number;

  constructor(private readonly options: RouterOptions) {
    this.concurrency = options.concurrency ?? ROUTING_CONCURRENCY;
  }

  /** Events accepted and not routed yet, those being routed included. */
  get backlog(): number {
    return this.waiting;
  }

  /** Routes the event after every event of the same customer accepted before it. */
  accept(event: EventEnvelope): void {
    this.waiting += 1;
    const key = orderKey(this.options.customerOf(event));
    const queue = this.queues.get(key);
    if (queue === undefined) {
      this.queues.set(key, [event]);
      this.ready.push(key);
    } else {
      queue.push(event);
    }
    this.pump();
  }

  /** Stops routing: what is not routed yet stays in the intake journal for the next start. */
  close(): void {
    this.closed = true;
  }

  private pump(): void {
    while (!this.closed && this.inFlight < this.concurrency) {
      const key = this.ready.shift();
      if (key === undefined) return;
      this.inFlight += 1;
      void this.routeNext(key);
    }
  }

  /** One event of the customer, then the customer waits its turn again: a busy customer does not hold a slot. */
  private async routeNext(key: string): Promise<void> {
    const queue = this.queues.get(key) ?? [];
    const event = queue[0];
    if (event !== undefined) {
      try {
        await this.route(event);
      } catch (error) {
        this.options.log(`  ! routing ${event['detail-type']} failed: ${describeError(error)}`);
      }
      // Marked routed even when it failed: routed again at every start, an event that breaks routing
      // would break it for ever. The failure is in the log.
      if (!this.closed) this.options.routed(event);
    }
    queue.shift();
    this.waiting -= 1;
    if (queue.length === 0) this.queues.delete(key);
    else this.ready.push(key);
    this.inFlight -= 1;
    this.pump();
  }

  /**
   * Routing an event is safe to repeat, which a crash in the middle of it makes happen: the record
   * function applies an event id once, resumes and exits act once per wait and execution, and a journey
   * starts at most one execution per trigger event (named after it, see LocalEngine.startJourney).
   */
  private async route(event: EventEnvelope): Promise<void> {
    const matching = this.options
      .rules()
      .filter((rule) => rule.state === 'ENABLED' && matchesPattern(rule.eventPattern, event));
    const customerId = this.options.customerOf(event);
    const customer = customerId === undefined ? '' : ` (${maskIdentifier(customerId)})`;
    this.options.log(
      `${this.options.stamp()} event ${event['detail-type']}${customer} → ${matching.length === 0 ? 'no rule' : matching.map((rule) => rule.name).join(', ')}`,
    );
    for (const name of FUNCTION_ORDER) {
      // Stopping: what is left of this event is routed at the next start (it is not marked routed).
      if (this.closed) return;
      if (!matching.some((rule) => rule.target.kind === 'function' && rule.target.name === name)) continue;
      await this.withRetries(event, name, () => this.options.functions[name](event));
    }
    const journeys = new Set<string>();
    for (const rule of matching) if (rule.target.kind === 'journey') journeys.add(rule.target.journeyId);
    for (const journeyId of journeys) {
      if (this.closed) return;
      await this.withRetries(event, journeyId, () => {
        this.options.startJourney(journeyId, event);
        return Promise.resolve();
      });
    }
  }

  /** Calls a target until it succeeds or its tries run out; then the event goes to the dead letters. */
  private async withRetries(
    event: EventEnvelope,
    target: string,
    call: () => Promise<unknown>,
  ): Promise<void> {
    const delays = this.options.retryDelaysMs ?? TARGET_RETRY_DELAYS_MS;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await call();
        return;
      } catch (error) {
        // Stopping: the event is not marked routed, so the next start routes it again.
        if (this.closed) return;
        const delay = delays[attempt];
        if (delay === undefined) {
          this.options.log(
            `  ! ${target} failed ${attempt + 1} times, kept as a dead letter: ${describeError(error)}`,
          );
          this.options.deadLetter(event, target, describeError(error));
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}

/** Events without a customer (SES feedback, say) share one order among themselves. */
function orderKey(customerId: string | undefined): string {
  return customerId === undefined ? 'no-customer' : `customer:${customerId}`;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
