/** Hand-built customer histories for the report's tests: each entry at a given minute after one fixed instant. */
import type { HistoryEntry } from '../../shared/customer/history.ts';
import type { CustomerRead } from '../../shared/store/customers.ts';
import type { CustomerOverview } from '../../shared/store/overview.ts';

export const T0 = Date.parse('2026-03-02T12:00:00.000Z');
/** An ISO time `minutes` after T0. */
export const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

export function customer(
  customerId: string,
  entries: HistoryEntry[],
  options: { stored?: CustomerRead; active?: Record<string, string[]> } = {},
): CustomerOverview {
  return {
    customerId,
    customer: options.stored ?? { found: false },
    history: entries.map((entry, index) => ({ sortKey: `H#${entry.time}#${index}`, entry })),
    journeys: Object.entries(options.active ?? {}).map(([journeyId, active]) => ({
      journeyId,
      membership: { active },
    })),
  };
}

export function profileUpdate(
  minutes: number,
  detail: Record<string, unknown>,
  problems?: string[],
): HistoryEntry {
  return {
    kind: 'event',
    time: at(minutes),
    eventId: `profile-${minutes}`,
    detailType: 'customer.profile.updated',
    source: 'crm',
    detail: { customerId: 'c', ...detail },
    ...(problems === undefined ? {} : { problems }),
  };
}

export function message(
  minutes: number,
  stepId: string,
  channel: 'email' | 'sms' | 'push',
  options: { executionId?: string; category?: 'marketing' | 'transactional'; journeyId?: string } = {},
): HistoryEntry {
  return {
    kind: 'message',
    time: at(minutes),
    journeyId: options.journeyId ?? 'winback',
    executionId: options.executionId ?? 'exec-1',
    stepId,
    channel,
    category: options.category ?? 'marketing',
    messageId: `m-${minutes}`,
    headline: 'Hello',
    preview: 'Hello',
  };
}
