/**
 * Whether a channel can carry a message to a customer, before any service
 * is asked: an address on the profile, the consent the category needs, and
 * no suppression of that very address.
 */
import { createHash } from 'node:crypto';
import type { Channel, CustomerProfile, PushPlatform } from '../customer/profile.ts';
import type { Suppressions } from '../store/customers.ts';

export type ChannelAddress =
  | { channel: 'email'; email: string }
  | { channel: 'sms'; phone: string }
  | { channel: 'push'; platform: PushPlatform; endpointArn: string }
  | { channel: 'whatsapp'; phone: string }
  /** The team's own system knows the customer by id: no address on the profile is needed. */
  | { channel: 'webhook' | 'function'; customerId: string };

export type Availability =
  { ok: true; address: ChannelAddress } | { ok: false; status: 'no-address' | 'opted-out'; reason: string };

/** Suppressions are stored by this hash, so they can outlive the profile without keeping the address. */
export function addressHash(address: string): string {
  return createHash('sha256').update(address.trim().toLowerCase()).digest('hex');
}

export function channelAvailability(
  profile: CustomerProfile,
  suppressions: Suppressions,
  channel: Channel,
  category: 'marketing' | 'transactional',
): Availability {
  // README's order: an address, then consent, then suppression. A customer known only from an event
  // has no address, and "no address" is what the team can act on.
  const address = addressOf(profile, channel);
  if (!address.ok) return address;
  const consent = profile.consent[channel];
  if (consent === 'opted-out')
    return { ok: false, status: 'opted-out', reason: `${channel}: the customer opted out` };
  if (category === 'marketing' && consent !== 'opted-in') {
    return {
      ok: false,
      status: 'opted-out',
      reason: `${channel}: no marketing consent (consent is "${consent}")`,
    };
  }
  const suppression = suppressions[channel];
  if (suppression !== undefined && suppression.addressHash === addressHash(addressText(address.address))) {
    return {
      ok: false,
      status: suppression.kind === 'bounce' ? 'no-address' : 'opted-out',
      reason: `${channel}: the address is suppressed after a ${suppression.kind} on ${suppression.time}`,
    };
  }
  return address;
}

function addressOf(profile: CustomerProfile, channel: Channel): Availability {
  switch (channel) {
    case 'email':
      return profile.email === undefined
        ? { ok: false, status: 'no-address', reason: 'email: no email address on the profile' }
        : { ok: true, address: { channel, email: profile.email } };
    case 'sms':
      return profile.phone === undefined
        ? { ok: false, status: 'no-address', reason: 'sms: no phone number on the profile' }
        : { ok: true, address: { channel, phone: profile.phone } };
    case 'push': {
      const push = profile.push;
      if (push === undefined)
        return { ok: false, status: 'no-address', reason: 'push: no push endpoint on the profile' };
      if (push.endpointArn === undefined) {
        return { ok: false, status: 'no-address', reason: 'push: the device token has no SNS endpoint yet' };
      }
      return { ok: true, address: { channel, platform: push.platform, endpointArn: push.endpointArn } };
    }
    case 'whatsapp':
      return profile.phone === undefined
        ? { ok: false, status: 'no-address', reason: 'whatsapp: no phone number on the profile' }
        : { ok: true, address: { channel, phone: profile.phone } };
    case 'webhook':
    case 'function':
      return { ok: true, address: { channel, customerId: profile.customerId } };
    default: {
      const unreachable: never = channel;
      throw new Error(`Unknown channel ${String(unreachable)}`);
    }
  }
}

export function addressText(address: ChannelAddress): string {
  switch (address.channel) {
    case 'email':
      return address.email;
    case 'sms':
      return address.phone;
    case 'push':
      return address.endpointArn;
    case 'whatsapp':
      return address.phone;
    case 'webhook':
    case 'function':
      return address.customerId;
    default: {
      const unreachable: never = address;
      throw new Error(`Unknown address ${JSON.stringify(unreachable)}`);
    }
  }
}
