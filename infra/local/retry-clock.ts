/**
 * A Task's retries on the engine's clock. Between attempts Step Functions waits IntervalSeconds ×
 * BackoffRate^attempt, at most MaxDelaySeconds, a random part of it under full jitter. The interpreter
 * would wait on a real timer, and a Task's TimeoutSeconds would count the wait, so the interpreter is
 * told to wait 0 ms and to time nothing (see definition.ts), and the engine waits here instead, on the
 * virtual clock, timing each attempt itself. A jumping clock (tests, simulate) passes through a retry as
 * it passes through a Wait; a scaled one waits it out scaled. Without it, a send SES throttled would be
 * tried again at the same virtual instant, into the same full second, thirty times over. A retry's wait
 * is not saved: after a restart the execution goes on from its last parked state, as it did when the
 * interpreter waited.
 */
import type { JsonValue } from '../../shared/json.ts';
import type { VirtualClock } from './clock.ts';
import { EngineError } from './errors.ts';

/** A Retry entry as the interpreter reads it (its defaults: 1 s, 3 attempts, rate 2, no jitter). */
export interface RetrierSpec {
  ErrorEquals: readonly string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

/**
 * Counts a Task's failed attempts as the interpreter does (the first retrier naming the error, each up
 * to its MaxAttempts, all reset when the state is left), so the engine waits before exactly the calls
 * the interpreter makes as retries.
 */
export class RetryPacer {
  private attempts: number[];
  private due: Date | undefined;

  constructor(
    private readonly retriers: readonly RetrierSpec[],
    private readonly random: () => number = Math.random,
  ) {
    this.attempts = retriers.map(() => 0);
  }

  /** When the call about to start may run: undefined for a first attempt, the retry's time for a retry. */
  takeDue(): Date | undefined {
    const due = this.due;
    this.due = undefined;
    return due;
  }

  succeeded(): void {
    this.attempts = this.retriers.map(() => 0);
  }

  /** After an attempt failed at `now`: when the interpreter's retry of it is due, if it retries it. */
  failed(error: unknown, now: Date): void {
    const index = this.retriers.findIndex((retrier) => names(retrier, error));
    const retrier = this.retriers[index];
    const attempts = this.attempts[index] ?? 0;
    if (retrier === undefined || !isRetryable(error) || attempts >= (retrier.MaxAttempts ?? 3)) {
      // Caught, or the execution fails: the state is left, and a later entry starts counting anew.
      this.succeeded();
      return;
    }
    this.attempts[index] = attempts + 1;
    const interval = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempts;
    const capped = Math.min(interval, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY) * 1000;
    const waitMs = retrier.JitterStrategy === 'FULL' ? this.random() * capped : capped;
    this.due = new Date(now.getTime() + waitMs);
  }
}

/**
 * The interpreter's matching: the error's name, States.ALL, or States.TaskFailed, which it lets match
 * anything but its own timeout error, and no error a handler throws is that.
 */
function names(retrier: RetrierSpec, error: unknown): boolean {
  const name = error instanceof Error ? error.name : undefined;
  return retrier.ErrorEquals.some(
    (entry) => entry === name || entry === 'States.ALL' || entry === 'States.TaskFailed',
  );
}

function isRetryable(error: unknown): boolean {
  return !(error instanceof Error && 'isRetryable' in error && error.isRetryable === false);
}

export interface PacedTaskOptions {
  state: string;
  retriers: readonly RetrierSpec[];
  /** Each attempt's limit in real seconds (a function's TimeoutSeconds); undefined: the task times itself. */
  attemptTimeoutSeconds: number | undefined;
  clock: VirtualClock;
  /** Aborts a retry's wait when the execution stops. */
  signal: AbortSignal;
  /** Runs while the execution waits for a retry: the engine counts it idle, as in any other wait. */
  idleWhile: <T>(wait: Promise<T>) => Promise<T>;
}

/** `attempt` as the Task's handler: each retry waits its turn on the clock, each attempt is timed. */
export function pacedTask(
  attempt: (input: JsonValue) => Promise<JsonValue>,
  options: PacedTaskOptions,
): (input: JsonValue) => Promise<JsonValue> {
  const pacer = new RetryPacer(options.retriers);
  return async (input) => {
    const due = pacer.takeDue();
    if (due !== undefined) await options.idleWhile(options.clock.sleepUntil(due, options.signal));
    try {
      const output = await timed(attempt(input), options.state, options.attemptTimeoutSeconds);
      pacer.succeeded();
      return output;
    } catch (error) {
      pacer.failed(error, options.clock.now());
      throw error;
    }
  };
}

/** The attempt, or States.Timeout once `seconds` of real time pass: a function's time is real time. */
async function timed<T>(work: Promise<T>, state: string, seconds: number | undefined): Promise<T> {
  if (seconds === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new EngineError('States.Timeout', `${state} did not finish within ${seconds} s`)),
      seconds * 1000,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
