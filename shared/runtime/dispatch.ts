/**
 * Hands one rendered message to its channel's service: the part of a delivery
 * that differs per channel. Everything before it (address, consent, quiet
 * hours, rates, caps) is one path for all channels, in deliver.ts.
 */
import type { MessageMeta, SendResult } from '../channels/gateway.ts';
import { customerTagValue, executionTag } from '../channels/tags.ts';
import { idempotencyKey } from '../channels/webhook-signature.ts';
import type { DeliverTask } from '../contract/tasks.ts';
import type { ChannelAddress } from '../delivery/availability.ts';
import type { RenderedMessage } from '../render/templates.ts';
import { deliveryKey } from './delivery-history.ts';
import type { Runtime } from './runtime.ts';

/** The version of the function channel's payload; a change that breaks receivers gets a new one. */
export const FUNCTION_PAYLOAD_VERSION = 1;

export interface Envelope {
  senders: Runtime['project']['settings']['senders'];
  unsubscribeUrl: string;
}

export async function dispatch(
  runtime: Runtime,
  address: ChannelAddress,
  message: RenderedMessage,
  task: DeliverTask,
  envelope: Envelope,
): Promise<SendResult> {
  const channels = runtime.channels;
  const meta: MessageMeta = { customerId: task.customerId, journeyId: task.journeyId, stepId: task.stepId };
  // Each case also checks the message: by construction rendered for the address's channel, which the
  // types cannot see; a mismatch is refused, never sent as something else.
  switch (address.channel) {
    case 'email': {
      if (message.channel !== 'email') return MISMATCH;
      const { from, replyTo, configurationSet } = envelope.senders.email;
      return channels.sendEmail({
        meta,
        to: address.email,
        from,
        ...(replyTo === undefined ? {} : { replyTo }),
        ...(configurationSet === undefined ? {} : { configurationSet }),
        subject: message.subject,
        ...(message.html === undefined ? {} : { html: message.html }),
        ...(message.text === undefined ? {} : { text: message.text }),
        unsubscribeUrl: envelope.unsubscribeUrl,
        // The customer tag lets a bounce or complaint from SES find the profile to suppress; the
        // execution tag lets an open or click reach this journey's engagement conditions.
        tags: {
          journey: task.journeyId,
          step: task.stepId,
          channel: 'email',
          execution: executionTag(task.executionId),
          ...optionalTag('customer', customerTagValue(task.customerId)),
        },
      });
    }
    case 'sms': {
      if (message.channel !== 'sms') return MISMATCH;
      const { originationNumber, senderId } = envelope.senders.sms;
      return channels.sendSms({
        meta,
        to: address.phone,
        text: message.text,
        category: task.category,
        ...(originationNumber === undefined ? {} : { originationNumber }),
        ...(senderId === undefined ? {} : { senderId }),
      });
    }
    case 'push':
      if (message.channel !== 'push') return MISMATCH;
      return channels.sendPush({
        meta,
        platform: address.platform,
        endpointArn: address.endpointArn,
        title: message.title,
        body: message.body,
        data: message.data,
      });
    case 'whatsapp': {
      if (message.channel !== 'whatsapp') return MISMATCH;
      const sender = envelope.senders.whatsapp;
      if (sender === undefined) return refused('whatsapp: settings.senders.whatsapp is not set');
      return channels.sendWhatsapp({
        meta,
        to: address.phone,
        phoneNumberId: sender.phoneNumberId,
        metaApiVersion: sender.metaApiVersion,
        template: message.template,
        language: message.language,
        parameters: message.parameters,
      });
    }
    case 'webhook':
      if (message.channel !== 'webhook') return MISMATCH;
      return callWebhook(runtime, task, meta, message.body);
    case 'function':
      if (message.channel !== 'function') return MISMATCH;
      return invokeFunction(runtime, task, meta, message.data);
    default: {
      const unreachable: never = address;
      throw new Error(`Unknown address ${JSON.stringify(unreachable)}`);
    }
  }
}

const MISMATCH: SendResult = {
  ok: false,
  kind: 'rejected',
  reason: 'the message was rendered for another channel',
};

async function callWebhook(
  runtime: Runtime,
  task: DeliverTask,
  meta: MessageMeta,
  body: string,
): Promise<SendResult> {
  const name = task.target?.channel === 'webhook' ? task.target.endpoint : undefined;
  const endpoint = name === undefined ? undefined : runtime.project.settings.webhooks[name];
  if (name === undefined || endpoint === undefined) {
    return refused(`webhook: settings.json declares no webhooks["${name ?? ''}"]`);
  }
  let secret: string | undefined;
  try {
    secret = await runtime.secrets?.get(endpoint.secret);
  } catch (error) {
    // Denied (no grant, a key the function may not decrypt with) will not change by waiting: refused.
    // Throttled or failed: the step is tried again later, like a throttled send.
    const kind = error instanceof Error ? error.name : '';
    if (/AccessDenied|KMS|Decryption/.test(kind)) {
      return refused(`webhook "${name}": its signing secret may not be read (${kind})`);
    }
    return {
      ok: false,
      kind: 'throttled',
      reason: `webhook "${name}": its signing secret could not be read`,
    };
  }
  if (secret === undefined) {
    return refused(`webhook "${name}": its signing secret "${endpoint.secret}" is not set`);
  }
  return runtime.channels.callWebhook({
    meta,
    endpoint: name,
    url: endpoint.url,
    headers: endpoint.headers,
    timeoutMs: endpoint.timeoutSeconds * 1000,
    body,
    secret,
    idempotencyKey: idempotencyKey(deliveryKey(task)),
    allowLoopbackHttp: runtime.allowLoopbackHttp === true,
  });
}

function invokeFunction(
  runtime: Runtime,
  task: DeliverTask,
  meta: MessageMeta,
  data: unknown,
): Promise<SendResult> {
  const name = task.target?.channel === 'function' ? task.target.function : undefined;
  const target = name === undefined ? undefined : runtime.project.settings.functions[name];
  if (name === undefined || target === undefined) {
    return Promise.resolve(refused(`function: settings.json declares no functions["${name ?? ''}"]`));
  }
  const payload = {
    version: FUNCTION_PAYLOAD_VERSION,
    idempotencyKey: idempotencyKey(deliveryKey(task)),
    journeyId: task.journeyId,
    stepId: task.stepId,
    executionId: task.executionId,
    customerId: task.customerId,
    category: task.category,
    reaches: task.target?.reaches ?? 'customer',
    trigger: { id: task.trigger.id, detailType: task.trigger['detail-type'], time: task.trigger.time },
    data,
  };
  return runtime.channels.invokeFunction({
    meta,
    name,
    functionName: target.functionName,
    timeoutMs: target.timeoutSeconds * 1000,
    payload: JSON.stringify(payload),
  });
}

function refused(reason: string): SendResult {
  return { ok: false, kind: 'rejected', reason };
}

function optionalTag(name: string, value: string | undefined): Record<string, string> {
  return value === undefined ? {} : { [name]: value };
}
