/**
 * A customer's place in each journey: when they last entered, which
 * executions are open, and which trigger events were already taken in.
 * Admission is one conditional write, so two events at once cannot both pass
 * a "one at a time" or "never again" rule.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { assertNever } from '../journey/graph.ts';
import type { Reentry } from '../journey/schema.ts';
import { durationSeconds } from '../time/duration.ts';
import { epochSeconds, isConditionFailure, type StoreContext } from './context.ts';
import { entryFactKey, entryKey, goalFactKey, membershipKey, TTL_ATTRIBUTE } from './table.ts';

/**
 * Trigger events and facts are remembered this long: EventBridge redelivers within 24 hours, and
 * producers may retry later.
 */
export const ENTRY_MARKER_DAYS = 30;
const DAY_SECONDS = 86_400;

const membershipSchema = z.object({
  lastEnteredAt: z.string().optional(),
  active: z.set(z.string()).optional(),
});
export type Membership = { lastEnteredAt?: string; active: string[] };

export async function readMembership(
  store: StoreContext,
  customerId: string,
  journeyId: string,
): Promise<Membership> {
  const result = await store.db.send(
    new GetCommand({
      TableName: store.table,
      Key: membershipKey(customerId, journeyId),
      ConsistentRead: true,
    }),
  );
  return parseMembershipItem(result.Item ?? {});
}

/** A stored membership item; one that does not parse holds no one. */
export function parseMembershipItem(item: Record<string, unknown>): Membership {
  const parsed = membershipSchema.safeParse(item);
  if (!parsed.success) return { active: [] };
  return {
    ...(parsed.data.lastEnteredAt === undefined ? {} : { lastEnteredAt: parsed.data.lastEnteredAt }),
    active: [...(parsed.data.active ?? [])],
  };
}

/** What a trigger is remembered by: its event id, or the hash of the journey's business key. */
export type TriggerIdentity = { kind: 'event'; eventId: string } | { kind: 'fact'; keyHash: string };

/**
 * Marks a trigger event (or fact) as taken by this execution. Returns the execution that took it:
 * this one, or an earlier one (a duplicate).
 */
export async function claimTriggerEvent(
  store: StoreContext,
  customerId: string,
  journeyId: string,
  identity: TriggerIdentity,
  executionId: string,
  now: Date,
): Promise<string> {
  return claimMarker(
    store,
    triggerMarkerKey(customerId, journeyId, identity),
    { attribute: 'executionId', id: executionId },
    now,
    ENTRY_MARKER_DAYS * DAY_SECONDS,
  );
}

function triggerMarkerKey(
  customerId: string,
  journeyId: string,
  identity: TriggerIdentity,
): { pk: string; sk: string } {
  switch (identity.kind) {
    case 'event':
      return entryKey(customerId, journeyId, identity.eventId);
    case 'fact':
      return entryFactKey(customerId, journeyId, identity.keyHash);
    default:
      return assertNever(identity);
  }
}

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
  | { admitted: true }
  | { admitted: false; reason: 'reentry-never' | 'reentry-too-soon' }
  /** With the executions holding the places, as read to tell the reason. */
  | { admitted: false; reason: 'concurrency-limit'; active: string[] };

/** Opens the execution in the customer's membership if re-entry and concurrency allow it. */
export async function admit(
  store: StoreContext,
  customerId: string,
  journeyId: string,
  executionId: string,
  rules: { reentry: Reentry; maxConcurrent: number },
  now: Date,
): Promise<Admission> {
  const conditions = ['(attribute_not_exists(active) OR size(active) < :max)'];
  const values: Record<string, unknown> = {
    ':now': now.toISOString(),
    ':execution': new Set([executionId]),
    ':max': rules.maxConcurrent,
  };
  const reentry = reentryRule(rules.reentry, now);
  if (reentry.kind === 'never') conditions.push('attribute_not_exists(lastEnteredAt)');
  if (reentry.kind === 'after') {
    conditions.push('(attribute_not_exists(lastEnteredAt) OR lastEnteredAt <= :cutoff)');
    values[':cutoff'] = reentry.cutoff;
  }
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: membershipKey(customerId, journeyId),
        UpdateExpression: 'SET lastEnteredAt = :now ADD active :execution',
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeValues: values,
      }),
    );
    return { admitted: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  // The condition does not say which part failed (and dynalite cannot return the item): read it.
  const membership = await readMembership(store, customerId, journeyId);
  // A retried enter of this very execution: it was admitted the first time.
  if (membership.active.includes(executionId)) return { admitted: true };
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
  return { admitted: false, reason: 'concurrency-limit', active: membership.active };
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

/** Closes an execution in the membership; closing one that is not open does nothing. */
export async function release(
  store: StoreContext,
  customerId: string,
  journeyId: string,
  executionId: string,
): Promise<void> {
  await store.db
    .send(
      new UpdateCommand({
        TableName: store.table,
        Key: membershipKey(customerId, journeyId),
        UpdateExpression: 'DELETE active :execution',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':execution': new Set([executionId]) },
      }),
    )
    .catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
}
