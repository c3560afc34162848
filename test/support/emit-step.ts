/**
 * No sample journey emits an event any more: cart-abandonment's `retarget`
 * was an emit of retargeting.audience.requested before it became a webhook
 * send. These fixtures put that emit step back, so the emit rules (validator,
 * compiler, ASL) keep a realistic journey to work on.
 */
import { readFileSync } from 'node:fs';
import { type Journey, journeySchema } from '../../shared/journey/schema.ts';
import { isRecord } from '../../shared/json.ts';

const CART_FILE = new URL('../../journeys/cart-abandonment.json', import.meta.url);

/** An emit step as a journey file writes it; `detail` is open so a test can break it on purpose. */
export interface EmitStepJson {
  type: 'emit';
  description?: string;
  event: string;
  source?: string;
  detail: Record<string, unknown>;
  next: string;
}

/** A journey file's JSON whose `retarget` step is an emit step. */
export interface CartJsonWithEmit {
  [key: string]: unknown;
  exitOn: unknown[];
  values: Record<string, unknown>;
  steps: Record<string, unknown> & { retarget: EmitStepJson };
}

/** The step cart-abandonment's `retarget` was: the ads system hears of the customer by an event. */
export function retargetEmitStep(): EmitStepJson {
  return {
    type: 'emit',
    description: 'Ask the ads system to show the same offer to this customer.',
    event: 'retargeting.audience.requested',
    detail: {
      audience: 'cart-abandoners',
      reason: 'No order within a day of cart.abandoned',
      offerCode: { from: 'values.offerCode' },
    },
    next: 'done',
  };
}

/** journeys/cart-abandonment.json as the file reads, with `retarget` the emit step: a fresh copy each call. */
export function cartJsonWithEmitStep(): CartJsonWithEmit {
  const cart: unknown = JSON.parse(readFileSync(CART_FILE, 'utf8'));
  if (!isRecord(cart) || !isRecord(cart.steps) || !isRecord(cart.values) || !Array.isArray(cart.exitOn)) {
    throw new Error('journeys/cart-abandonment.json has no steps, values or exitOn');
  }
  if (!isRecord(cart.steps.retarget) || cart.steps.retarget.next !== 'done') {
    throw new Error('journeys/cart-abandonment.json has no "retarget" step that goes on to "done"');
  }
  return {
    ...cart,
    exitOn: cart.exitOn,
    values: cart.values,
    steps: { ...cart.steps, retarget: retargetEmitStep() },
  };
}

/** The same journey as the schema reads it (defaults filled in), to compile. */
export function cartWithEmitStep(): Journey {
  return journeySchema.parse(cartJsonWithEmitStep());
}
