/**
 * What a delivery writes to the customer's history and reads back: the
 * message sent (under the reservation's time, where a retry looks for it)
 * and every message not sent, with its reason. Keys are the delivery's own,
 * so a retried step writes each entry once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeliverTask, DeliveryOutcome } from '../contract/tasks.ts';
import type { HistoryEntryOf } from '../customer/history.ts';
import { executionTag } from '../channels/tags.ts';
import { withoutContactDetails } from '../text/mask.ts';
import type { Channel } from '../customer/profile.ts';
import type { SendRecord } from '../delivery/caps.ts';
import type { RenderedMessage } from '../render/templates.ts';
import { appendHistory, readHistoryEntry } from '../store/history.ts';
import { writeMessagePointer } from '../store/message-pointers.ts';
import type { Runtime } from './runtime.ts';

export function deliveryKey(task: DeliverTask): string {
  const base = `${task.executionId}#${task.stepId}`;
  return task.visit === undefined ? base : `${base}#${task.visit}`;
}

/** A delivery an earlier attempt reserved, as sent, if its history entry is there. */
export async function confirmedDelivery(
  runtime: Runtime,
  task: DeliverTask,
  record: Pick<SendRecord, 'time' | 'channel'>,
): Promise<Extract<DeliveryOutcome, { status: 'sent' }> | undefined> {
  const entry = await readHistoryEntry(runtime.store, task.customerId, record.time, messageUnique(task));
  return entry?.kind === 'message'
    ? { status: 'sent', channel: record.channel, messageId: entry.messageId }
    : undefined;
}

function messageUnique(task: DeliverTask): string {
  return `message#${deliveryKey(task)}`;
}

const PREVIEW_LENGTH = 160;

function headlineOf(message: RenderedMessage): { headline: string; preview: string } {
  switch (message.channel) {
    case 'email':
      return {
        headline: message.subject,
        preview: (message.text ?? stripTags(message.html ?? '')).slice(0, PREVIEW_LENGTH),
      };
    case 'sms':
      return { headline: message.text.slice(0, 60), preview: message.text.slice(0, PREVIEW_LENGTH) };
    case 'push':
      return { headline: message.title, preview: message.body.slice(0, PREVIEW_LENGTH) };
    case 'whatsapp':
      return {
        headline: `WhatsApp template ${message.template}`,
        preview: message.parameters.join(' · ').slice(0, PREVIEW_LENGTH),
      };
    case 'webhook':
    case 'function':
      // A body for another system often carries an address: kept masked, as an answer's reason is.
      return {
        headline: `${message.channel} call`,
        preview: withoutContactDetails(message.body).slice(0, PREVIEW_LENGTH),
      };
    default: {
      const unreachable: never = message;
      throw new Error(`Unknown message ${JSON.stringify(unreachable)}`);
    }
  }
}

function stripTags(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const HISTORY_WRITE_ATTEMPTS = 3;

/**
 * The message is out: its history entry goes under the reservation's time, where a retry looks for
 * it. A failing history write must not turn a sent message into a failed step (a retry would send
 * it again), so it is tried a few times and then reported as unrecorded: false.
 */
export async function recordMessage(
  runtime: Runtime,
  task: DeliverTask,
  record: Pick<SendRecord, 'time' | 'channel'>,
  sent: { messageId: string; response?: string },
  message: RenderedMessage,
): Promise<boolean> {
  const entry: HistoryEntryOf<'message'> = {
    kind: 'message',
    time: record.time,
    journeyId: task.journeyId,
    executionId: task.executionId,
    stepId: task.stepId,
    channel: record.channel,
    category: task.category,
    messageId: sent.messageId,
    ...(sent.response === undefined ? {} : { response: sent.response }),
    ...(task.target === undefined ? {} : { reaches: task.target.reaches }),
    ...headlineOf(message),
    ...(task.finishes === true ? { completes: true as const } : {}),
  };
  for (let attempt = 1; attempt <= HISTORY_WRITE_ATTEMPTS; attempt += 1) {
    try {
      await appendHistory(runtime.store, task.customerId, entry, messageUnique(task));
      return true;
    } catch {
      if (attempt < HISTORY_WRITE_ATTEMPTS) await sleep(100 * attempt);
    }
  }
  return false;
}

export async function recordSkip(
  runtime: Runtime,
  task: DeliverTask,
  now: Date,
  outcome: Exclude<DeliveryOutcome, { status: 'sent' }>,
  unique: string,
): Promise<void> {
  const entry: HistoryEntryOf<'skipped'> = {
    kind: 'skipped',
    time: task.enteredAt ?? now.toISOString(),
    journeyId: task.journeyId,
    executionId: task.executionId,
    stepId: task.stepId,
    status: outcome.status,
    reason: outcome.reason,
    ...(outcome.channel === undefined ? {} : { channel: outcome.channel }),
    ...(outcome.status === 'capped' ? { capId: outcome.capId } : {}),
    ...(outcome.status === 'deferred' || outcome.status === 'rate-limited'
      ? { resumeAt: outcome.resumeAt }
      : task.finishes === true
        ? { completes: true as const }
        : {}),
  };
  await appendHistory(runtime.store, task.customerId, entry, `skipped#${deliveryKey(task)}#${unique}`);
}

/**
 * A webhook or function that answered with success has delivered: recorded as engagement at once, so
 * a branch on "delivered" reads the same for every channel (email's comes later from SES).
 */
export async function recordDelivered(
  runtime: Runtime,
  task: DeliverTask,
  channel: Channel,
  messageId: string,
  time: string,
): Promise<void> {
  const entry: HistoryEntryOf<'engagement'> = {
    kind: 'engagement',
    time,
    journeyId: task.journeyId,
    stepId: task.stepId,
    execution: executionTag(task.executionId),
    channel,
    action: 'delivered',
    messageId,
  };
  // The call went out: a failed write loses this entry, never turns the step into a failure.
  await appendHistory(
    runtime.store,
    task.customerId,
    entry,
    `engagement#${deliveryKey(task)}#delivered`,
  ).catch(() => undefined);
}

/**
 * SMS and WhatsApp receipts name only the provider's message id: a pointer from it to this delivery
 * lets them reach the history. Best effort: without it a receipt is lost, never the message.
 */
export async function pointAtMessage(
  runtime: Runtime,
  task: DeliverTask,
  channel: Channel,
  messageId: string,
  sentAt: string,
): Promise<void> {
  if (messageId === '') return;
  await writeMessagePointer(runtime.store, {
    channel,
    messageId,
    customerId: task.customerId,
    journeyId: task.journeyId,
    stepId: task.stepId,
    execution: executionTag(task.executionId),
    sentAt,
  }).catch(() => undefined);
}
