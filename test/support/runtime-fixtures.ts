/** Events and task payloads for runtime tests, built from the fixtures in test/events/. */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DeliverTask, TriggerEnvelope } from '../../shared/contract/tasks.ts';
import { recordEvent } from '../../shared/runtime/record.ts';
import type { Runtime } from '../../shared/runtime/runtime.ts';

export function fixtureEvent(detailType: string): TriggerEnvelope {
  return JSON.parse(readFileSync(new URL(`../events/${detailType}.json`, import.meta.url), 'utf8'));
}

/** An EventBridge envelope as the bus delivers it, with a fresh id. */
export function envelope(
  detailType: string,
  detail: Record<string, unknown>,
  time: string,
): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'test',
    account: '123456789012',
    time,
    region: 'us-east-1',
    resources: [],
    detail,
  };
}

export const ANA = {
  email: 'ana@example.com',
  phone: '+5511987654321',
  timeZone: 'America/Sao_Paulo',
  consent: { email: 'opted-in', sms: 'opted-in', push: 'opted-in' },
  attributes: { firstName: 'Ana' },
};

/** Creates or updates a customer the way production does: a profile event through record. */
export async function seedCustomer(
  runtime: Runtime,
  customerId: string,
  fields: Record<string, unknown> = ANA,
): Promise<void> {
  const outcome = await recordEvent(
    envelope('customer.profile.updated', { customerId, ...fields }, runtime.now().toISOString()),
    runtime,
  );
  if (outcome.status !== 'recorded') throw new Error(`seeding failed: ${JSON.stringify(outcome)}`);
}

export function cartTrigger(customerId: string): TriggerEnvelope {
  const event = fixtureEvent('cart.abandoned');
  return { ...event, detail: { ...event.detail, customerId } };
}

export function deliverTask(customerId: string, overrides: Partial<DeliverTask> = {}): DeliverTask {
  return {
    task: 'deliver',
    journeyId: 'cart-abandonment',
    journeyVersion: 1,
    executionId: `exec-${randomUUID()}`,
    customerId,
    stepId: 'nudge',
    channels: ['email'],
    template: 'cart-nudge',
    category: 'marketing',
    caps: [],
    trigger: cartTrigger(customerId),
    values: {
      offerCode: 'CART10',
      offerText: '10% off your cart',
      cartUrl: 'https://shop.example.com/cart/1',
    },
    ...overrides,
  };
}
