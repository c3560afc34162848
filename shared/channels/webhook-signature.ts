/**
 * The signature every webhook request carries, `Waymark-Signature:
 * t=<unix seconds>,v1=<hex>`, where v1 is HMAC-SHA256 over "<t>.<body>" with
 * the endpoint's secret. A receiver recomputes it over the raw body and
 * refuses a request whose t is too old (docs/channels.md).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Waymark-Signature';
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

export function webhookSignature(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

/** What a receiver does: true when the header is ours for this body and no older than `toleranceSeconds`. */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string,
  now: Date,
  toleranceSeconds = 300,
): boolean {
  const parts = new Map(
    header.split(',').map((part) => {
      const [key = '', value = ''] = part.split('=', 2);
      return [key.trim(), value.trim()];
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1') ?? '';
  if (!Number.isInteger(t) || Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The idempotency key of one delivery: stable across attempts, opaque to the receiver. */
export function idempotencyKey(deliveryKey: string): string {
  return createHash('sha256').update(deliveryKey).digest('hex').slice(0, 32);
}
