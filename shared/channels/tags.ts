import { createHash } from 'node:crypto';
/**
 * The customer id travels in an SES message tag so a bounce or complaint can
 * find the profile. Tag values allow only [A-Za-z0-9_-], which is exactly
 * base64url's alphabet, so any id survives the round trip unchanged.
 */
const SES_TAG_VALUE_LENGTH = 256;

/** The tag value for a customer id, or undefined when the encoded id would not fit in a tag. */
export function customerTagValue(customerId: string): string | undefined {
  const encoded = Buffer.from(customerId, 'utf8').toString('base64url');
  return encoded.length <= SES_TAG_VALUE_LENGTH ? encoded : undefined;
}

export function customerFromTagValue(value: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) return undefined;
  const decoded = Buffer.from(value, 'base64url').toString('utf8');
  // Not every string of that alphabet is an encoding we made: check it round-trips.
  return customerTagValue(decoded) === value ? decoded : undefined;
}

/**
 * The execution that sent a message, as an SES tag value: a fixed-length hash, since an execution ARN
 * can outgrow a tag. Engagement conditions compare it with their own execution's.
 */
export function executionTag(executionId: string): string {
  return createHash('sha256').update(executionId).digest('base64url').slice(0, 22);
}
