/**
 * The execution state every compiled journey carries, and where a reference
 * such as "event.cartId" lives in it:
 *
 *   { customerId, trigger: <the EventBridge event>, entry: { outcome: { values } }, steps: { <id>: ... } }
 */
import { jsonPathTo } from '../asl/path.ts';

export const STATE_PATHS = {
  customerId: '$.customerId',
  trigger: '$.trigger',
  values: '$.entry.outcome.values',
} as const;

/** The JSONPath of a reference in the execution state; undefined for the profile, which is not in it. */
export function referencePath(reference: string): string | undefined {
  const [root, ...rest] = reference.split('.');
  const segments = rest.map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
  switch (root) {
    case 'event':
      return jsonPathTo('$', ['trigger', 'detail', ...segments]);
    case 'values':
      return jsonPathTo('$', ['entry', 'outcome', 'values', ...segments]);
    case 'trigger':
      return jsonPathTo('$', ['trigger', ...segments]);
    default:
      return undefined;
  }
}
