/**
 * What customers did with the messages, per journey step and channel and per channel: the history's
 * message entries say what was sent, its engagement entries what came back (SES's deliveries, opens,
 * clicks, bounces and complaints for email; a webhook's or function's success, written as delivered
 * at send time). An engagement entry belongs to the message entry of the same customer with the same
 * messageId, and counts at that message's step and channel.
 *
 * How it counts:
 * - Per message, not per event: a rate is the messages with at least one such action over the
 *   messages sent on that step and channel. A message opened three times is one opened message.
 * - A click counts as an open, as most ESPs count it: an open is only a tracking image, which
 *   image blocking and privacy proxies hide, and nobody clicks a message they did not open. So
 *   `opened` is the messages with an open or a click, and never fewer than `clicked`.
 * - For the same reason anything the customer did with a message (opened, clicked, complained)
 *   says it was delivered: `delivered` never falls below `opened`, even when the Delivery event was
 *   lost or the configuration set does not publish it.
 * - A bounce is counted as it is: it implies nothing else, and nothing implies it.
 * - A rate is null where it means nothing: nothing was sent, or the channel does not report the
 *   action (CHANNELS_REPORTING: push reports nothing back, only email reports clicks) and no
 *   message has it. A 0% there would read as "nobody opened the push".
 * - Engagement whose message is not in the customer's history (its entry failed to write, or the
 *   history was cut) is counted in `unmatched` and in no rate.
 *
 * The counting itself is shared/figures/aggregate.ts's (each action claimed once per message on the
 * execution's marker); this module keeps the rules it applies and the rates.
 */
import { type Channel, channelSchema, perChannel } from '../customer/profile.ts';
import { assertNever } from '../journey/graph.ts';
import {
  CHANNELS_REPORTING,
  ENGAGEMENT_ACTIONS,
  type EngagementAction,
} from '../journey/engagement-condition.ts';
import type { ChannelEngagement, EngagementFigures, EngagementRow } from './types.ts';

/** One value per engagement action, each made by `make`. */
export function perAction<T>(make: (action: EngagementAction) => T): Record<EngagementAction, T> {
  return {
    delivered: make('delivered'),
    opened: make('opened'),
    clicked: make('clicked'),
    bounced: make('bounced'),
    complained: make('complained'),
  };
}

/** The actions one engagement entry shows its message had: its own, and what that one implies. */
export function impliedActions(action: EngagementAction): readonly EngagementAction[] {
  switch (action) {
    case 'delivered':
      return ['delivered'];
    case 'opened':
      return ['opened', 'delivered'];
    case 'clicked':
      return ['clicked', 'opened', 'delivered'];
    case 'complained':
      return ['complained', 'delivered'];
    case 'bounced':
      return ['bounced'];
    default:
      return assertNever(action);
  }
}

/** A rate is null where it means nothing: nothing sent, or a channel that does not report the action and has none. */
export function ratesOf(
  channel: Channel,
  figures: Pick<EngagementFigures, 'sent' | 'engaged'>,
): Record<EngagementAction, number | null> {
  return perAction((action) => {
    const count = figures.engaged[action];
    if (figures.sent === 0) return null;
    if (count === 0 && !CHANNELS_REPORTING[action].includes(channel)) return null;
    return count / figures.sent;
  });
}

/** Every journey and step together, per channel, in channelSchema's order. */
export function channelTotals(rows: readonly EngagementRow[]): ChannelEngagement[] {
  const totals = perChannel(() => ({ sent: 0, engaged: perAction(() => 0) }));
  for (const row of rows) {
    const total = totals[row.channel];
    total.sent += row.sent;
    for (const action of ENGAGEMENT_ACTIONS) total.engaged[action] += row.engaged[action];
  }
  return channelSchema.options.map((channel) => {
    const total = totals[channel];
    return { channel, sent: total.sent, engaged: total.engaged, rates: ratesOf(channel, total) };
  });
}
