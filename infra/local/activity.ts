/**
 * How busy the engine is: executions running steps, events being routed,
 * broadcast runs. The manual clock and `idle()` wait until nothing but waits
 * is left, so "advance by a day" lets everything due happen first.
 */
export class Activity {
  private busy = 0;
  private idleWaiters: (() => void)[] = [];

  /** Resolves when nothing is doing anything but waiting. */
  async idle(): Promise<void> {
    for (;;) {
      // Whatever was just resolved (a wait that ended, an answered token) runs first and may
      // make the engine busy again: look only once the queue of ready work has drained.
      await settled();
      if (this.busy === 0) return;
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  async busyWhile<T>(work: () => Promise<T>): Promise<T> {
    this.markBusy();
    try {
      return await work();
    } finally {
      this.markIdle();
    }
  }

  /** While busy work waits for something (a retry's turn, the clock), it counts as idle. */
  async idleWhile<T>(wait: Promise<T>): Promise<T> {
    this.markIdle();
    try {
      return await wait;
    } finally {
      this.markBusy();
    }
  }

  markBusy(): void {
    this.busy += 1;
  }

  markIdle(): void {
    this.busy -= 1;
    if (this.busy > 0) return;
    // Let whatever was just resolved run first; it may make the engine busy again.
    setImmediate(() => {
      if (this.busy !== 0) return;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
  }
}

function settled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
