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

/**
 * How the waiting step is resumed: a Standard execution's task token, or a high-volume run's park
 * (its key in the customer's partition, and the machine its next part starts on).
 */
export type WaitResumption =
  { kind: 'token'; taskToken: string } | { kind: 'park'; park: string; machine: string };

export interface WaitRegistration {
  customerId: string;
  journeyId: string;
  executionId: string;
  stepId: string;
  resumption: WaitResumption;
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
  taskToken: z.string().optional(),
  park: z.string().optional(),
  machine: z.string().optional(),
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
  const { resumption, ...fields } = registration;
  await store.db.send(
    new PutCommand({
      TableName: store.table,
      // TTL only tidies up; `until` is what decides whether an event may still resume the step.
      Item: {
        ...key,
        ...fields,
        ...storedResumption(resumption),
        [TTL_ATTRIBUTE]: epochSeconds(new Date(registration.until)) + 86_400,
      },
    }),
  );
}

/** Stored flat: `taskToken` as registrations always were, or `park` and `machine`. */
function storedResumption(resumption: WaitResumption): Record<string, string> {
  switch (resumption.kind) {
    case 'token':
      return { taskToken: resumption.taskToken };
    case 'park':
      return { park: resumption.park, machine: resumption.machine };
    default: {
      const unknown: never = resumption;
      throw new Error(`Unknown resumption ${JSON.stringify(unknown)}`);
    }
  }
}

function resumptionOf(stored: {
  taskToken?: string;
  park?: string;
  machine?: string;
}): WaitResumption | undefined {
  if (stored.taskToken !== undefined) return { kind: 'token', taskToken: stored.taskToken };
  if (stored.park !== undefined && stored.machine !== undefined)
    return { kind: 'park', park: stored.park, machine: stored.machine };
  return undefined;
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
    const { pk: _pk, sk: _sk, taskToken, park, machine, ...registration } = parsed.data;
    const resumption = resumptionOf({
      ...(taskToken === undefined ? {} : { taskToken }),
      ...(park === undefined ? {} : { park }),
      ...(machine === undefined ? {} : { machine }),
    });
    return resumption === undefined ? [] : [{ ...registration, resumption }];
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
        ConditionExpression:
          registration.resumption.kind === 'token'
            ? 'attribute_exists(sk) AND taskToken = :token'
            : 'attribute_exists(sk) AND park = :token',
        ExpressionAttributeValues: {
          ':token':
            registration.resumption.kind === 'token'
              ? registration.resumption.taskToken
              : registration.resumption.park,
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
