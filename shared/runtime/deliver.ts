/**
 * One message step: pick the first channel that can carry the message,
 * respect consent, suppression, quiet hours and caps, send it once, and
 * record in the customer's history what was sent, or why nothing was.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeliverTask, DeliveryOutcome } from '../contract/tasks.ts';
import {
  type Channel,
  type CustomerProfile,
  isSystemChannel,
  type SystemChannel,
} from '../customer/profile.ts';
import { type ChannelAddress, channelAvailability } from '../delivery/availability.ts';
import {
  decideReservation,
  describeCap,
  effectiveCaps,
  type SendRecord,
  withoutRecord,
} from '../delivery/caps.ts';
import { quietHoursEnd } from '../delivery/quiet-hours.ts';
import { quietHoursOf } from '../journey/schema.ts';
import { signUnsubscribeToken, unsubscribeUrl } from '../preferences/unsubscribe-token.ts';
import {
  type RenderedMessage,
  renderMessage,
  type TemplateContext,
  type TemplateProblem,
  type TemplateSource,
} from '../render/templates.ts';
import { type CustomerRecord, damagedProfile, readCustomer, writeLedger } from '../store/customers.ts';
import { deliveryRunEnded, sentByCopyOfPart } from './parts.ts';
import { release as releasePlace } from '../store/journeys.ts';
import { emptyCustomer } from '../customer/profile-update.ts';
import {
  confirmedDelivery,
  deliveryKey,
  pointAtMessage,
  recordDelivered,
  recordMessage,
  recordSkip,
} from './delivery-history.ts';
import { dispatch, type Envelope } from './dispatch.ts';
import { ThrottledError } from './errors.ts';
import { requireUnsubscribeSecret, type Runtime } from './runtime.ts';
import { type HeldSlot, type RateLimited, sendWhenDue, waitForSendSlot } from './send-slot.ts';

type NotSent = Extract<DeliveryOutcome, { status: 'capped' | 'opted-out' | 'no-address' | 'failed' }>;

/** Concurrent deliveries to one customer retry the ledger write; each round one of them wins. */
const MAX_LEDGER_ATTEMPTS = 100;

/**
 * The message step; for a journey's last step (`finishes`) also the end: the customer's place is
 * freed (with the ledger write when there is one) and the history entry says the journey completed,
 * so the execution's end needs no write of its own.
 */
export async function deliver(task: DeliverTask, runtime: Runtime): Promise<DeliveryOutcome> {
  const freed: FreedPlace = { done: false };
  const outcome = await deliverStep(task, runtime, freed);
  if (task.finishes !== true || outcome.status === 'deferred' || outcome.status === 'rate-limited') {
    return outcome;
  }
  if (!freed.done) await releasePlace(runtime.store, task.customerId, task.journeyId, task.executionId);
  return { ...outcome, finished: true };
}

/** Set once a ledger write has also closed the execution's place in its journey. */
interface FreedPlace {
  done: boolean;
}

async function deliverStep(task: DeliverTask, runtime: Runtime, freed: FreedPlace): Promise<DeliveryOutcome> {
  const now = runtime.now();
  const read = await readCustomer(runtime.store, task.customerId);
  const template = runtime.project.templates.get(task.template);
  if (read.found === 'damaged') {
    return notSent(runtime, task, now, { status: 'failed', reason: damagedProfile(read.reason) });
  }
  if (deliveryRunEnded(task, read)) {
    // As a stopped Standard execution, a high-volume run that has ended (a goal or exit event freed its
    // place, or the customer was erased) sends and records nothing more, though its part still runs.
    return { status: 'failed', reason: 'The journey ended for this customer while this part ran.' };
  }
  if (template === undefined) {
    return notSent(runtime, task, now, {
      status: 'failed',
      reason: `No template "${task.template}" is deployed.`,
    });
  }
  // A call that feeds another system needs no address: a customer known only by their events has one.
  if (task.target?.reaches === 'system') {
    const { profile } = read.found ? read.customer : emptyCustomer(task.customerId);
    return deliverToSystem(runtime, task, task.target.channel, profile, template, now);
  }
  if (read.found === false) {
    return notSent(runtime, task, now, { status: 'no-address', reason: 'No profile for this customer.' });
  }
  // A retry of a delivery that got as far as reserving: sent if its history entry says so. If not,
  // the attempt stopped between reserving and recording: marketing is at most once (not sent again),
  // transactional at least once (sent again, on the channel it reserved, under the same reservation).
  const earlier = read.customer.ledger.sends.find((record) => record.key === deliveryKey(task));
  if (earlier !== undefined) {
    const settled = await settledEarlier(runtime, task, now, earlier);
    if (settled !== undefined) return settled;
  }
  const channels = earlier === undefined ? task.channels : [earlier.channel];
  const { settings } = runtime.project;
  const timeZone = read.customer.profile.timeZone ?? settings.timeZone;
  const skipped: NotSent[] = [];
  let customer = read.customer;
  for (const channel of channels) {
    const available = channelAvailability(customer.profile, customer.suppressions, channel, task.category);
    if (!available.ok) {
      skipped.push({ status: available.status, reason: available.reason, channel });
      continue;
    }
    const { address } = available;
    if (address.channel === 'sms' && (await runtime.channels.isPhoneOptedOut(address.phone))) {
      skipped.push({
        status: 'opted-out',
        reason: 'sms: the number replied STOP (SNS opt-out list)',
        channel,
      });
      continue;
    }
    if (task.category === 'marketing') {
      const resumeAt = quietHoursEnd(now, timeZone, quietHoursOf(settings, channel));
      if (resumeAt !== undefined) {
        const outcome: DeliveryOutcome = {
          status: 'deferred',
          resumeAt: resumeAt.toISOString(),
          reason: `${channel}: quiet hours in ${timeZone} until ${resumeAt.toISOString()}`,
          channel,
        };
        await recordSkip(runtime, task, now, outcome, `deferred#${outcome.resumeAt}`);
        return outcome;
      }
    }
    const unsubscribe = unsubscribeLink(runtime, task, channel, now);
    const rendered = renderMessage(
      template,
      channel,
      templateContext(task, customer.profile, runtime, unsubscribe),
    );
    if (!rendered.ok) {
      skipped.push({ status: 'failed', reason: renderFailure(channel, rendered.problems), channel });
      continue;
    }
    const slot = await waitForSendSlot(runtime, task, customer, channel, timeZone);
    if (slot.kind === 'wait') {
      await recordSkip(runtime, task, now, slot.outcome, `rate-limited#${slot.outcome.resumeAt}`);
      return slot.outcome;
    }
    const envelope: DeliveryEnvelope = {
      senders: settings.senders,
      unsubscribeUrl: unsubscribe,
      ...(slot.slot === undefined ? {} : { slot: slot.slot }),
    };
    const attempt = await sendOnce(
      runtime,
      task,
      customer,
      address,
      rendered.message,
      timeZone,
      envelope,
      freed,
    );
    customer = attempt.customer;
    if (attempt.outcome.status === 'sent') return attempt.outcome;
    if (attempt.outcome.status === 'rate-limited') {
      await recordSkip(runtime, task, now, attempt.outcome, `rate-limited#${attempt.outcome.resumeAt}`);
      return attempt.outcome;
    }
    skipped.push(attempt.outcome);
  }
  return notSent(runtime, task, now, summarize(skipped));
}

/**
 * A webhook or function that feeds another system: no consent, quiet hours, rates or caps, and no
 * place in the customer's ledger. Its history entry goes under the step's entry time, so every
 * attempt of the step looks in one place: a retry after a send that was recorded sends nothing, and
 * one after a send that was not carries the same idempotency key for the receiver to drop.
 */
async function deliverToSystem(
  runtime: Runtime,
  task: DeliverTask,
  channel: SystemChannel,
  profile: CustomerProfile,
  template: TemplateSource,
  now: Date,
): Promise<DeliveryOutcome> {
  const time = task.enteredAt ?? now.toISOString();
  const earlier = await confirmedDelivery(runtime, task, { time, channel });
  if (earlier !== undefined) return earlier;
  const unsubscribe = unsubscribeLink(runtime, task, channel, now);
  const rendered = renderMessage(template, channel, templateContext(task, profile, runtime, unsubscribe));
  if (!rendered.ok) {
    return notSent(runtime, task, now, {
      status: 'failed',
      reason: renderFailure(channel, rendered.problems),
      channel,
    });
  }
  const envelope: Envelope = { senders: runtime.project.settings.senders, unsubscribeUrl: unsubscribe };
  const address: ChannelAddress = { channel, customerId: task.customerId };
  const result = await dispatch(runtime, address, rendered.message, task, envelope);
  if (result.ok) {
    const recorded = await recordMessage(runtime, task, { time, channel }, result, rendered.message);
    await recordDelivered(runtime, task, channel, result.messageId, time);
    return {
      status: 'sent',
      channel,
      messageId: result.messageId,
      ...(recorded ? {} : { unrecorded: true as const }),
    };
  }
  if (result.kind === 'throttled') throw new ThrottledError(result.reason);
  return notSent(runtime, task, now, {
    status: result.kind === 'unreachable' ? 'no-address' : 'failed',
    reason: result.reason,
    channel,
  });
}

function renderFailure(channel: Channel, problems: readonly TemplateProblem[]): string {
  const first = problems[0];
  const where = first === undefined ? '' : ` (${first.file}:${first.line}: ${first.message})`;
  return `${channel}: the template could not be rendered${where}`;
}

type SendAttempt = {
  customer: CustomerRecord;
  outcome: Extract<DeliveryOutcome, { status: 'sent' }> | NotSent | RateLimited;
};

/** Reserve (caps and idempotency, one conditional write), send, then record; release if the send fails. */
async function sendOnce(
  runtime: Runtime,
  task: DeliverTask,
  initial: CustomerRecord,
  address: ChannelAddress,
  message: RenderedMessage,
  timeZone: string,
  envelope: DeliveryEnvelope,
  freed: FreedPlace,
): Promise<SendAttempt> {
  const key = deliveryKey(task);
  const freeing =
    task.finishes === true ? { journeyId: task.journeyId, executionId: task.executionId } : undefined;
  const caps = effectiveCaps(runtime.project.settings.caps, task.caps);
  let customer = initial;
  for (let attempt = 1; attempt <= MAX_LEDGER_ATTEMPTS; attempt += 1) {
    const now = runtime.now();
    const decision = decideReservation(
      customer.ledger,
      { key, channel: address.channel, journeyId: task.journeyId, category: task.category, now, timeZone },
      caps,
    );
    switch (decision.kind) {
      case 'already-sent': {
        // A concurrent copy of this delivery, or an earlier attempt, reserved it first.
        const settled = await settledEarlier(runtime, task, runtime.now(), decision.record);
        if (settled !== undefined) return { customer, outcome: settled };
        return sendReserved(runtime, task, customer, decision.record, address, message, envelope);
      }
      case 'capped':
        return {
          customer,
          outcome: {
            status: 'capped',
            reason: describeCap(decision),
            capId: decision.capId,
            channel: address.channel,
          },
        };
      case 'reserve': {
        const ledger = await writeLedger(
          runtime.store,
          task.customerId,
          customer.ledger.version,
          decision.sends,
          freeing,
        );
        if (ledger !== undefined) {
          freed.done = freeing !== undefined;
          return sendReserved(
            runtime,
            task,
            { ...customer, ledger },
            decision.record,
            address,
            message,
            envelope,
          );
        }
        const reread = await readCustomer(runtime.store, task.customerId);
        if (reread.found !== true) {
          return {
            customer,
            outcome: { status: 'no-address', reason: 'The customer was erased during delivery.' },
          };
        }
        customer = reread.customer;
        // The customer may have unsubscribed (or bounced) while we waited for the ledger.
        const still = channelAvailability(
          customer.profile,
          customer.suppressions,
          address.channel,
          task.category,
        );
        if (!still.ok)
          return {
            customer,
            outcome: { status: still.status, reason: still.reason, channel: address.channel },
          };
        // Spread the retries so the losers of one round do not collide again in the next.
        await sleep(Math.random() * Math.min(50, 2 * attempt));
        break;
      }
      default: {
        const unreachable: never = decision;
        throw new Error(`Unknown reservation ${JSON.stringify(unreachable)}`);
      }
    }
  }
  // Nothing was reserved: the state machine's retry for throttling tries the whole step again later.
  throw new ThrottledError(
    `Too many concurrent deliveries to this customer (${MAX_LEDGER_ATTEMPTS} rounds).`,
  );
}

/** Send under a reservation already in the ledger, then record; give the slot back if nothing went out. */
async function sendReserved(
  runtime: Runtime,
  task: DeliverTask,
  reserved: CustomerRecord,
  record: SendRecord,
  address: ChannelAddress,
  message: RenderedMessage,
  envelope: DeliveryEnvelope,
): Promise<SendAttempt> {
  const key = deliveryKey(task);
  const due = await sendWhenDue(runtime, envelope.slot);
  if (!due.onTime) {
    // Its fresh slot is far off: the caps' reservation goes back, and the step waits for the slot.
    const released = await release(runtime, task.customerId, reserved, key);
    return { customer: released ?? reserved, outcome: due.outcome };
  }
  const result = await dispatch(runtime, address, message, task, envelope).catch(async (error: unknown) => {
    // Not sent: give the slot back before the error reaches the state machine's Catch.
    await release(runtime, task.customerId, reserved, key);
    throw error;
  });
  if (result.ok) {
    const recorded = await recordMessage(runtime, task, record, result, message);
    if (isSystemChannel(address.channel)) {
      await recordDelivered(runtime, task, address.channel, result.messageId, record.time);
    }
    if (address.channel === 'sms' || address.channel === 'whatsapp') {
      await pointAtMessage(runtime, task, address.channel, result.messageId, record.time);
    }
    return {
      customer: reserved,
      outcome: {
        status: 'sent',
        channel: address.channel,
        messageId: result.messageId,
        ...(recorded ? {} : { unrecorded: true as const }),
      },
    };
  }
  const released = await release(runtime, task.customerId, reserved, key);
  if (result.kind === 'throttled') throw new ThrottledError(`${address.channel}: ${result.reason}`);
  const status = result.kind === 'unreachable' ? 'no-address' : 'failed';
  return {
    customer: released ?? reserved,
    outcome: { status, reason: `${address.channel}: ${result.reason}`, channel: address.channel },
  };
}

/**
 * What an earlier attempt's reservation means for this one: sent, if its history entry is there;
 * for marketing without one, unconfirmed and not sent again (at most once); undefined for a
 * transactional message without one, which is sent again under that reservation (at least once).
 */
async function settledEarlier(
  runtime: Runtime,
  task: DeliverTask,
  now: Date,
  record: SendRecord,
): Promise<Extract<DeliveryOutcome, { status: 'sent' }> | undefined> {
  const confirmed =
    (await confirmedDelivery(runtime, task, record)) ?? (await sentByCopyOfPart(runtime, task, record));
  if (confirmed !== undefined) return confirmed;
  return task.category === 'marketing' ? unconfirmedDelivery(runtime, task, now, record) : undefined;
}

/**
 * A marketing message an earlier attempt reserved but did not record: it may or may not have gone
 * out, and at most once means it is not sent again. The step goes on as sent (a fallback channel
 * would risk a second message); the timeline says what is known, so nothing goes unexplained.
 */
async function unconfirmedDelivery(
  runtime: Runtime,
  task: DeliverTask,
  now: Date,
  record: SendRecord,
): Promise<Extract<DeliveryOutcome, { status: 'sent' }>> {
  const reason =
    `${record.channel}: unconfirmed. An earlier attempt stopped between reserving this marketing ` +
    'message and recording it, so it may have gone out; it is not sent again (at most once).';
  await recordSkip(runtime, task, now, { status: 'failed', reason, channel: record.channel }, 'unconfirmed');
  return { status: 'sent', channel: record.channel, messageId: `unconfirmed:${record.key}` };
}

/** Takes a reservation back after a send that did not happen, so it counts toward no cap. */
async function release(
  runtime: Runtime,
  customerId: string,
  reserved: CustomerRecord,
  key: string,
): Promise<CustomerRecord | undefined> {
  // First against the ledger this delivery itself just wrote: a read only if someone wrote since.
  let customer: CustomerRecord = reserved;
  for (let attempt = 1; attempt <= MAX_LEDGER_ATTEMPTS; attempt += 1) {
    const ledger = await writeLedger(
      runtime.store,
      customerId,
      customer.ledger.version,
      withoutRecord(customer.ledger, key),
    );
    if (ledger !== undefined) return { ...customer, ledger };
    const read = await readCustomer(runtime.store, customerId);
    if (read.found !== true) return undefined;
    customer = read.customer;
  }
  return undefined;
}

/** What a send needs besides the message: the senders, the unsubscribe link and maybe a held slot. */
interface DeliveryEnvelope extends Envelope {
  /** A send slot a moment away: waited for right before the provider is called, not earlier. */
  slot?: HeldSlot;
}

function unsubscribeLink(runtime: Runtime, task: DeliverTask, channel: Channel, now: Date): string {
  const token = signUnsubscribeToken(
    { customerId: task.customerId, channel, journeyId: task.journeyId },
    requireUnsubscribeSecret(runtime),
    now,
  );
  return unsubscribeUrl(runtime.project.settings.unsubscribe.baseUrl, token);
}

function templateContext(
  task: DeliverTask,
  profile: CustomerProfile,
  runtime: Runtime,
  unsubscribe: string,
): TemplateContext {
  const journey = runtime.project.journeys.find((candidate) => candidate.id === task.journeyId);
  return {
    profile: { ...profile },
    event: task.trigger.detail,
    trigger: {
      id: task.trigger.id,
      detailType: task.trigger['detail-type'],
      source: task.trigger.source,
      time: task.trigger.time,
    },
    values: task.values,
    journey: { id: task.journeyId, name: journey?.name ?? task.journeyId, stepId: task.stepId },
    unsubscribeUrl: unsubscribe,
  };
}

async function notSent(runtime: Runtime, task: DeliverTask, now: Date, outcome: NotSent): Promise<NotSent> {
  await recordSkip(runtime, task, now, outcome, outcome.status);
  return outcome;
}

// The most telling reason wins the status: a cap is a decision we made, a failure needs a look,
// an opt-out is the customer's choice, a missing address is the most ordinary.
const STATUS_PRIORITY: readonly NotSent['status'][] = ['capped', 'failed', 'opted-out', 'no-address'];

/** One outcome for a step whose every channel was skipped; the reason lists each channel's. */
function summarize(skipped: readonly NotSent[]): NotSent {
  if (skipped.length === 0) return { status: 'failed', reason: 'The step names no channel.' };
  const rank = (outcome: NotSent): number => STATUS_PRIORITY.indexOf(outcome.status);
  const chosen = skipped.reduce((best, outcome) => (rank(outcome) < rank(best) ? outcome : best));
  const reason = skipped.map((outcome) => outcome.reason).join('; ');
  return { ...chosen, reason };
}
