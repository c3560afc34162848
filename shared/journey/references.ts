/**
 * Dotted references such as "event.cart.total" or "profile.attributes.firstName",
 * resolved against what a step can see. Used by the runtime to fill values and
 * by the validator to check references against the catalog's examples.
 */
import { isRecord, ownValue } from '../json.ts';
export interface ReferenceScope {
  event: unknown;
  profile: unknown;
  values: unknown;
  trigger: unknown;
}

export type Resolution =
  { found: true; value: unknown } | { found: false; missing: string; available: string[] };

export function resolveReference(reference: string, scope: ReferenceScope): Resolution {
  const [root, ...rest] = reference.split('.');
  let current = rootValue(root, scope);
  let walked = root ?? '';
  for (const segment of rest) {
    const next = child(current, segment);
    if (next === undefined)
      return { found: false, missing: `${walked}.${segment}`, available: keysOf(current) };
    current = next;
    walked = `${walked}.${segment}`;
  }
  return { found: true, value: current };
}

function child(value: unknown, segment: string): unknown {
  if (Array.isArray(value)) return /^\d+$/.test(segment) ? value[Number(segment)] : undefined;
  return isRecord(value) ? ownValue(value, segment) : undefined;
}

function keysOf(value: unknown): string[] {
  return isRecord(value) ? Object.keys(value) : [];
}

function rootValue(root: string | undefined, scope: ReferenceScope): unknown {
  switch (root) {
    case 'event':
      return scope.event;
    case 'profile':
      return scope.profile;
    case 'values':
      return scope.values;
    case 'trigger':
      return scope.trigger;
    default:
      return undefined;
  }
}
