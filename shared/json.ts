/** JSON values, typed: what journey files, events and ASL are made of. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Rebuilds a value as JSON without casts: non-finite numbers become null, undefined fields are dropped. */
export function toJsonValue(value: unknown): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === 'object') return toJsonObject(value);
  return null;
}

/** The same, for values known to be objects (patterns, parameters). */
export function toJsonObject(value: object): { [key: string]: JsonValue } {
  const result: { [key: string]: JsonValue } = {};
  for (const [key, entry] of Object.entries(value)) {
    if (entry !== undefined) result[key] = toJsonValue(entry);
  }
  return result;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property, never one inherited from Object.prototype ("toString", "constructor"). */
export function ownValue(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Sets an own property, even one named "__proto__", which plain assignment would take for the prototype. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * The message of a Lambda function's error as Step Functions hands it on (a Cause holding
 * `{"errorType", "errorMessage", "trace"}`); any other cause as it is.
 */
export function lambdaErrorMessage(cause: string): string {
  try {
    const parsed: unknown = JSON.parse(cause);
    if (isRecord(parsed) && typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Not JSON: a cause written by Step Functions itself.
  }
  return cause;
}
