/**
 * What was not sent: by status, by journey and channel, and capped ones by cap (the figures add their
 * counters here, shared/figures/report.ts).
 */
import type { SkipStatus } from '../customer/history.ts';
import type { Channel } from '../customer/profile.ts';
import type { NotSentReport, NotSentRow } from './types.ts';

export function newNotSent(): NotSentReport {
  return {
    byStatus: { capped: 0, deferred: 0, 'rate-limited': 0, 'opted-out': 0, 'no-address': 0, failed: 0 },
    rows: [],
    byCap: {},
    deferredThenSent: 0,
  };
}

/**
 * Adds `amount` messages not sent with `status` to the report: to its status total and to the row of
 * the journey and channel (made at its first count).
 */
export function addNotSent(
  report: NotSentReport,
  place: { journeyId: string; channel: Channel | null },
  status: SkipStatus,
  amount: number,
): void {
  report.byStatus[status] += amount;
  let row = report.rows.find(
    (candidate) => candidate.journeyId === place.journeyId && candidate.channel === place.channel,
  );
  if (row === undefined) {
    row = {
      journeyId: place.journeyId,
      channel: place.channel,
      capped: 0,
      deferred: 0,
      rateLimited: 0,
      optedOut: 0,
      noAddress: 0,
      failed: 0,
    };
    report.rows.push(row);
  }
  row[ROW_FIELD[status]] += amount;
}

const ROW_FIELD: Record<SkipStatus, Exclude<keyof NotSentRow, 'journeyId' | 'channel'>> = {
  capped: 'capped',
  deferred: 'deferred',
  'rate-limited': 'rateLimited',
  'opted-out': 'optedOut',
  'no-address': 'noAddress',
  failed: 'failed',
};
