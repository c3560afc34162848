/**
 * Registrations of `waitForEvent` steps: the task token a journey is
 * parked on, filed under the customer and the awaited event type. Taking a
 * registration is a conditional delete, so however many copies of an event
 * arrive, one of them resumes the journey.
 */
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { eventMatcherSchema, type EventMatcher } from '../journey/schema.ts';
import { epochSeconds, isConditionFailure, queryAll, type StoreContext } from './context.ts';
import { TTL_ATTRIBUTE, waitKey, waitPrefix } from './table.ts';

export interface WaitRegistration {
  customerId: string;
  journeyId: string;
  executionId: string;
  stepId: string;
  taskToken: string;
  event: EventMatcher;
  /** Events before this time do not count: they happened before the step began waiting. */
  since: string;
  /** After this the step has timed out; a later event must not resume it. */
  until: string;
}

const storedSchema = z.object({
  pk: z.string(),
  sk: z.string(),
  customerId: z.string(),
  journeyId: z.string(),
  executionId: z.string(),
  stepId: z.string(),
  taskToken: z.string(),
  event: eventMatcherSchema,
  since: z.string(),
  until: z.string(),
});

export async function registerWait(store: StoreContext, registration: WaitRegistration): Promise<void> {
  const key = waitKey(
    registration.customerId,
    registration.event.event,
    registration.executionId,
    registration.stepId,
  );
  await store.db.send(
    new PutCommand({
      TableName: store.table,
      // TTL only tidies up; `until` is what decides whether an event may still resume the step.
      Item: { ...key, ...registration, [TTL_ATTRIBUTE]: epochSeconds(new Date(registration.until)) + 86_400 },
    }),
  );
}

export async function waitsFor(
  store: StoreContext,
  customerId: string,
  detailType: string,
): Promise<WaitRegistration[]> {
  const { pk, prefix } = waitPrefix(customerId, detailType);
  const items = await queryAll(store, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
    ConsistentRead: true,
  });
  return items.flatMap((item) => {
    const parsed = storedSchema.safeParse(item);
    if (!parsed.success) return [];
    const { pk: _pk, sk: _sk, ...registration } = parsed.data;
    return [registration];
  });
}

/** Removes the registration; true for the one caller that removed it. */
export async function takeWait(store: StoreContext, registration: WaitRegistration): Promise<boolean> {
  try {
    await store.db.send(
      new DeleteCommand({
        TableName: store.table,
        Key: waitKey(
          registration.customerId,
          registration.event.event,
          registration.executionId,
          registration.stepId,
        ),
        ConditionExpression: 'attribute_exists(sk) AND taskToken = :token',
        ExpressionAttributeValues: { ':token': registration.taskToken },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
