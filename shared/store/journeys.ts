/**
 * A customer's place in each journey: when they last entered, which
 * executions are open, and which trigger events were already taken in. They
 * live on the customer item itself, a few attributes per journey, so that
 * admission is one conditional write (two events at once cannot both pass a
 * "one at a time" or "never again" rule, nor one event twice), and so that
 * the send that ends a journey frees its place in the same write as its
 * ledger.
 */
import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { assertNever } from '../journey/graph.ts';
import type { Reentry } from '../journey/schema.ts';
import { durationSeconds } from '../time/duration.ts';
import { epochSeconds, isConditionFailure, type StoreContext } from './context.ts';
import { goalFactKey, profileKey, TTL_ATTRIBUTE } from './table.ts';

/**
 * Goal facts are remembered this long (trigger events and facts at least as long, see
 * TRIGGER_MEMORY_WEEKS): EventBridge redelivers within 24 hours, and producers may retry later.
 */
export const ENTRY_MARKER_DAYS = 30;
const DAY_SECONDS = 86_400;

/**
 * Taken triggers are kept in one set per week: this one and the five before, so at least 35 days.
 * Each admission drops the four weeks just older than that: a customer admitted at least every ten
 * weeks keeps six sets at most; one back after longer leaves the older sets (each holds what one
 * burst admitted) until erasure.
 */
const TRIGGER_MEMORY_WEEKS = 6;
const DROPPED_WEEKS = 4;

/** The customer item's attributes for one journey: `J#<journeyId>#last`, `#active`, `#seen#<week>`. */
export function membershipAttributes(journeyId: string): { last: string; active: string } {
  return { last: `J#${journeyId}#last`, active: `J#${journeyId}#active` };
}

/**
 * When a high-volume run was admitted, kept on the customer item while it holds its place: a copy of
 * its first part (Express runs one at least once) gets this time back, whatever was admitted since.
 */
export function runAdmittedAttribute(journeyId: string, runId: string): string {
  return `J#${journeyId}#at#${createHash('sha256').update(runId).digest('base64url').slice(0, 22)}`;
}

function seenAttribute(journeyId: string, week: number): string {
  return `J#${journeyId}#seen#${week}`;
}

function weekOf(now: Date): number {
  return Math.floor(now.getTime() / (7 * DAY_SECONDS * 1000));
}

export type Membership = { lastEnteredAt?: string; active: string[] };

const ATTRIBUTE = /^J#(.+)#(last|active)$/;

/** Every journey place a stored customer item holds, by journey id. */
export function membershipsOfCustomerItem(item: Record<string, unknown>): Map<string, Membership> {
  const places = new Map<string, Membership>();
  for (const [name, value] of Object.entries(item)) {
    const match = ATTRIBUTE.exec(name);
    const journeyId = match?.[1];
    if (match === null || journeyId === undefined) continue;
    const place = places.get(journeyId) ?? { active: [] };
    if (match[2] === 'last' && typeof value === 'string') place.lastEnteredAt = value;
    const active = z.set(z.string()).safeParse(value);
    if (match[2] === 'active' && active.success) place.active = [...active.data].sort();
    places.set(journeyId, place);
  }
  return places;
}

export async function readMembership(
  store: StoreContext,
  customerId: string,
  journeyId: string,
): Promise<Membership> {
  const names = membershipAttributes(journeyId);
  const result = await store.db.send(
    new GetCommand({
      TableName: store.table,
      Key: profileKey(customerId),
      ProjectionExpression: '#last, #active',
      ExpressionAttributeNames: { '#last': names.last, '#active': names.active },
      ConsistentRead: true,
    }),
  );
  return membershipsOfCustomerItem(result.Item ?? {}).get(journeyId) ?? { active: [] };
}

/** What a trigger is remembered by: its event id, or the hash of the journey's business key. */
export type TriggerIdentity =
  { kind: 'event'; eventId: string } | { kind: 'fact'; keyHash: string; eventId: string };

/**
 * Counts a goal fact (a business key, `exitOn[].dedupeBy`) once for the journey. Returns the event
 * that counted it: this one (also when retried), or an earlier copy of the same fact.
 */
export async function claimGoalFact(
  store: StoreContext,
  customerId: string,
  journeyId: string,
  keyHash: string,
  eventId: string,
  now: Date,
  rememberSeconds: number,
): Promise<string> {
  return claimMarker(
    store,
    goalFactKey(customerId, journeyId, keyHash),
    { attribute: 'eventId', id: eventId },
    now,
    rememberSeconds,
  );
}

/**
 * One conditional put: the marker is taken when there is none, or when the one there is past its
 * time. DynamoDB's TTL deletes expired items up to days late, so a marker older than its memory
 * must not count: the condition compares its expiry with now.
 */
async function claimMarker(
  store: StoreContext,
  key: { pk: string; sk: string },
  owner: { attribute: 'executionId' | 'eventId'; id: string },
  now: Date,
  rememberSeconds: number,
): Promise<string> {
  const nowSeconds = epochSeconds(now);
  try {
    await store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: { ...key, [owner.attribute]: owner.id, [TTL_ATTRIBUTE]: nowSeconds + rememberSeconds },
        ConditionExpression: 'attribute_not_exists(sk) OR #expires <= :now',
        ExpressionAttributeNames: { '#expires': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':now': nowSeconds },
      }),
    );
    return owner.id;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const existing = await store.db.send(
      new GetCommand({ TableName: store.table, Key: key, ConsistentRead: true }),
    );
    const taken: unknown = existing.Item?.[owner.attribute];
    return typeof taken === 'string' ? taken : '';
  }
}

export type Admission =
  /** `at`: when the execution was admitted (again: when it was first, as far as the place tells). */
  | { admitted: true; at: string }
  | { admitted: false; reason: 'reentry-never' | 'reentry-too-soon' }
  /** `copy`: this very event again, not another carrying the same fact. */
  | { admitted: false; reason: 'duplicate-event'; copy: boolean }
  /** With the executions holding the places, as read to tell the reason. */
  | { admitted: false; reason: 'concurrency-limit'; active: string[]; lastEnteredAt?: string };

/** How a trigger is kept among the taken ones: its event id, or "key#" and its business key's hash. */
function triggerToken(identity: TriggerIdentity): string {
  switch (identity.kind) {
    case 'event':
      return identity.eventId;
    case 'fact':
      return `key#${identity.keyHash}`;
    default:
      return assertNever(identity);
  }
}

/** Whether the customer's ledger holds a send of this execution (its keys are `<execution>#<step>...`). */
function hasSent(item: Record<string, unknown>, executionId: string): boolean {
  const ledger = z.array(z.object({ key: z.string() })).safeParse(item.ledger);
  return ledger.success && ledger.data.some((record) => record.key.startsWith(`${executionId}#`));
}

/**
 * Opens the execution in the customer's place in the journey if the trigger was not taken before and
 * re-entry and concurrency allow it: one conditional write, and a read only when it is refused.
 */
export async function admit(
  store: StoreContext,
  customerId: string,
  journeyId: string,
  executionId: string,
  trigger: TriggerIdentity,
  rules: { reentry: Reentry; maxConcurrent: number },
  now: Date,
  /**
   * A high-volume run's id is the journey's and the event's: a copy of the event after the run ended
   * is a copy, not the run starting over (which only a Standard execution re-run after a crash is).
   */
  runs: 'execution' | 'run-of-event' = 'execution',
): Promise<Admission> {
  const week = weekOf(now);
  const { last, active } = membershipAttributes(journeyId);
  const names: Record<string, string> = {
    '#last': last,
    '#active': active,
    '#seen': seenAttribute(journeyId, week),
  };
  const conditions = ['(attribute_not_exists(#active) OR size(#active) < :max)'];
  for (let back = 0; back < TRIGGER_MEMORY_WEEKS; back += 1) {
    names[`#seen${back}`] = seenAttribute(journeyId, week - back);
    conditions.push(`NOT contains(#seen${back}, :token)`);
  }
  const dropped: string[] = [];
  for (let back = TRIGGER_MEMORY_WEEKS; back < TRIGGER_MEMORY_WEEKS + DROPPED_WEEKS; back += 1) {
    names[`#old${back}`] = seenAttribute(journeyId, week - back);
    dropped.push(`#old${back}`);
  }
  const token = triggerToken(trigger);
  const values: Record<string, unknown> = {
    ':now': now.toISOString(),
    ':execution': new Set([executionId]),
    // With a business key, the event's own id too: a redelivered copy is then told from another
    // event carrying the same fact.
    ':tokens': new Set(trigger.kind === 'fact' ? [token, trigger.eventId] : [token]),
    ':token': token,
    ':max': rules.maxConcurrent,
  };
  const runAt = runs === 'run-of-event' ? runAdmittedAttribute(journeyId, executionId) : undefined;
  if (runAt !== undefined) names['#runAt'] = runAt;
  const reentry = reentryRule(rules.reentry, now);
  if (reentry.kind === 'never') conditions.push('attribute_not_exists(#last)');
  if (reentry.kind === 'after') {
    conditions.push('(attribute_not_exists(#last) OR #last <= :cutoff)');
    values[':cutoff'] = reentry.cutoff;
  }
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: profileKey(customerId),
        UpdateExpression: `SET #last = :now${runAt === undefined ? '' : ', #runAt = :now'} ADD #active :execution, #seen :tokens REMOVE ${dropped.join(', ')}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return { admitted: true, at: now.toISOString() };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  // The condition does not say which part failed (and dynalite cannot return the item): read it.
  const read = await store.db.send(
    new GetCommand({ TableName: store.table, Key: profileKey(customerId), ConsistentRead: true }),
  );
  const item = read.Item ?? {};
  const membership = membershipsOfCustomerItem(item).get(journeyId) ?? { active: [] };
  // A retried enter of this very execution: it was admitted the first time.
  const storedRunAt: unknown = runAt === undefined ? undefined : item[runAt];
  const admittedAt =
    typeof storedRunAt === 'string' ? storedRunAt : (membership.lastEnteredAt ?? now.toISOString());
  if (membership.active.includes(executionId)) return { admitted: true, at: admittedAt };
  const seen = (wanted: string): boolean =>
    Object.keys(names)
      .filter((name) => name.startsWith('#seen') && name !== '#seen')
      .some(
        (name) =>
          z
            .set(z.string())
            .safeParse(item[names[name] ?? ''])
            .data?.has(wanted) === true,
      );
  if (seen(token)) {
    if (runs === 'execution' && hasSent(item, executionId)) {
      // This execution took the trigger, sent, and freed its place with its last send: it runs again
      // from its start (the local engine after a crash), and holds the place again until it ends again.
      await store.db.send(
        new UpdateCommand({
          TableName: store.table,
          Key: profileKey(customerId),
          UpdateExpression: 'ADD #active :execution',
          ExpressionAttributeNames: { '#active': active },
          ExpressionAttributeValues: { ':execution': new Set([executionId]) },
        }),
      );
      return { admitted: true, at: admittedAt };
    }
    // The very event again (EventBridge delivers at least once), or another carrying the same fact.
    return { admitted: false, reason: 'duplicate-event', copy: seen(trigger.eventId) };
  }
  if (reentry.kind === 'never' && membership.lastEnteredAt !== undefined) {
    return { admitted: false, reason: 'reentry-never' };
  }
  if (
    reentry.kind === 'after' &&
    membership.lastEnteredAt !== undefined &&
    membership.lastEnteredAt > reentry.cutoff
  ) {
    return { admitted: false, reason: 'reentry-too-soon' };
  }
  return {
    admitted: false,
    reason: 'concurrency-limit',
    active: membership.active,
    ...(membership.lastEnteredAt === undefined ? {} : { lastEnteredAt: membership.lastEnteredAt }),
  };
}

type ReentryRule = { kind: 'never' } | { kind: 'always' } | { kind: 'after'; cutoff: string };

function reentryRule(reentry: Reentry, now: Date): ReentryRule {
  if (reentry === 'never') return { kind: 'never' };
  if (reentry === 'always') return { kind: 'always' };
  return {
    kind: 'after',
    cutoff: new Date(now.getTime() - durationSeconds(reentry.after) * 1000).toISOString(),
  };
}

/**
 * Closes an execution in the customer's place; closing one that is not open does nothing, and a
 * customer with no item gets none (DELETE alone would create one): then `customerKnown` is false.
 * `released`: this call closed it (a copy of the call, or one after a goal's, finds it closed).
 */
export async function release(
  store: StoreContext,
  customerId: string,
  journeyId: string,
  executionId: string,
): Promise<{ customerKnown: boolean; released: boolean }> {
  const active = membershipAttributes(journeyId).active;
  try {
    const updated = await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: profileKey(customerId),
        UpdateExpression: 'DELETE #active :execution REMOVE #runAt',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: {
          '#active': active,
          '#runAt': runAdmittedAttribute(journeyId, executionId),
        },
        ExpressionAttributeValues: { ':execution': new Set([executionId]) },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    const before = z.set(z.string()).safeParse(updated.Attributes?.[active]);
    return { customerKnown: true, released: before.success && before.data.has(executionId) };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // No customer item: never admitted here, or erased since.
    return { customerKnown: false, released: false };
  }
}
