import { TASK_ERRORS } from '../contract/tasks.ts';

/** SES or SNS asked us to slow down. The name is what the state machine's Retry matches. */
export class ThrottledError extends Error {
  override readonly name = TASK_ERRORS.throttled;
}

/**
 * A message put off, thrown for a definition that catches it (the task's `deferral: 'error'`): the
 * message is the outcome as JSON, which the state machine parses from Lambda's error cause to wait.
 */
export class DeferredError extends Error {
  override readonly name = TASK_ERRORS.deferred;
  constructor(outcome: { status: 'deferred' | 'rate-limited'; resumeAt: string }) {
    super(JSON.stringify(outcome));
  }
}
