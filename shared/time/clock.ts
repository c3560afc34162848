/**
 * The time every runtime function reads. On Lambda it is the system clock;
 * the local engine swaps in its virtual clock, so waits, quiet hours and cap
 * windows all move with `--time-scale`.
 */
let current: () => Date = () => new Date();

export function now(): Date {
  return current();
}

export function useClock(clock: () => Date): void {
  current = clock;
}
