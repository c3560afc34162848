/** Hand-built customer histories for the report's tests: each entry at a given minute after one fixed instant. */
import { executionTag } from '../../shared/channels/tags.ts';
import type { HistoryEntry, HistoryEntryOf } from '../../shared/customer/history.ts';
import type { Channel } from '../../shared/customer/profile.ts';
import type { EngagementAction } from '../../shared/journey/engagement-condition.ts';
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
  channel: Channel,
  options: {
    executionId?: string;
    category?: 'marketing' | 'transactional';
    journeyId?: string;
    messageId?: string;
    reaches?: 'customer' | 'system';
  } = {},
): HistoryEntryOf<'message'> {
  return {
    kind: 'message',
    time: at(minutes),
    journeyId: options.journeyId ?? 'winback',
    executionId: options.executionId ?? 'exec-1',
    stepId,
    channel,
    category: options.category ?? 'marketing',
    messageId: options.messageId ?? `m-${minutes}`,
    headline: 'Hello',
    preview: 'Hello',
    ...(options.reaches === undefined ? {} : { reaches: options.reaches }),
  };
}

/** What came back for a message, as SES (or a webhook's success) records it: same journey, step, channel and id. */
export function engagement(
  minutes: number,
  sent: HistoryEntryOf<'message'>,
  action: EngagementAction,
  detail?: string,
): HistoryEntryOf<'engagement'> {
  return {
    kind: 'engagement',
    time: at(minutes),
    journeyId: sent.journeyId,
    stepId: sent.stepId,
    // As the deliver function tags a message: engagement finds its execution's figures by this.
    execution: executionTag(sent.executionId),
    channel: sent.channel,
    action,
    messageId: sent.messageId,
    ...(detail === undefined ? {} : { detail }),
  };
}
