/**
 * Whether an event's detail can be kept in the customer's history as it is.
 * EventBridge accepts what DynamoDB cannot store (DynamoDB nests at most 32
 * levels), and some keys break the store's marshalling: such an event is
 * kept without its detail, with the reason, rather than failing its handler
 * on every retry until EventBridge gives up and it is lost.
 */

/** DynamoDB's 32 levels, less the history item's own (`entry` and `detail` themselves). */
export const MAX_STORED_DETAIL_DEPTH = 30;

/**
 * Keys a plain object cannot safely carry: `__proto__` becomes the object's prototype when the value
 * is copied (and so disappears), and `constructor` makes the DynamoDB marshaller take the object for
 * a class instance and refuse it.
 */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor']);

/** The first own key in `value` (at any depth) that a plain object cannot safely carry, with where it is. */
export function unsafeKey(value: unknown, where: string): { key: string; at: string } | undefined {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = unsafeKey(item, `${where}[${index}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (UNSAFE_KEYS.has(key)) return { key, at: `${where}.${key}` };
    const found = unsafeKey(item, `${where}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** How deep objects and arrays nest in `value`, counted up to `limit + 1` (past it, the exact depth does not matter). */
export function nestingDepth(value: unknown, limit: number): number {
  if (typeof value !== 'object' || value === null) return 0;
  if (limit < 0) return 1;
  let deepest = 0;
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    deepest = Math.max(deepest, nestingDepth(item, limit - 1));
    if (deepest >= limit) break;
  }
  return deepest + 1;
}

/** Why this detail cannot be stored as it is; undefined when it can. */
export function detailStorageProblem(detail: Record<string, unknown>): string | undefined {
  const unsafe = unsafeKey(detail, 'detail');
  if (unsafe !== undefined) {
    return `${unsafe.at}: the key "${unsafe.key}" cannot be stored; the detail is kept out of the history.`;
  }
  if (nestingDepth(detail, MAX_STORED_DETAIL_DEPTH) > MAX_STORED_DETAIL_DEPTH) {
    return `detail: nested more than ${MAX_STORED_DETAIL_DEPTH} levels deep, more than DynamoDB stores; the detail is kept out of the history.`;
  }
  return undefined;
}

/**
 * How deep an attribute's value may nest: the profile item holds it under `profile.attributes.<name>`,
 * three of DynamoDB's 32 levels, and a few more are left for the history entry that names it.
 */
export const MAX_ATTRIBUTE_DEPTH = 25;

/** Why this attribute cannot be kept on a profile; undefined when it can. */
export function attributeStorageProblem(name: string, value: unknown): string | undefined {
  const unsafe = unsafeKey({ [name]: value }, 'detail.attributes');
  if (unsafe !== undefined)
    return `${unsafe.at}: the key "${unsafe.key}" cannot be stored; the attribute is left out.`;
  if (nestingDepth(value, MAX_ATTRIBUTE_DEPTH) > MAX_ATTRIBUTE_DEPTH) {
    return `detail.attributes.${name}: nested more than ${MAX_ATTRIBUTE_DEPTH} levels deep, more than a profile stores; the attribute is left out.`;
  }
  return undefined;
}
