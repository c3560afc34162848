/**
 * The attributes on the profile item that the address indexes (ADDRESS_INDEXES in table.ts) are keyed
 * on: a SHA-256 of each address, normalised as suppressions hash it (addressHash), so a search finds a
 * customer by a whole address without a Scan and without the address in any key. They follow the
 * profile: every profile write sets them from the profile it writes and removes those whose address is
 * gone, and erasure deletes the item, so an index never finds an old or erased address.
 *
 * A SHA-256 of an address is a pseudonym, not anonymity: whoever can read the table can test a guessed
 * address (phone numbers can be enumerated). The suppression list makes the same trade.
 */
import type { CustomerProfile } from '../customer/profile.ts';
import { addressHash } from '../delivery/availability.ts';
import { ADDRESS_INDEXES, ADDRESS_KINDS, type AddressKind } from './table.ts';

export interface AddressIndexAttributes {
  /** Attribute name -> hash, for the addresses the profile has. */
  set: Record<string, string>;
  /** Attribute names of the addresses it does not have: removed, so the item leaves that index. */
  remove: string[];
}

/** The address of this kind on the profile, as stored (email as given, phone in E.164). */
export function profileAddress(profile: CustomerProfile, kind: AddressKind): string | undefined {
  switch (kind) {
    case 'email':
      return profile.email;
    case 'phone':
      return profile.phone;
  }
}

/** What a write of this profile sets and removes so that the indexes find it by its addresses only. */
export function addressIndexAttributes(profile: CustomerProfile): AddressIndexAttributes {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const kind of ADDRESS_KINDS) {
    const address = profileAddress(profile, kind);
    const attribute = ADDRESS_INDEXES[kind].attribute;
    if (address === undefined) remove.push(attribute);
    else set[attribute] = addressHash(address);
  }
  return { set, remove };
}
