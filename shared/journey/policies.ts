/** How compiled journeys retry and time out: one place, read by the compiler and the timing model. */
import type { Retrier } from '../asl/types.ts';
import { TASK_ERRORS } from '../contract/tasks.ts';
import type { Journey } from './schema.ts';

/** Express workflows run for at most five minutes. */
export const EXPRESS_MAX_SECONDS = 300;

/**
 * Every Task gets an explicit timeout: Step Functions has none by default and would wait for ever.
 * A function's own timeout must be shorter, or a message could go out after the task gave up on it.
 */
export const STANDARD_TASK_TIMEOUT_SECONDS = 60;
/** Express runs are short; a slow task there must fail fast enough to leave room for the rest. */
export const EXPRESS_TASK_TIMEOUT_SECONDS = 10;

export function taskTimeoutSeconds(journey: Journey): number {
  return journey.workflow === 'express' ? EXPRESS_TASK_TIMEOUT_SECONDS : STANDARD_TASK_TIMEOUT_SECONDS;
}

export const LAMBDA_SERVICE_RETRY: Retrier = {
  ErrorEquals: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    'Lambda.ClientExecutionTimeoutException',
  ],
  IntervalSeconds: 1,
  MaxAttempts: 3,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
};

/** SES and SNS throttling clears within seconds to a minute: 2, 4, 8, 16, 32, 60 s (jittered). */
export const THROTTLED_RETRY: Retrier = {
  ErrorEquals: [TASK_ERRORS.throttled],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  MaxDelaySeconds: 60,
  JitterStrategy: 'FULL',
};

/** Transient EventBridge errors only: a rejected entry (EventBridge.FailedEntry) would fail again. */
export const EVENTS_RETRY: Retrier = {
  ErrorEquals: ['EventBridge.AmazonEventBridgeException', 'EventBridge.InternalException'],
  IntervalSeconds: 1,
  MaxAttempts: 3,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
};

/** Worst case for one retrier: every retry taken at its longest delay. */
export function retrySeconds(retrier: Retrier): number {
  let total = 0;
  for (let attempt = 0; attempt < retrier.MaxAttempts; attempt++) {
    const delay = retrier.IntervalSeconds * retrier.BackoffRate ** attempt;
    total += Math.min(delay, retrier.MaxDelaySeconds ?? delay);
  }
  return total;
}
