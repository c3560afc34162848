/**
 * Whole customers as the panel and `waymark report` read them: profile, history and journey
 * places in one Query per customer, or every customer in one Scan. The same parsers as the
 * functions' own reads, so there is one data model, wherever the table lives. Customer search
 * reads neither: customer-search.ts.
 */
import { parseHistoryEntry } from '../customer/history.ts';
import { queryAll, scanAll, type StoreContext } from './context.ts';
import { type CustomerRead, parseCustomerItem } from './customers.ts';
import type { StoredHistoryEntry } from './history.ts';
import { type Membership, membershipsOfCustomerItem } from './journeys.ts';
import { customerKey, SORT } from './table.ts';

export interface JourneyPlace {
  journeyId: string;
  membership: Membership;
}

export interface CustomerOverview {
  customerId: string;
  customer: CustomerRead;
  /** Oldest first. */
  history: StoredHistoryEntry[];
  journeys: JourneyPlace[];
}

/** Everything stored under one customer; undefined when nothing is. */
export async function readCustomerOverview(
  store: StoreContext,
  customerId: string,
): Promise<CustomerOverview | undefined> {
  const items = await queryAll(store, {
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': customerKey(customerId) },
  });
  return items.length === 0 ? undefined : overviewOf(customerId, items);
}

/**
 * Every customer in the table, read in one Scan (each item once). On AWS that reads the whole
 * table: fine for a report or a panel over thousands of customers, not for millions.
 */
export async function scanCustomerOverviews(store: StoreContext): Promise<CustomerOverview[]> {
  const byPartition = new Map<string, Record<string, unknown>[]>();
  for (const item of await scanAll(store, {})) {
    const partition = item.pk;
    if (typeof partition !== 'string' || !partition.startsWith(CUSTOMER_PREFIX)) continue;
    const items = byPartition.get(partition) ?? [];
    items.push(item);
    byPartition.set(partition, items);
  }
  return [...byPartition.entries()]
    .map(([partition, items]) => overviewOf(partition.slice(CUSTOMER_PREFIX.length), items))
    .sort((a, b) => a.customerId.localeCompare(b.customerId));
}

const CUSTOMER_PREFIX = customerKey('');

function overviewOf(customerId: string, items: readonly Record<string, unknown>[]): CustomerOverview {
  const history: StoredHistoryEntry[] = [];
  const journeys: JourneyPlace[] = [];
  let customer: CustomerRead = { found: false };
  for (const item of items) {
    const sortKey = item.sk;
    if (typeof sortKey !== 'string') continue;
    if (sortKey === SORT.profile) {
      customer = parseCustomerItem(item);
      for (const [journeyId, membership] of membershipsOfCustomerItem(item)) {
        journeys.push({ journeyId, membership });
      }
    }
    if (sortKey.startsWith(SORT.historyPrefix)) {
      const entry = parseHistoryEntry(item.entry);
      if (entry !== undefined) history.push({ sortKey, entry });
    }
  }
  history.sort((a, b) => a.sortKey.localeCompare(b.sortKey));
  return { customerId, customer, history, journeys };
}
