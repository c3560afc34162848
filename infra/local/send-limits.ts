/**
 * The account's maximum send rates, as SES and SNS enforce them, for the local stand-ins: `npm start --
 * --ses-max-send-rate 14` makes the local SES refuse the 15th SendEmail in any one second with the error
 * SES gives, so throttling can be seen and tested without AWS.
 */

/** Sends a second per channel; a channel left out is not limited. */
export interface SendLimits {
  /** SESv2 SendEmail. */
  email?: number;
  /** SNS Publish to a phone number. */
  sms?: number;
  /** SNS Publish to a platform endpoint. */
  push?: number;
}

/** A send let through; given back if the service then refused it after all. */
export interface SendSlot {
  release(): void;
}

const WINDOW_MS = 1000;

/**
 * At most `perSecond` accepted sends in any one second: a send is let through when fewer than that were
 * in the second up to it. The second is the engine's virtual second, read from `now`: the journeys pace
 * their own sends (settings.sendRates) on the engine's clock, so at --time-scale 3600 a wall-clock
 * second would hold an hour of sends the journeys rightly spread out, and on a clock that stands still
 * (tests, simulate) retries would pass once real time went by instead of when the state machine's
 * waits do.
 */
export class SendRateLimiter {
  /** When each send in the last second was let through, oldest first. */
  private readonly accepted: number[] = [];

  constructor(
    readonly perSecond: number,
    private readonly now: () => Date,
  ) {
    const problem = sendRateProblem(perSecond);
    if (problem !== undefined) throw new Error(`A send rate ${problem}`);
  }

  /** A slot for one send now, or undefined when the second up to now is full; a refusal takes no slot. */
  take(): SendSlot | undefined {
    const time = this.now().getTime();
    const first = this.accepted.findIndex((accepted) => accepted > time - WINDOW_MS);
    this.accepted.splice(0, first === -1 ? this.accepted.length : first);
    if (this.accepted.length >= this.perSecond) return undefined;
    this.accepted.push(time);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const index = this.accepted.lastIndexOf(time);
        if (index !== -1) this.accepted.splice(index, 1);
      },
    };
  }
}

/**
 * Why a value is no send rate, or undefined when it is one: a count of sends in a second, so a whole
 * number. `shown` is how the value was written (a command-line argument), for the message.
 */
export function sendRateProblem(value: number, shown = String(value)): string | undefined {
  return Number.isSafeInteger(value) && value >= 1
    ? undefined
    : `must be a whole number of sends a second, 1 or more, not ${shown || '""'}`;
}

/** What is wrong with the limits, or undefined when each is a send rate. */
export function sendLimitsProblem(limits: SendLimits): string | undefined {
  for (const channel of ['email', 'sms', 'push'] satisfies (keyof SendLimits)[]) {
    const value = limits[channel];
    const problem = value === undefined ? undefined : sendRateProblem(value);
    if (problem !== undefined) return `The ${channel} send limit ${problem}`;
  }
  return undefined;
}

/** A limiter per limited channel, each on `now`. */
export function sendLimiters(
  limits: SendLimits,
  now: () => Date,
): { email?: SendRateLimiter; sms?: SendRateLimiter; push?: SendRateLimiter } {
  return {
    ...(limits.email === undefined ? {} : { email: new SendRateLimiter(limits.email, now) }),
    ...(limits.sms === undefined ? {} : { sms: new SendRateLimiter(limits.sms, now) }),
    ...(limits.push === undefined ? {} : { push: new SendRateLimiter(limits.push, now) }),
  };
}

/** Runs one send under `limiter` (none: no limit): throws `refused()` past the rate; a send that throws takes no slot. */
export function underSendRate<T>(
  limiter: SendRateLimiter | undefined,
  refused: () => Error,
  send: () => T,
): T {
  if (limiter === undefined) return send();
  const slot = limiter.take();
  if (slot === undefined) throw refused();
  try {
    return send();
  } catch (error) {
    slot.release();
    throw error;
  }
}
