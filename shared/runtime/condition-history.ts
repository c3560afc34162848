/** The customer's events that history conditions read: the last `seconds` before `now`, oldest first. */
import type { HistoryEvent } from '../journey/conditions.ts';
import { readHistory } from '../store/history.ts';
import type { Runtime } from './runtime.ts';

export async function conditionHistory(
  runtime: Runtime,
  customerId: string,
  seconds: number,
  now: Date,
): Promise<HistoryEvent[]> {
  if (seconds <= 0) return [];
  const from = new Date(now.getTime() - seconds * 1000).toISOString();
  const stored = await readHistory(runtime.store, customerId, from, now.toISOString());
  return stored.flatMap(({ entry }) =>
    entry.kind === 'event' ? [{ detailType: entry.detailType, time: entry.time, detail: entry.detail }] : [],
  );
}
