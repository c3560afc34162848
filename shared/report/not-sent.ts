/**
 * What was not sent, from the history's `skipped` entries: by status, by journey and channel, and
 * capped ones by cap (shared/report/report.ts counts each entry here as it reads the history).
 */
import type { HistoryEntryOf, SkipStatus } from '../customer/history.ts';
import type { NotSentReport, NotSentRow } from './types.ts';

export function newNotSent(): NotSentReport {
  return {
    byStatus: { capped: 0, deferred: 0, 'rate-limited': 0, 'opted-out': 0, 'no-address': 0, failed: 0 },
    rows: [],
    byCap: {},
    deferredThenSent: 0,
  };
}

export function countSkip(report: NotSentReport, entry: HistoryEntryOf<'skipped'>): void {
  report.byStatus[entry.status] += 1;
  const channel = entry.channel ?? null;
  let row = report.rows.find(
    (candidate) => candidate.journeyId === entry.journeyId && candidate.channel === channel,
  );
  if (row === undefined) {
    row = {
      journeyId: entry.journeyId,
      channel,
      capped: 0,
      deferred: 0,
      rateLimited: 0,
      optedOut: 0,
      noAddress: 0,
      failed: 0,
    };
    report.rows.push(row);
  }
  row[ROW_FIELD[entry.status]] += 1;
  if (entry.status === 'capped') {
    const capId = entry.capId ?? '(unnamed)';
    report.byCap[capId] = (report.byCap[capId] ?? 0) + 1;
  }
}

const ROW_FIELD: Record<SkipStatus, Exclude<keyof NotSentRow, 'journeyId' | 'channel'>> = {
  capped: 'capped',
  deferred: 'deferred',
  'rate-limited': 'rateLimited',
  'opted-out': 'optedOut',
  'no-address': 'noAddress',
  failed: 'failed',
};
