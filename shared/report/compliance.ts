/**
 * Preference compliance, checked from the history alone: every message sent to the customer (not a
 * webhook or function call that reached another system) is set against the consent and suppressions
 * the customer had on that channel at that moment, replayed from the profile updates and preference
 * entries in their history.
 *
 * The replay is written apart from the deliver function's own decision (channelAvailability) on
 * purpose: a check that called the code it checks could never fail. The rules are the ones the
 * README promises:
 * - any message on a channel the customer opted out of, or whose address is suppressed (a bounce
 *   or a complaint), is a violation, marketing or transactional;
 * - a marketing message also needs an explicit opt-in; a transactional one does not ("unknown" is
 *   fine for it, as the runtime allows).
 *
 * What the history cannot tell:
 * - Changes count from the time they carry (the event's time, the click's time). An opt-out that
 *   reached Waymark after a message went out, but carries an earlier time, shows as a violation:
 *   the customer had opted out by then, so the example names the customer and message to look at.
 * - A channel whose consent never changed within the retained history (entries live 400 days)
 *   holds the stored profile's current consent throughout.
 * - The SNS SMS opt-out list (a STOP reply) and the suppression of a new address that bounced for
 *   someone else are checked by the runtime at send time but leave no history entry; they are not
 *   replayed.
 * - A `consent-changed` preference entry carries no status; the profile update beside it does.
 */
import type { HistoryEntryOf } from '../customer/history.ts';
import { type Channel, channelSchema, type ConsentStatus } from '../customer/profile.ts';
import { consentChangedAt } from '../customer/profile-update.ts';
import { appliedProfileUpdate } from '../customer/profile-update-read.ts';
import { assertNever } from '../journey/graph.ts';
import type { CustomerOverview } from '../store/overview.ts';
import type { ComplianceReport, ComplianceRule, ComplianceViolation } from './types.ts';

const MAX_EXAMPLES = 50;
const CHANNELS = channelSchema.options;

/** What the replay knows about one channel at a moment. */
interface ChannelState {
  consent: ConsentStatus;
  consentSince?: string;
  suppressedSince?: string;
  /** The email address when it was suppressed; a new address lifts the suppression. */
  suppressedAddress?: string;
}

type Change =
  | { kind: 'consent'; time: string; channel: Channel; consent: ConsentStatus }
  | { kind: 'suppressed'; time: string; channel: Channel }
  | { kind: 'email'; time: string; email: string };

type Moment = { at: number; change: Change } | { at: number; message: HistoryEntryOf<'message'> };

export function checkCompliance(customers: readonly CustomerOverview[]): ComplianceReport {
  const violations: ComplianceViolation[] = [];
  let marketingChecked = 0;
  let transactionalChecked = 0;
  for (const customer of customers) {
    for (const message of messagesToCustomer(customer)) {
      if (message.category === 'marketing') marketingChecked += 1;
      else transactionalChecked += 1;
    }
    violations.push(...replayCustomer(customer));
  }
  violations.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const byRule: Record<ComplianceRule, number> = { 'opted-out': 0, suppressed: 0, 'no-marketing-consent': 0 };
  for (const violation of violations) byRule[violation.rule] += 1;
  return {
    messagesChecked: marketingChecked + transactionalChecked,
    marketingChecked,
    transactionalChecked,
    violations: violations.length,
    byRule,
    examples: violations.slice(0, MAX_EXAMPLES),
  };
}

/**
 * The customer's messages, less the webhook and function calls that fed another system (`reaches:
 * "system"`): those reach no customer, so the runtime checks no consent, cap or quiet hours for them,
 * and neither compliance nor coordination counts them.
 */
export function messagesToCustomer(customer: CustomerOverview): HistoryEntryOf<'message'>[] {
  return customer.history.flatMap(({ entry }) =>
    entry.kind === 'message' && entry.reaches !== 'system' ? [entry] : [],
  );
}

function replayCustomer(customer: CustomerOverview): ComplianceViolation[] {
  const moments: Moment[] = [];
  const changedChannels = new Set<Channel>();
  for (const { entry } of customer.history) {
    if (entry.kind === 'message') {
      if (entry.reaches !== 'system') moments.push({ at: Date.parse(entry.time), message: entry });
      continue;
    }
    for (const change of changesOf(entry)) {
      if (change.kind === 'consent') changedChannels.add(change.channel);
      moments.push({ at: Date.parse(change.time), change });
    }
  }
  // Changes first at the same instant: an opt-out at the very moment of a send counts against it.
  // Among changes of one instant, opt-outs last: the profile keeps an opt-out over a same-instant opt-in.
  moments.sort((a, b) => a.at - b.at || momentRank(a) - momentRank(b));

  const states = initialStates(customer, changedChannels);
  let email: string | undefined;
  const violations: ComplianceViolation[] = [];
  for (const moment of moments) {
    if ('message' in moment) {
      const violation = judge(customer.customerId, moment.message, states[moment.message.channel]);
      if (violation !== undefined) violations.push(violation);
      continue;
    }
    const { change } = moment;
    switch (change.kind) {
      case 'consent':
        states[change.channel].consent = change.consent;
        states[change.channel].consentSince = change.time;
        break;
      case 'suppressed':
        states[change.channel].suppressedSince = change.time;
        states[change.channel].suppressedAddress = change.channel === 'email' ? email : undefined;
        break;
      case 'email': {
        const suppressed = states.email;
        // A suppression holds only while the profile keeps the address it was made for.
        if (suppressed.suppressedSince !== undefined && suppressed.suppressedAddress !== change.email) {
          suppressed.suppressedSince = undefined;
          suppressed.suppressedAddress = undefined;
        }
        email = change.email;
        break;
      }
      default:
        assertNever(change);
    }
  }
  return violations;
}

/** Consent before the first change in the history: the stored profile's, for channels the history never changes. */
function initialStates(
  customer: CustomerOverview,
  changedChannels: ReadonlySet<Channel>,
): Record<Channel, ChannelState> {
  const stored = customer.customer.found === true ? customer.customer.customer : undefined;
  const state = (channel: Channel): ChannelState => {
    if (stored === undefined || changedChannels.has(channel)) return { consent: 'unknown' };
    const since = consentChangedAt(stored.fieldStamps, channel);
    return {
      consent: stored.profile.consent[channel],
      ...(since === undefined ? {} : { consentSince: since }),
    };
  };
  return {
    email: state('email'),
    sms: state('sms'),
    push: state('push'),
    whatsapp: state('whatsapp'),
    webhook: state('webhook'),
    function: state('function'),
  };
}

function momentRank(moment: Moment): number {
  if ('message' in moment) return 2;
  return moment.change.kind === 'consent' && moment.change.consent === 'opted-out' ? 1 : 0;
}

function changesOf(entry: CustomerOverview['history'][number]['entry']): Change[] {
  switch (entry.kind) {
    case 'event': {
      // Read as record read it: the valid fields of an update applied, its invalid ones not.
      const update = appliedProfileUpdate(entry);
      if (update === undefined) return [];
      const changes: Change[] = [];
      for (const channel of CHANNELS) {
        const consent = update.consent?.[channel];
        if (consent !== undefined) changes.push({ kind: 'consent', time: entry.time, channel, consent });
      }
      if (update.email !== undefined) changes.push({ kind: 'email', time: entry.time, email: update.email });
      return changes;
    }
    case 'preference': {
      const action = entry.action;
      switch (action) {
        case 'unsubscribed':
          return [{ kind: 'consent', time: entry.time, channel: entry.channel, consent: 'opted-out' }];
        case 'suppressed':
          return [{ kind: 'suppressed', time: entry.time, channel: entry.channel }];
        case 'consent-changed':
          return [];
        default:
          return assertNever(action);
      }
    }
    case 'message':
    case 'skipped':
    case 'journey':
    case 'conversion':
    case 'engagement':
      return [];
    default:
      return assertNever(entry);
  }
}

function judge(
  customerId: string,
  message: HistoryEntryOf<'message'>,
  state: ChannelState,
): ComplianceViolation | undefined {
  const found = (rule: ComplianceRule, since: string | undefined): ComplianceViolation => ({
    customerId,
    journeyId: message.journeyId,
    executionId: message.executionId,
    stepId: message.stepId,
    channel: message.channel,
    category: message.category,
    time: message.time,
    rule,
    ...(since === undefined ? {} : { since }),
  });
  if (state.consent === 'opted-out') return found('opted-out', state.consentSince);
  if (state.suppressedSince !== undefined) return found('suppressed', state.suppressedSince);
  if (message.category === 'marketing' && state.consent !== 'opted-in')
    return found('no-marketing-consent', state.consentSince);
  return undefined;
}
