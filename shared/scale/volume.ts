/**
 * A volume of entries as people write it: `1000000/month`, `1,000,000/month`, `50000/day`,
 * `2/s`, `1e6` (a month). A month is 730 hours, as AWS's pricing pages count it.
 */
import { positiveNumber } from './quotas.ts';

export const SECONDS_PER_MONTH = 730 * 3600;

const PER: Readonly<Record<string, number>> = {
  month: SECONDS_PER_MONTH,
  mo: SECONDS_PER_MONTH,
  day: 86_400,
  d: 86_400,
  hour: 3600,
  h: 3600,
  minute: 60,
  min: 60,
  second: 1,
  sec: 1,
  s: 1,
};

export interface Volume {
  entriesPerMonth: number;
  entriesPerSecond: number;
  /** As given, for the output. */
  text: string;
}

export function parseVolume(text: string): { ok: true; volume: Volume } | { ok: false; problem: string } {
  const [amount = '', unit = 'month', ...rest] = text.trim().split('/');
  const seconds = PER[unit.trim().toLowerCase()];
  const count = positiveNumber(amount);
  if (rest.length > 0 || seconds === undefined || count === undefined) {
    return {
      ok: false,
      problem: `--volume ${text}: expected entries per journey as <number>/<month|day|hour|s>, for example 1000000/month`,
    };
  }
  const entriesPerSecond = count / seconds;
  return {
    ok: true,
    volume: { entriesPerSecond, entriesPerMonth: entriesPerSecond * SECONDS_PER_MONTH, text: text.trim() },
  };
}
