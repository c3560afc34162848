/**
 * Business keys: the fields that make two events the same fact. A producer that retries PutEvents
 * after a timeout sends the same call or order again under a new event id, so a journey names the
 * fields that identify the fact (`entry.dedupeBy`, `exitOn[].dedupeBy`) and the runtime keeps one
 * marker per key. Pure: the key of a detail, never a read or a write.
 */
import { createHash } from 'node:crypto';
import { isRecord } from '../json.ts';
import { resolveReference } from './references.ts';

export type BusinessKey =
  /** `hash` is bounded (64 hex characters) whatever the fields hold, so it fits in a sort key. */
  | { kind: 'key'; fields: readonly string[]; hash: string }
  /** A key field absent or null: this event cannot be told apart from others by its key. */
  | { kind: 'missing'; fields: readonly string[]; missing: string[] };

/** The business key of an event detail for the given fields (dotted paths under the detail). */
export function businessKey(detail: Record<string, unknown>, fields: readonly string[]): BusinessKey {
  const pairs: [string, unknown][] = [];
  const missing: string[] = [];
  for (const field of fields) {
    const resolution = resolveReference(`event.${field}`, {
      event: detail,
      profile: undefined,
      values: undefined,
      trigger: undefined,
    });
    // null names nothing: two events that both lack an order id are not the same order.
    if (!resolution.found || resolution.value === null || resolution.value === undefined) missing.push(field);
    else pairs.push([field, resolution.value]);
  }
  if (missing.length > 0) return { kind: 'missing', fields, missing };
  // The field names are hashed with their values: a journey whose key changes from callId to caseId
  // does not take an old call marker for a case.
  const hash = createHash('sha256').update(canonicalJson(pairs)).digest('hex');
  return { kind: 'key', fields, hash };
}

/** "callId", "orderId and cartId": the fields as a person reads them in a reason. */
export function describeKeyFields(fields: readonly string[]): string {
  if (fields.length <= 1) return fields.join('');
  return `${fields.slice(0, -1).join(', ')} and ${fields[fields.length - 1] ?? ''}`;
}

/**
 * JSON with object keys sorted, so two copies of one fact whose producer wrote an object's fields in
 * another order have one key. Numbers and strings stay apart ("1" is not 1), as in the catalog.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const entries = Object.keys(value)
      .sort()
      .filter((key) => value[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Why a trigger was turned away as a copy of an earlier fact, for the journey history. */
export function duplicateFactReason(key: Extract<BusinessKey, { kind: 'key' }>): string {
  return `the same ${describeKeyFields(key.fields)} as an earlier event`;
}

/** Why a trigger was told apart from copies by its id alone, for the journey history. */
export function missingKeyReason(key: Extract<BusinessKey, { kind: 'missing' }>): string {
  return `no ${describeKeyFields(key.missing)} in the event: told apart from copies by its event id only`;
}
