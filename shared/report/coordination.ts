/**
 * Coordination across channels: whether a customer hears from the brand as one conversation or
 * gets a pile of unrelated messages. Counted from the message entries in each customer's history
 * (every channel, marketing and transactional; not the webhook and function calls that fed another
 * system), grouped into customer-days.
 *
 * A customer-day is a calendar day on the customer's own wall clock: the time zone of the stored
 * profile as it is now, or UTC when the profile has none or does not parse (the report has no
 * settings, so the project's default zone is not known here). A customer who moved zones has the
 * whole history counted in the current one. Messages whose time does not parse count toward
 * `messages`, but toward no day.
 *
 * What was held back to keep the conversation within bounds (caps, quiet hours) is not recounted:
 * the caller passes the not-sent report's own totals.
 */
import type { CustomerOverview } from '../store/overview.ts';
import { localParts } from '../time/zone.ts';
import { messagesToCustomer } from './compliance.ts';
import { nearestRank } from './percentile.ts';
import type { BusiestCustomerDay, CoordinationReport, NotSentReport } from './types.ts';

const UTC = 'UTC';

interface DayTally {
  messages: number;
  journeys: Set<string>;
  channels: Set<string>;
}

export function checkCoordination(
  customers: readonly CustomerOverview[],
  notSent: Pick<NotSentReport, 'byStatus'>,
): CoordinationReport {
  let messages = 0;
  let customersMessaged = 0;
  let customersInUtc = 0;
  const perDay: number[] = [];
  let multiJourneyDays = 0;
  let multiChannelDays = 0;
  let busiest: BusiestCustomerDay | null = null;

  for (const customer of customers) {
    const sent = messagesToCustomer(customer);
    if (sent.length === 0) continue;
    customersMessaged += 1;
    messages += sent.length;
    const stored = customer.customer.found === true ? customer.customer.customer.profile.timeZone : undefined;
    const timeZone = stored ?? UTC;
    if (stored === undefined) customersInUtc += 1;

    const days = new Map<string, DayTally>();
    for (const message of sent) {
      const at = Date.parse(message.time);
      if (Number.isNaN(at)) continue;
      const day = dayOf(new Date(at), timeZone);
      const tally = days.get(day) ?? {
        messages: 0,
        journeys: new Set<string>(),
        channels: new Set<string>(),
      };
      tally.messages += 1;
      tally.journeys.add(message.journeyId);
      tally.channels.add(message.channel);
      days.set(day, tally);
    }
    // Days in calendar order, so the busiest day named is the earliest of equals.
    for (const [day, tally] of [...days].sort(([a], [b]) => a.localeCompare(b))) {
      perDay.push(tally.messages);
      if (tally.journeys.size >= 2) multiJourneyDays += 1;
      if (tally.channels.size >= 2) multiChannelDays += 1;
      if (busiest === null || tally.messages > busiest.messages)
        busiest = {
          customerId: customer.customerId,
          day,
          timeZone,
          messages: tally.messages,
          journeys: tally.journeys.size,
          channels: tally.channels.size,
        };
    }
  }

  return {
    customersMessaged,
    messages,
    messagesPerCustomer: customersMessaged === 0 ? null : messages / customersMessaged,
    customerDays: perDay.length,
    maxPerCustomerDay: busiest?.messages ?? null,
    p95PerCustomerDay: nearestRank(perDay, 95) ?? null,
    multiJourneyDays,
    multiChannelDays,
    customersInUtc,
    busiest,
    heldBack: { capped: notSent.byStatus.capped, deferred: notSent.byStatus.deferred },
  };
}

/** The calendar date the customer's wall clock shows at `instant`, as YYYY-MM-DD. */
function dayOf(instant: Date, timeZone: string): string {
  const { year, month, day } = localParts(instant, timeZone);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}
