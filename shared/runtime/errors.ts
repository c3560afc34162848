import { TASK_ERRORS } from '../contract/tasks.ts';

/** SES or SNS asked us to slow down. The name is what the state machine's Retry matches. */
export class ThrottledError extends Error {
  override readonly name = TASK_ERRORS.throttled;
}
