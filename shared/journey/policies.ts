/**
 * How compiled journeys retry and time out: one place, read by the compiler and the timing model.
 * Express runs end at five minutes, so their tasks time out sooner and retry less.
 */
import type { Retrier } from '../asl/types.ts';
import { TASK_ERRORS } from '../contract/tasks.ts';
import type { Journey } from './schema.ts';

/** Express workflows run for at most five minutes. */
export const EXPRESS_MAX_SECONDS = 300;

export interface Policies {
  /**
   * Every Task gets an explicit timeout: Step Functions has none by default and would wait for
   * ever. A function's own timeout must be shorter, or a message could go out after the task gave up.
   */
  taskTimeoutSeconds: number;
  lambdaService: Retrier;
  /** SES or SNS asked to slow down. */
  throttled: Retrier;
  events: Retrier;
}

const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
];

/** Transient EventBridge errors only: a rejected entry (EventBridge.FailedEntry) would fail again. */
const EVENTS_ERRORS = ['EventBridge.AmazonEventBridgeException', 'EventBridge.InternalException'];

export const STANDARD_POLICIES: Policies = {
  taskTimeoutSeconds: 60,
  lambdaService: {
    ErrorEquals: LAMBDA_SERVICE_ERRORS,
    IntervalSeconds: 1,
    MaxAttempts: 3,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
  // A provider still throttling (rates set above the account's, or another sender in the account) is
  // waited out, not recorded failed: 2, 4, ... 512 s, then every 15 minutes, 30 tries in all. At most
  // about 5.5 hours, on average half that (the waits are jittered); docs/sending.md says so.
  throttled: {
    ErrorEquals: [TASK_ERRORS.throttled],
    IntervalSeconds: 2,
    MaxAttempts: 30,
    BackoffRate: 2,
    MaxDelaySeconds: 900,
    JitterStrategy: 'FULL',
  },
  events: {
    ErrorEquals: EVENTS_ERRORS,
    IntervalSeconds: 1,
    MaxAttempts: 3,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
};

export const EXPRESS_POLICIES: Policies = {
  taskTimeoutSeconds: 10,
  lambdaService: { ...STANDARD_POLICIES.lambdaService, MaxAttempts: 2 },
  throttled: { ...STANDARD_POLICIES.throttled, MaxAttempts: 2 },
  events: { ...STANDARD_POLICIES.events, MaxAttempts: 2 },
};

export function policiesFor(journey: Journey): Policies {
  // A high-volume journey's parts are Express executions too.
  return journey.workflow === 'standard' ? STANDARD_POLICIES : EXPRESS_POLICIES;
}

/** The longest a Task with these retriers can take: every attempt timing out, every retry at its longest delay. */
export function worstTaskSeconds(timeoutSeconds: number, retriers: readonly Retrier[]): number {
  const attempts = 1 + retriers.reduce((sum, retrier) => sum + retrier.MaxAttempts, 0);
  return attempts * timeoutSeconds + retriers.reduce((sum, retrier) => sum + retrySeconds(retrier), 0);
}

/** Worst case for one retrier: every retry taken at its longest delay. */
export function retrySeconds(retrier: Retrier): number {
  let total = 0;
  for (let attempt = 0; attempt < retrier.MaxAttempts; attempt++) {
    const delay = retrier.IntervalSeconds * retrier.BackoffRate ** attempt;
    total += Math.min(delay, retrier.MaxDelaySeconds ?? delay);
  }
  return total;
}
