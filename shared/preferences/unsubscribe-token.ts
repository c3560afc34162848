/**
 * One-click unsubscribe links carry a signed token: who, which channel,
 * from which journey, when issued. HMAC-SHA256 over the payload, so a link
 * cannot be forged or edited to unsubscribe someone else, and nothing needs
 * storing to check it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import { channelSchema } from '../customer/profile.ts';

/** Links in old emails keep working this long (mail clients keep messages for months). */
export const TOKEN_LIFETIME_DAYS = 400;

const tokenPayloadSchema = z.strictObject({
  c: z.string().min(1),
  ch: channelSchema,
  j: z.string().optional(),
  iat: z.number().int(),
});
export type UnsubscribeClaims = {
  customerId: string;
  channel: z.infer<typeof channelSchema>;
  journeyId?: string;
};

export type TokenCheck =
  { ok: true; claims: UnsubscribeClaims; issuedAt: Date } | { ok: false; reason: string };

function signature(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

export function signUnsubscribeToken(claims: UnsubscribeClaims, secret: string, now: Date): string {
  const payload = Buffer.from(
    JSON.stringify({
      c: claims.customerId,
      ch: claims.channel,
      j: claims.journeyId,
      iat: Math.floor(now.getTime() / 1000),
    }),
  ).toString('base64url');
  return `${payload}.${signature(payload, secret)}`;
}

export function verifyUnsubscribeToken(token: string, secret: string, now: Date): TokenCheck {
  const [payload, mac, extra] = token.split('.');
  if (payload === undefined || mac === undefined || extra !== undefined) {
    return { ok: false, reason: 'The link is incomplete.' };
  }
  const expected = Buffer.from(signature(payload, secret));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'The link is not valid.' };
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'The link is not valid.' };
  }
  const parsed = tokenPayloadSchema.safeParse(decoded);
  if (!parsed.success) return { ok: false, reason: 'The link is not valid.' };
  const issuedAt = new Date(parsed.data.iat * 1000);
  if (now.getTime() - issuedAt.getTime() > TOKEN_LIFETIME_DAYS * 86_400_000) {
    return { ok: false, reason: 'The link has expired.' };
  }
  const claims: UnsubscribeClaims = { customerId: parsed.data.c, channel: parsed.data.ch };
  if (parsed.data.j !== undefined) claims.journeyId = parsed.data.j;
  return { ok: true, claims, issuedAt };
}

export function unsubscribeUrl(baseUrl: string, token: string): string {
  const url = new URL(baseUrl);
  url.searchParams.set('token', token);
  return url.toString();
}
