/**
 * Where a detail probably keeps the customer id, for event files made from
 * samples or imported from the Schema Registry: the first usual place the
 * schema declares as a string. A guess for the team to check, said so in a note.
 */
import { schemaField } from './json-schema.ts';

/**
 * Where details usually keep the customer id, most likely first: Waymark's default, the same name
 * in other spellings, a `customer` object, then user ids, then account ids (an account may be a
 * household or a company, so it comes last).
 */
export const CUSTOMER_ID_PLACES: readonly string[] = [
  'customerId',
  'customer_id',
  'customerID',
  'customer.id',
  'userId',
  'user_id',
  'userID',
  'user.id',
  'accountId',
  'account_id',
  'account.id',
];

export interface CustomerIdGuess {
  /** A dot path for `x-waymark.customerId`; undefined when none of the usual places is a string field. */
  path: string | undefined;
  notes: string[];
}

/** The first usual place the schema declares as a string, as the event file check reads a customer id path. */
export function guessCustomerId(schema: Readonly<Record<string, unknown>>): CustomerIdGuess {
  const notStrings: string[] = [];
  for (const place of CUSTOMER_ID_PLACES) {
    const field = schemaField(schema, place.split('.'));
    if (field === undefined) continue;
    const types = field.nodes.map((node) => node.type);
    if (types.every((type) => type === undefined || type === 'string')) {
      const notes =
        place === 'customerId'
          ? []
          : [
              `The customer id is taken to be "${place}": check it, and change "x-waymark.customerId" if the customer id is elsewhere.`,
            ];
      return { path: place, notes };
    }
    notStrings.push(`"${place}" is ${types.map((type) => JSON.stringify(type)).join(' or ')}`);
  }
  const also = notStrings.length > 0 ? ` (${notStrings.join('; ')}; a customer id is a string)` : '';
  return {
    path: undefined,
    notes: [
      `No customer id found at ${CUSTOMER_ID_PLACES.join(', ')}${also}: set "x-waymark": { "customerId": "<dot path>" } to the field that holds it.`,
    ],
  };
}
