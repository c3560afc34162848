/**
 * What customers and mailbox providers tell us about our messages: an
 * unsubscribe click, a bounce or complaint reported by SES, and a request to
 * erase a customer. Links get clicked twice and EventBridge delivers twice,
 * so each of these changes things once however often it arrives.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { customerFromTagValue } from '../channels/tags.ts';
import {
  ERASURE_REQUESTED,
  SES_ENGAGEMENT_DETAIL_TYPES,
  SES_FEEDBACK_DETAIL_TYPES,
  SMS_RECEIPT_DETAIL_TYPE,
  WHATSAPP_RECEIPT_DETAIL_TYPES,
} from '../events/system-events.ts';
import { type ReceiptOutcome, recordReceipt } from './receipts.ts';
import { type EngagementOutcome, recordSesEngagement } from './engagement.ts';
import type { HistoryEntryOf } from '../customer/history.ts';
import { type Channel, customerIdSchema } from '../customer/profile.ts';
import { addressHash } from '../delivery/availability.ts';
import { type TokenCheck, verifyUnsubscribeToken } from '../preferences/unsubscribe-token.ts';
import type { StoreContext } from '../store/context.ts';
import { mergeFields } from '../customer/profile-update.ts';
import { damagedProfile, type SuppressionRecord, updateCustomer } from '../store/customers.ts';
import { writeAddressSuppression } from '../store/suppressions.ts';
import { activeExecutionIds, deleteCustomerPartition, type ErasedCounts } from '../store/erasure.ts';
import { appendHistory } from '../store/history.ts';
import {
  requireUnsubscribeSecret,
  type Runtime,
  type ScheduleControl,
  type WorkflowControl,
} from './runtime.ts';
import { stopRun } from './parts.ts';

// ---------------------------------------------------------------------------------------------
// Unsubscribe

export type UnsubscribeOutcome =
  | { status: 'unsubscribed'; customerId: string; channel: Channel }
  | { status: 'already'; customerId: string; channel: Channel }
  /** Erased, or never known: there is nothing to opt out of, and no profile is created for it. */
  | { status: 'unknown-customer'; customerId: string; channel: Channel }
  /** The stored profile does not parse, so it cannot be rewritten safely; needs a look. */
  | { status: 'failed'; customerId: string; channel: Channel; reason: string }
  | { status: 'invalid'; reason: string };

/** Checks a link without acting on it: what the confirmation page shows before anything changes. */
export function checkUnsubscribeLink(runtime: Runtime, token: string): TokenCheck {
  return verifyUnsubscribeToken(token, requireUnsubscribeSecret(runtime), runtime.now());
}

export async function unsubscribe(runtime: Runtime, token: string): Promise<UnsubscribeOutcome> {
  const check = checkUnsubscribeLink(runtime, token);
  if (!check.ok) return { status: 'invalid', reason: check.reason };
  const { customerId, channel, journeyId } = check.claims;
  // Same token, same marker: a second click (or a retried request) finds the first one's work.
  const marker = `unsubscribe#${createHash('sha256').update(token).digest('base64url').slice(0, 22)}`;
  const time = runtime.now().toISOString();
  const outcome = await updateCustomer<UnsubscribeOutcome | { status: 'written'; at: string }>(
    runtime.store,
    customerId,
    async (read) => {
      if (read.found === false) return { done: { status: 'unknown-customer', customerId, channel } };
      if (read.found === 'damaged') {
        return { done: { status: 'failed', customerId, channel, reason: damagedProfile(read.reason) } };
      }
      const customer = read.customer;
      if (customer.profile.consent[channel] === 'opted-out') {
        // The consent's stamp names what opted the customer out and when: if it was this very link,
        // this completes the history entry in case the first attempt stopped after the profile write.
        const stamp = customer.fieldStamps[`consent.${channel}`];
        if (stamp?.by === marker) {
          await recordUnsubscribed(runtime, customerId, channel, journeyId, marker, stamp.at);
        }
        return { done: { status: 'already', customerId, channel } };
      }
      // The click is the customer's own word: it outranks every update so far, even one dated a few
      // minutes ahead by a producer's clock, and only a later opt-in undoes it.
      const stamp = customer.fieldStamps[`consent.${channel}`];
      const at = stamp !== undefined && Date.parse(stamp.at) > Date.parse(time) ? stamp.at : time;
      const change = mergeFields(customer, [{ path: 'consent', channel, value: 'opted-out' }], {
        at,
        by: marker,
      });
      return {
        write: { profile: change.profile, fieldStamps: change.fieldStamps },
        then: { status: 'written', at },
      };
    },
  );
  if (outcome.status !== 'written') return outcome;
  await recordUnsubscribed(runtime, customerId, channel, journeyId, marker, outcome.at);
  return { status: 'unsubscribed', customerId, channel };
}

async function recordUnsubscribed(
  runtime: Runtime,
  customerId: string,
  channel: Channel,
  journeyId: string | undefined,
  marker: string,
  time: string,
): Promise<void> {
  const entry: HistoryEntryOf<'preference'> = {
    kind: 'preference',
    time,
    action: 'unsubscribed',
    channel,
    reason:
      journeyId === undefined
        ? 'The customer used the unsubscribe link.'
        : `The customer used the unsubscribe link in a message from journey "${journeyId}".`,
  };
  await appendHistory(runtime.store, customerId, entry, marker);
}

// ---------------------------------------------------------------------------------------------
// SES bounces and complaints

const recipientsSchema = z.array(z.object({ emailAddress: z.string().min(1) })).min(1);

// The detail is SES's event record (as published to SNS or Firehose); only what is used is checked.
const sesMailSchema = z.object({
  messageId: z.string().optional(),
  destination: z.array(z.string()),
  tags: z.record(z.string(), z.array(z.string())).default({}),
});

const sesFeedbackEventSchema = z.object({
  id: z.string().min(1),
  'detail-type': z.enum(SES_FEEDBACK_DETAIL_TYPES),
  source: z.literal('aws.ses'),
  time: z.iso.datetime({ offset: true }),
  detail: z.discriminatedUnion('eventType', [
    z.object({
      eventType: z.literal('Bounce'),
      mail: sesMailSchema,
      bounce: z.object({
        bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
        bounceSubType: z.string().optional(),
        bouncedRecipients: recipientsSchema,
      }),
    }),
    z.object({
      eventType: z.literal('Complaint'),
      mail: sesMailSchema,
      complaint: z.object({ complainedRecipients: recipientsSchema }),
    }),
  ]),
});

/** What became of the customer's profile: the deliver function reads suppressions only there. */
export type ProfileSuppression =
  | 'suppressed'
  | 'already'
  /** The message carried no `customer` tag, so only the address suppression was written. */
  | 'untagged'
  | 'unknown-customer'
  /** The profile's email is no longer the address that bounced: its own suppression is left alone. */
  | 'other-address'
  | 'damaged';

export type FeedbackOutcome =
  | {
      status: 'suppressed';
      kind: SuppressionRecord['kind'];
      addresses: number;
      customerId: string | undefined;
      profile: ProfileSuppression;
    }
  /** A transient or undetermined bounce: the address may take mail again, so nothing is suppressed. */
  | { status: 'not-suppressed'; reason: string }
  | { status: 'ignored'; reason: string };

export async function recordSesFeedback(runtime: Runtime, event: unknown): Promise<FeedbackOutcome> {
  const parsed = sesFeedbackEventSchema.safeParse(event);
  if (!parsed.success) {
    return {
      status: 'ignored',
      reason: `Not an SES bounce or complaint event: ${z.prettifyError(parsed.error)}`,
    };
  }
  const { detail, time, id } = parsed.data;
  let kind: SuppressionRecord['kind'];
  let recipients: string[];
  switch (detail.eventType) {
    case 'Bounce':
      if (detail.bounce.bounceType !== 'Permanent') {
        return {
          status: 'not-suppressed',
          reason: `A ${detail.bounce.bounceType.toLowerCase()} bounce: the address may accept mail later.`,
        };
      }
      kind = 'bounce';
      recipients = detail.bounce.bouncedRecipients.map((recipient) => recipient.emailAddress);
      break;
    case 'Complaint':
      kind = 'complaint';
      recipients = detail.complaint.complainedRecipients.map((recipient) => recipient.emailAddress);
      break;
    default: {
      const unreachable: never = detail;
      throw new Error(`Unknown SES event ${JSON.stringify(unreachable)}`);
    }
  }
  const hashes = [...new Set(recipients.map(addressHash))];
  // Kept by hash alone, outside the customer's partition, so it outlives an erasure without the address.
  await Promise.all(
    hashes.map((hash) => writeAddressSuppression(runtime.store, { addressHash: hash, kind, time })),
  );
  const customerTag = detail.mail.tags.customer?.[0];
  const tagged = customerTag === undefined ? undefined : customerFromTagValue(customerTag);
  const customerId = tagged === undefined ? undefined : customerIdSchema.safeParse(tagged).data;
  const profile =
    customerId === undefined
      ? 'untagged'
      : await suppressOnProfile(runtime, customerId, new Set(hashes), { kind, time }, `suppressed#${id}`);
  return { status: 'suppressed', kind, addresses: hashes.length, customerId, profile };
}

async function suppressOnProfile(
  runtime: Runtime,
  customerId: string,
  hashes: ReadonlySet<string>,
  suppression: Omit<SuppressionRecord, 'addressHash'>,
  unique: string,
): Promise<ProfileSuppression> {
  const outcome = await updateCustomer<ProfileSuppression | 'written'>(runtime.store, customerId, (read) => {
    if (read.found === false) return { done: 'unknown-customer' };
    if (read.found === 'damaged') return { done: 'damaged' };
    const customer = read.customer;
    const email = customer.profile.email;
    const hash = email === undefined ? undefined : addressHash(email);
    // A late report about an address the customer has since replaced must not displace the current one's.
    if (hash === undefined || !hashes.has(hash)) return { done: 'other-address' };
    const current = customer.suppressions.email;
    if (current?.addressHash === hash && current.kind === suppression.kind) return { done: 'already' };
    return {
      write: {
        profile: customer.profile,
        suppressions: { ...customer.suppressions, email: { addressHash: hash, ...suppression } },
      },
      then: 'written',
    };
  });
  if (outcome !== 'written') return outcome;
  const entry: HistoryEntryOf<'preference'> = {
    kind: 'preference',
    time: suppression.time,
    action: 'suppressed',
    channel: 'email',
    reason:
      suppression.kind === 'bounce'
        ? 'The email address bounced permanently; no more email is sent to it.'
        : 'The customer marked an email as spam; no more email is sent to the address.',
  };
  await appendHistory(runtime.store, customerId, entry, unique);
  return 'suppressed';
}

// ---------------------------------------------------------------------------------------------
// Erasure

/** What erasure needs: the CLI has no channels or project, only the table and Step Functions. */
export interface ErasureContext {
  store: StoreContext;
  workflows: WorkflowControl;
  /** High-volume runs' schedules, deleted with them (without it they fire and find nothing). */
  schedules?: ScheduleControl;
}

export type ErasureOutcome =
  | {
      status: 'erased';
      customerId: string;
      deleted: ErasedCounts;
      executions: { stopped: number; alreadyEnded: number };
    }
  | { status: 'nothing-to-erase'; customerId: string };

/**
 * Deletes everything under the customer's partition. Journeys are stopped first, so no running
 * execution writes to the customer again after the deletes. Suppressions stay: they hold no address.
 */
export async function eraseCustomer(context: ErasureContext, customerId: string): Promise<ErasureOutcome> {
  const executionIds = await activeExecutionIds(context.store, customerId);
  const results = await Promise.all(
    executionIds.map((executionId) => stopRun(context, customerId, executionId, 'customer erased')),
  );
  const stopped = results.filter(Boolean).length;
  const deleted = await deleteCustomerPartition(context.store, customerId);
  const total = Object.values(deleted).reduce((sum, count) => sum + count, 0);
  // Active executions live only in memberships, so nothing stored means nothing was running either.
  if (total === 0) return { status: 'nothing-to-erase', customerId };
  return {
    status: 'erased',
    customerId,
    deleted,
    executions: { stopped, alreadyEnded: results.length - stopped },
  };
}

// ---------------------------------------------------------------------------------------------
// Events on the bus

const erasureRequestSchema = z.object({
  'detail-type': z.literal(ERASURE_REQUESTED),
  detail: z.object({ customerId: customerIdSchema }),
});

export type PreferenceEventOutcome =
  | { kind: 'ses-feedback'; outcome: FeedbackOutcome; engagement: EngagementOutcome }
  | { kind: 'ses-engagement'; outcome: EngagementOutcome }
  | { kind: 'receipt'; outcome: ReceiptOutcome }
  | { kind: 'erasure'; outcome: ErasureOutcome }
  | { kind: 'ignored'; reason: string };

const detailTypeSchema = z.object({ 'detail-type': z.string() });

/** The preferences function's work: SES feedback and erasure requests, told apart by detail-type. */
export async function handlePreferenceEvent(
  runtime: Runtime,
  event: unknown,
): Promise<PreferenceEventOutcome> {
  const detailType = detailTypeSchema.safeParse(event).data?.['detail-type'];
  if (detailType === ERASURE_REQUESTED) {
    const request = erasureRequestSchema.safeParse(event);
    if (!request.success) {
      return {
        kind: 'ignored',
        reason: `An erasure request without a usable customerId: ${z.prettifyError(request.error)}`,
      };
    }
    return { kind: 'erasure', outcome: await eraseCustomer(runtime, request.data.detail.customerId) };
  }
  if (SES_FEEDBACK_DETAIL_TYPES.some((known) => known === detailType)) {
    const outcome = await recordSesFeedback(runtime, event);
    return { kind: 'ses-feedback', outcome, engagement: await recordSesEngagement(runtime, event) };
  }
  if (SES_ENGAGEMENT_DETAIL_TYPES.some((known) => known === detailType)) {
    return { kind: 'ses-engagement', outcome: await recordSesEngagement(runtime, event) };
  }
  if (
    detailType === SMS_RECEIPT_DETAIL_TYPE ||
    WHATSAPP_RECEIPT_DETAIL_TYPES.some((known) => known === detailType)
  ) {
    return { kind: 'receipt', outcome: await recordReceipt(runtime, event) };
  }
  return {
    kind: 'ignored',
    reason:
      detailType === undefined
        ? 'Not an EventBridge event (no detail-type).'
        : `No preference handling for detail-type "${detailType}".`,
  };
}
