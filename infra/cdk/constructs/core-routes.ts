/**
 * The rules every stage has whatever its journeys: every customer event to
 * the record function, erasure requests and SES events (bounces and
 * complaints for suppression, deliveries, opens and clicks for the history)
 * to the preferences function, and the ends of the journeys' executions to
 * the finish function. Each has a dead-letter queue of its own, so an alarm
 * names the route that failed.
 */
import type { EventCatalog } from '../../../shared/events/catalog.ts';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { EventPattern } from '../../../shared/events/pattern.ts';
import {
  erasurePattern,
  receiptPattern,
  recordPattern,
  sesFeedbackPattern,
} from '../../../shared/events/routes.ts';
import { executionEndPattern } from '../../../shared/runtime/finish.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';
import { EventRoute } from './event-route.ts';

export interface CoreRoutesProps {
  /** The Waymark bus producers put customer events on. */
  readonly eventBus: events.IEventBus;
  /**
   * Where SES publishes the configuration set's events (the default bus), of which set, and which
   * events in words ("deliveries", "bounces", ...), for the rule's description.
   */
  readonly sesFeedback: {
    readonly bus: events.IEventBus;
    readonly configurationSetName: string;
    readonly events: readonly string[];
  };
  /**
   * Where Step Functions reports its executions' status changes (the default bus, the only one it
   * can), and the ARN prefix of this stage's journey state machines (`...:stateMachine:<prefix>-`).
   */
  readonly executionEnds: {
    readonly bus: events.IEventBus;
    readonly stateMachineArnPrefix: string;
  };
  readonly record: lambda.IFunction;
  readonly preferences: lambda.IFunction;
  readonly finish: lambda.IFunction;
  /** The project's event types: the record rule takes those keeping the customer id elsewhere too. */
  readonly events: EventCatalog;
  readonly alarmTopic: sns.ITopic;
}

interface RouteOptions {
  readonly bus: events.IEventBus;
  readonly pattern: EventPattern;
  readonly description: string;
  readonly target: lambda.IFunction;
  /** What the dead-letter queue holds, in words, for its alarm. */
  readonly holds: string;
}

export interface RouteQueue {
  /** The route's id: `Record`, `Erasure`, `SesFeedback`. */
  readonly label: string;
  readonly queue: DeadLetterQueue;
}

export class CoreRoutes extends Construct {
  readonly deadLetterQueues: readonly RouteQueue[];

  constructor(scope: Construct, id: string, props: CoreRoutesProps) {
    super(scope, id);
    const { configurationSetName } = props.sesFeedback;
    const route = (routeId: string, options: RouteOptions): RouteQueue => {
      const queue = new DeadLetterQueue(this, `${routeId}DeadLetterQueue`, {
        holds: options.holds,
        alarmTopic: props.alarmTopic,
      });
      new EventRoute(this, `${routeId}Route`, {
        eventBus: options.bus,
        pattern: options.pattern,
        description: options.description,
        target: { kind: 'function', function: options.target },
        deadLetterQueue: queue.queue,
      });
      return { label: routeId, queue };
    };
    this.deadLetterQueues = [
      route('Record', {
        bus: props.eventBus,
        pattern: recordPattern(props.events),
        description: 'Every customer event to the record function (profile and history)',
        target: props.record,
        holds: 'customer events the record function could not be invoked for',
      }),
      route('Erasure', {
        bus: props.eventBus,
        pattern: erasurePattern(),
        description: 'Customer erasure requests to the preferences function',
        target: props.preferences,
        holds: 'erasure requests the preferences function could not be invoked for',
      }),
      route('SesFeedback', {
        bus: props.sesFeedback.bus,
        pattern: sesFeedbackPattern(configurationSetName),
        description: `SES ${inWords(props.sesFeedback.events)} of configuration set ${configurationSetName} to the preferences function (suppression, engagement history)`,
        target: props.preferences,
        holds:
          'SES email events (bounces, complaints, engagement) the preferences function could not be invoked for',
      }),
      // End User Messaging publishes SMS and WhatsApp statuses on the default bus, as SES does its events.
      route('Receipts', {
        bus: props.sesFeedback.bus,
        pattern: receiptPattern(),
        description:
          'SMS and WhatsApp delivery statuses from End User Messaging to the preferences function (engagement history)',
        target: props.preferences,
        holds: 'SMS and WhatsApp delivery statuses the preferences function could not be invoked for',
      }),
      // The state machines end without a Task of their own: their end frees the customer's place.
      route('ExecutionEnds', {
        bus: props.executionEnds.bus,
        pattern: executionEndPattern(props.executionEnds.stateMachineArnPrefix),
        description:
          "Journey executions' ends (succeeded, failed, timed out, stopped) to the finish function (the customer's place, the history)",
        target: props.finish,
        holds: 'execution ends the finish function could not be invoked for (places not freed)',
      }),
    ];
  }
}

/** "a", "a and b", "a, b and c". */
function inWords(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1) ?? ''}`;
}
