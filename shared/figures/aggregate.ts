/**
 * History entries -> counter increments. Pure: the figures function (DynamoDB Stream batches), the
 * local engine's stand-in for the stream, the recount and the full report all count through here,
 * so they cannot disagree.
 *
 * Most figures are one entry, one increment. A few count executions or messages once however many
 * entries name them (the funnel's "received a message", a step's executions that sent, converted and
 * exited executions, each engagement action once per message, a deferral that later sent): those
 * entries claim a fact on their execution's marker (shared/store/figures.ts keeps it in the customer's
 * partition), and the increment goes with the change that claimed it first. Who claimed a fact is
 * the claiming change's sequence number, so a retried batch decides exactly as the first try did.
 *
 * Entered, from the entries the functions write:
 * - an event's `starts` (the journeys whose trigger it matched) are triggers, each entered unless a
 *   `not-entered` of that journey follows;
 * - a broadcast member's `entered` entry is its trigger and its entry (enter writes it for those only);
 * - a `not-entered` with no start behind it is a trigger too: a broadcast member's refusal, or an event
 *   the catalog refused (record stores it with its problems and no `starts`, enter then refuses it);
 * - entered = triggered - notEntered.
 *
 * A broadcast member's entries also count toward its run (runIncrementsOf): the panel's run progress.
 */
import * as z from 'zod';
import {
  type HistoryEntry,
  type HistoryEntryOf,
  type SkipStatus,
  skipStatusSchema,
} from '../customer/history.ts';
import { executionTag } from '../channels/tags.ts';
import { runOfExecutionName } from '../audience/members.ts';
import { executionName, reasonCode, runOfEntry } from './runs.ts';
import { impliedActions } from '../report/engagement.ts';
import { ENGAGEMENT_ACTIONS } from '../journey/engagement-condition.ts';
import type { Counter, Increment, JourneyTotal, RunIncrement } from './counters.ts';

/** One history entry as it reached the figures: new to the table (or, for an event, newly recorded). */
export interface HistoryChange {
  /** The stream shard it came from (`local` for the engine's stand-in, `recount` for a recount). */
  shard: string;
  /** Its position in the shard, zero-padded (`sequenceKey`), so text order is stream order. */
  sequence: string;
  customerId: string;
  entry: HistoryEntry;
}

/** Sequence numbers have up to 40 digits (DynamoDB Streams); padded, they compare as text. */
export const SEQUENCE_DIGITS = 40;

export function sequenceKey(sequence: string | bigint | number): string {
  return String(sequence).padStart(SEQUENCE_DIGITS, '0');
}

/** The facts one change claims on one execution's marker. */
export interface MarkerClaims {
  customerId: string;
  /** executionTag of the execution. */
  tag: string;
  facts: string[];
}

/** The sequence of the change that claimed `fact` first on this change's marker; undefined: none did. */
export type ClaimedBy = (fact: string) => string | undefined;

const fact = {
  messaged: JSON.stringify(['messaged']),
  sentAt: (stepId: string) => JSON.stringify(['s', stepId]),
  deferredAt: (stepId: string) => JSON.stringify(['d', stepId]),
  message: (messageId: string) => JSON.stringify(['m', messageId]),
  engaged: (messageId: string, action: string) => JSON.stringify(['e', messageId, action]),
  exited: JSON.stringify(['exited']),
  converted: JSON.stringify(['converted']),
  // A broadcast member's execution (runs.ts): entered or refused once, and each skip of a step by itself.
  runEntered: JSON.stringify(['r', 'entered']),
  runNotEntered: JSON.stringify(['r', 'not-entered']),
  runSkip: (stepId: string, time: string, status: string) =>
    JSON.stringify(['r', 'skip', stepId, time, status]),
};

/** Marker attributes are these facts; anything else on the item (keys, expiry) is not one. */
export function isFact(attribute: string): boolean {
  return attribute.startsWith('[');
}

export function claimsOf(change: HistoryChange): MarkerClaims | undefined {
  const { entry, customerId } = change;
  const claims = (executionId: string, facts: string[]): MarkerClaims => ({
    customerId,
    tag: executionTag(executionId),
    facts,
  });
  switch (entry.kind) {
    case 'message':
      return claims(entry.executionId, [
        fact.messaged,
        fact.sentAt(entry.stepId),
        fact.message(entry.messageId),
      ]);
    case 'skipped': {
      const facts = [
        ...(entry.status === 'deferred' ? [fact.deferredAt(entry.stepId)] : []),
        ...(runOfEntry(entry) === undefined ? [] : [fact.runSkip(entry.stepId, entry.time, entry.status)]),
      ];
      return facts.length === 0 ? undefined : claims(entry.executionId, facts);
    }
    case 'engagement':
      // Engagement names its execution by tag already (what the channels' tags carry).
      return {
        customerId,
        tag: entry.execution,
        facts: impliedActions(entry.action).map((action) => fact.engaged(entry.messageId, action)),
      };
    case 'journey': {
      if (entry.action === 'exited') return claims(entry.executionId, [fact.exited]);
      if (runOfEntry(entry) === undefined) return undefined;
      if (entry.action === 'entered') return claims(entry.executionId, [fact.runEntered]);
      if (entry.action === 'not-entered') return claims(entry.executionId, [fact.runNotEntered]);
      return undefined;
    }
    case 'conversion':
      // A conversion with no execution (the customer had left the journey) is one of its own.
      return entry.executionId === '' ? undefined : claims(entry.executionId, [fact.converted]);
    case 'event':
    case 'preference':
      return undefined;
    default: {
      const unreachable: never = entry;
      throw new Error(`Unknown history entry ${JSON.stringify(unreachable)}`);
    }
  }
}

/** What one change adds, given who claimed its facts (only consulted for the facts it claims or checks). */
export function incrementsOf(change: HistoryChange, claimedBy: ClaimedBy): Increment[] {
  const { entry, sequence } = change;
  const day = utcDay(entry.time);
  const increments: Increment[] = [];
  const add = (journeyId: string | undefined, counter: Counter, amount = 1): void => {
    if (amount !== 0) increments.push({ journeyId, day, counter, amount });
  };
  const total = (journeyId: string, name: JourneyTotal, amount = 1): void =>
    add(journeyId, { kind: 'total', name }, amount);
  const firstHere = (name: string): boolean => claimedBy(name) === sequence;
  const claimedBefore = (name: string): boolean => {
    const by = claimedBy(name);
    return by !== undefined && by < sequence;
  };

  add(undefined, { kind: 'entries' });
  for (const journeyId of journeysNamed(entry)) add(undefined, { kind: 'journey-seen', journeyId });

  switch (entry.kind) {
    case 'event':
      for (const journeyId of entry.starts ?? []) total(journeyId, 'triggered');
      break;
    case 'journey':
      countJourneyAction(entry, total, firstHere);
      break;
    case 'message': {
      const { journeyId, stepId, channel } = entry;
      add(journeyId, { kind: 'sent', stepId, channel });
      if (firstHere(fact.messaged)) total(journeyId, 'messaged');
      if (firstHere(fact.sentAt(stepId))) {
        add(journeyId, { kind: 'step', stepId, name: 'sentOnce' });
        // Quiet hours held the step back before its first message here: the deferral ended in a send.
        if (claimedBefore(fact.deferredAt(stepId))) total(journeyId, 'deferredThenSent');
      }
      if (firstHere(fact.message(entry.messageId))) {
        add(journeyId, { kind: 'engagement', stepId, channel, measure: 'sent' });
        // What came back before the message's own entry was written (a provider can be that quick):
        // counted now, and no longer unmatched.
        for (const action of ENGAGEMENT_ACTIONS) {
          if (!claimedBefore(fact.engaged(entry.messageId, action))) continue;
          add(journeyId, { kind: 'engagement', stepId, channel, measure: action });
          total(journeyId, 'unmatched', -1);
        }
      }
      if (entry.completes === true) total(journeyId, 'completed');
      break;
    }
    case 'skipped': {
      const { journeyId, stepId } = entry;
      add(journeyId, { kind: 'skip', channel: entry.channel ?? null, status: entry.status });
      switch (entry.status) {
        case 'capped':
          add(journeyId, { kind: 'cap', capId: entry.capId ?? '(unnamed)' });
          add(journeyId, { kind: 'step', stepId, name: 'capped' });
          break;
        case 'deferred':
          add(journeyId, { kind: 'step', stepId, name: 'deferred' });
          break;
        case 'rate-limited':
          add(journeyId, { kind: 'step', stepId, name: 'rateLimited' });
          break;
        case 'opted-out':
        case 'no-address':
        case 'failed':
          add(journeyId, { kind: 'step', stepId, name: 'notSent' });
          break;
        default: {
          const unreachable: never = entry.status;
          throw new Error(`Unknown skip status ${String(unreachable)}`);
        }
      }
      if (entry.completes === true) total(journeyId, 'completed');
      break;
    }
    case 'engagement': {
      const { journeyId, stepId, channel } = entry;
      // Paired with its message by id, whichever was written first: each action once per message, counted
      // by the later of the two. Until its message comes, an action counts as unmatched.
      const matched = claimedBefore(fact.message(entry.messageId));
      for (const action of impliedActions(entry.action)) {
        if (!firstHere(fact.engaged(entry.messageId, action))) continue;
        if (matched) add(journeyId, { kind: 'engagement', stepId, channel, measure: action });
        else total(journeyId, 'unmatched');
      }
      break;
    }
    case 'conversion': {
      const { journeyId } = entry;
      total(journeyId, 'conversions');
      if (entry.executionId === '' || firstHere(fact.converted)) total(journeyId, 'converted');
      const last = entry.lastTouch;
      if (last !== null) {
        if (last.journeyId === journeyId)
          add(journeyId, { kind: 'step', stepId: last.stepId, name: 'converted' });
        add(last.journeyId, { kind: 'touch', stepId: last.stepId, channel: last.channel, by: 'last' });
      }
      for (const touch of entry.linear) {
        add(
          touch.journeyId,
          { kind: 'touch', stepId: touch.stepId, channel: touch.channel, by: 'linear' },
          touch.weight,
        );
      }
      break;
    }
    case 'preference':
      break;
    default: {
      const unreachable: never = entry;
      throw new Error(`Unknown history entry ${JSON.stringify(unreachable)}`);
    }
  }
  return increments;
}

/**
 * What one change adds to its broadcast run's counters (none unless its execution is a run member's),
 * given every fact on its execution's marker with the change that claimed it first (only those claimed
 * before this change, or by it, are looked at: a retry, and a recount, decide as the first count did).
 *
 * Each send step of an execution counts under the status of its latest skip (the latest by the entry's
 * time) until the step sends: a later skip moves it from the status before to its own, the step's first
 * message takes it out (deferred, then sent, is sent), and a skip after a message counts nothing.
 */
export function runIncrementsOf(change: HistoryChange, facts: ReadonlyMap<string, string>): RunIncrement[] {
  const { entry, sequence } = change;
  const runId = runOfEntry(entry);
  if (
    runId === undefined ||
    (entry.kind !== 'journey' && entry.kind !== 'message' && entry.kind !== 'skipped')
  )
    return [];
  const { journeyId } = entry;
  const day = utcDay(entry.time);
  const increments: RunIncrement[] = [];
  const add = (counter: RunIncrement['counter'], amount = 1): void => {
    increments.push({ journeyId, runId, day, counter, amount });
  };
  const firstHere = (name: string): boolean => facts.get(name) === sequence;
  const claimedBefore = (name: string): boolean => {
    const by = facts.get(name);
    return by !== undefined && by < sequence;
  };
  switch (entry.kind) {
    case 'journey':
      if (entry.action === 'entered' && firstHere(fact.runEntered)) add({ kind: 'entered' });
      if (entry.action === 'not-entered' && firstHere(fact.runNotEntered))
        add({ kind: 'not-entered', reason: reasonCode(entry.reason) });
      break;
    case 'message': {
      add({ kind: 'sent', channel: entry.channel });
      if (!firstHere(fact.sentAt(entry.stepId))) break;
      const latest = latestSkip(facts, entry.stepId, sequence);
      if (latest !== undefined) add({ kind: 'skipped', status: latest.status }, -1);
      break;
    }
    case 'skipped': {
      if (!firstHere(fact.runSkip(entry.stepId, entry.time, entry.status))) break;
      if (claimedBefore(fact.sentAt(entry.stepId))) break;
      const latest = latestSkip(facts, entry.stepId, sequence);
      if (latest !== undefined && Date.parse(latest.time) > Date.parse(entry.time)) break;
      if (latest !== undefined) add({ kind: 'skipped', status: latest.status }, -1);
      add({ kind: 'skipped', status: entry.status });
      break;
    }
  }
  return increments;
}

const runSkipFactSchema = z.tuple([
  z.literal('r'),
  z.literal('skip'),
  z.string(),
  z.string(),
  skipStatusSchema,
]);

/**
 * The step's latest skip among those claimed before `sequence`: the latest by time; of two at one time
 * (or unreadable), the one claimed later.
 */
function latestSkip(
  facts: ReadonlyMap<string, string>,
  stepId: string,
  sequence: string,
): { time: string; status: SkipStatus } | undefined {
  const skips: { time: string; status: SkipStatus; by: string; name: string }[] = [];
  for (const [name, by] of facts) {
    if (by >= sequence || !name.startsWith('["r","skip"')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(name);
    } catch {
      continue;
    }
    const skip = runSkipFactSchema.safeParse(parsed);
    if (!skip.success || skip.data[2] !== stepId) continue;
    skips.push({ time: skip.data[3], status: skip.data[4], by, name });
  }
  skips.sort((a, b) => (a.by < b.by ? -1 : a.by > b.by ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let latest: { time: string; status: SkipStatus } | undefined;
  for (const skip of skips) {
    if (latest !== undefined && Date.parse(latest.time) > Date.parse(skip.time)) continue;
    latest = { time: skip.time, status: skip.status };
  }
  return latest;
}

function countJourneyAction(
  entry: HistoryEntryOf<'journey'>,
  total: (journeyId: string, name: JourneyTotal) => void,
  firstHere: (name: string) => boolean,
): void {
  const { journeyId } = entry;
  switch (entry.action) {
    case 'entered':
      total(journeyId, 'triggered');
      break;
    case 'not-entered':
      // A redelivered copy of an event the journey took: no new trigger, and the entry stands.
      if (entry.copy === true) break;
      total(journeyId, 'notEntered');
      if (!refusedAfterStart(entry)) total(journeyId, 'triggered');
      break;
    case 'completed':
      total(journeyId, 'completed');
      break;
    case 'failed':
      total(journeyId, 'failed');
      break;
    case 'stopped':
      total(journeyId, 'stopped');
      break;
    case 'exited':
      if (firstHere(fact.exited)) total(journeyId, 'exited');
      break;
    case 'step-failed':
    case 'profile-updated':
      break;
    default: {
      const unreachable: never = entry.action;
      throw new Error(`Unknown journey action ${String(unreachable)}`);
    }
  }
}

/**
 * Whether a refusal's trigger was counted already, as a start on its event. Not for a broadcast member
 * (its execution is named after its run) nor for an event the catalog refused: enter's reason for that
 * is "invalid-event: <the detail's problems>" (shared/runtime/steps.ts), while a segment entry Waymark
 * did not make, which record did list as a start, is "invalid-event: no such segment entry...".
 */
export function refusedAfterStart(entry: HistoryEntryOf<'journey'>): boolean {
  // A broadcast's trigger id is `broadcast:<journey>:<run>` (shared/audience/members.ts); entries
  // written before refusals named their event are told by the execution's name.
  const eventId = 'eventId' in entry ? entry.eventId : undefined;
  if (typeof eventId === 'string' && eventId.startsWith('broadcast:')) return false;
  if (runOfExecutionName(executionName(entry.executionId)) !== undefined) return false;
  const reason = entry.reason ?? '';
  return !(reason.startsWith('invalid-event') && !reason.startsWith(SEGMENT_REFUSAL));
}

const SEGMENT_REFUSAL = 'invalid-event: no such segment entry';

function journeysNamed(entry: HistoryEntry): string[] {
  switch (entry.kind) {
    case 'event':
      return entry.starts ?? [];
    case 'preference':
      return [];
    case 'message':
    case 'skipped':
    case 'engagement':
    case 'journey':
    case 'conversion':
      return [entry.journeyId];
    default: {
      const unreachable: never = entry;
      throw new Error(`Unknown history entry ${JSON.stringify(unreachable)}`);
    }
  }
}

/** The UTC day an entry counts on; an unreadable time counts on a day of its own rather than failing the batch. */
export function utcDay(time: string): string {
  const parsed = Date.parse(time);
  return Number.isNaN(parsed) ? '0000-00-00' : new Date(parsed).toISOString().slice(0, 10);
}
