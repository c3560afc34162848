/** The report's figures as people read them, the same in the panel and on the command line. */

/** 0.25 → "25.0%"; no denominator → "-". */
export function percent(rate: number | null): string {
  return rate === null ? '-' : `${(rate * 100).toFixed(1)}%`;
}

/** Whole numbers as they are, shares (linear attribution) with two decimals. */
export function figure(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** Seconds as a person reads a wait: "45s", "12m 5s", "1h 0m", "2d 3h"; null → "-". */
export function duration(seconds: number | null): string {
  if (seconds === null) return '-';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m ${whole % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/**
 * Messages with an engagement action beside their share of those sent: "3 (75.0%)". "-" when the
 * rate means nothing (nothing sent, or a channel that does not report the action) and none has it.
 */
export function engaged(count: number, rate: number | null): string {
  if (rate === null) return count === 0 ? '-' : String(count);
  return `${count} (${percent(rate)})`;
}
