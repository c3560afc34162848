/**
 * The local engine's clock. Every part reads it: waits, quiet hours, cap
 * windows, timestamps. It either runs `scale` times faster than real time
 * (`npm start -- --time-scale 3600`: an hour a second), or stands still until
 * told to move (`simulate` and the tests), jumping from one due wait to the
 * next.
 */

interface Sleeper {
  due: number;
  /** A standing schedule's next firing, not work waiting to happen. */
  schedule: boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

// setTimeout fires at once for anything longer than this (about 24.8 days).
const MAX_TIMER_MS = 2 ** 31 - 1;

export type ClockMode = { kind: 'scaled'; scale: number } | { kind: 'manual' };

export class VirtualClock {
  private anchorVirtual: number;
  private anchorReal: number;
  private readonly sleepers: Sleeper[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    start: Date,
    readonly mode: ClockMode,
  ) {
    this.anchorVirtual = start.getTime();
    this.anchorReal = Date.now();
  }

  readonly now = (): Date => new Date(this.nowMs());

  private nowMs(): number {
    if (this.mode.kind === 'manual') return this.anchorVirtual;
    return this.anchorVirtual + (Date.now() - this.anchorReal) * this.mode.scale;
  }

  /** Resolves once the clock reaches `due`, at once if it already has; rejects if `signal` aborts first. */
  /**
   * `schedule`: a standing schedule's next firing (a recurring broadcast), which is always there; what
   * runs "until nothing is left to do" (nextDue) does not count it.
   */
  sleepUntil(due: Date, signal?: AbortSignal, options: { schedule?: boolean } = {}): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(new Error('The wait was cancelled'));
    if (due.getTime() <= this.nowMs()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const cancel = (): void => {
        const index = this.sleepers.indexOf(sleeper);
        if (index >= 0) this.sleepers.splice(index, 1);
        this.arm();
        reject(new Error('The wait was cancelled'));
      };
      // The listener goes when the sleeper wakes: one execution waits many times on one signal.
      const sleeper: Sleeper = {
        due: due.getTime(),
        schedule: options.schedule === true,
        resolve: () => {
          signal?.removeEventListener('abort', cancel);
          resolve();
        },
        reject,
      };
      this.sleepers.push(sleeper);
      this.sleepers.sort((a, b) => a.due - b.due);
      this.arm();
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  /** The earliest time something sleeps until, if anything does. */
  nextDue(): Date | undefined {
    const first = this.sleepers.find((sleeper) => !sleeper.schedule);
    return first === undefined ? undefined : new Date(first.due);
  }

  /**
   * Moves the clock forward to `target`, waking sleepers in time order. `settle` runs after each
   * wake-up so whatever woke can act (and perhaps sleep again) before the clock moves on.
   */
  async advanceTo(target: Date, settle: () => Promise<void> = () => Promise.resolve()): Promise<void> {
    for (;;) {
      const first = this.sleepers[0];
      if (first === undefined || first.due > target.getTime()) break;
      this.setNow(Math.max(first.due, this.nowMs()));
      this.wakeDue();
      await settle();
    }
    if (target.getTime() > this.nowMs()) this.setNow(target.getTime());
    this.arm();
  }

  /** Stops every sleeper (at shutdown), so nothing waits for a clock that no longer runs. */
  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const sleeper of this.sleepers.splice(0)) sleeper.reject(new Error('The clock stopped'));
  }

  private setNow(virtual: number): void {
    this.anchorVirtual = virtual;
    this.anchorReal = Date.now();
  }

  private wakeDue(): void {
    const now = this.nowMs();
    while (this.sleepers[0] !== undefined && this.sleepers[0].due <= now) {
      const sleeper = this.sleepers.shift();
      sleeper?.resolve();
    }
  }

  private arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const first = this.sleepers[0];
    if (first === undefined || this.mode.kind === 'manual') return;
    const realMs = Math.min(MAX_TIMER_MS, Math.max(0, (first.due - this.nowMs()) / this.mode.scale));
    this.timer = setTimeout(() => {
      this.wakeDue();
      this.arm();
    }, realMs);
    // A pending wait must not keep a finished process alive on its own.
    this.timer.unref();
  }
}
