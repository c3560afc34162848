/**
 * JSONPath as Step Functions reads it: dot notation only for names the
 * JsonPath grammar allows there (letters, digits, `_`, not starting with a
 * digit); brackets for anything else, such as the hyphens in step ids.
 */
import { isRecord } from '../json.ts';
const SHORTHAND = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function jsonPathTo(root: '$' | '$$', segments: readonly (string | number)[]): string {
  return segments.reduce<string>((path, segment) => {
    if (typeof segment === 'number') return `${path}[${segment}]`;
    if (SHORTHAND.test(segment)) return `${path}.${segment}`;
    return `${path}['${segment.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
  }, root);
}

/** Where a step keeps its result in the execution state. */
export function stepResultPath(stepId: string, ...rest: string[]): string {
  return jsonPathTo('$', ['steps', stepId, ...rest]);
}

/**
 * Reads a path built by `jsonPathTo` (dots, quoted brackets, indexes) from a value; undefined when
 * any segment is missing. The local engine uses it for the paths a Wait state reads.
 */
export function readJsonPath(root: unknown, path: string): unknown {
  if (!path.startsWith('$')) return undefined;
  const segment = /\.([A-Za-z_][A-Za-z0-9_]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]/y;
  let current = root;
  let index = 1;
  while (index < path.length) {
    segment.lastIndex = index;
    const match = segment.exec(path);
    if (match === null) return undefined;
    index = segment.lastIndex;
    const key = match[1] ?? match[2]?.replace(/\\(.)/g, '$1') ?? Number(match[3]);
    if (typeof key === 'number') current = Array.isArray(current) ? current[key] : undefined;
    else current = isRecord(current) && Object.hasOwn(current, key) ? current[key] : undefined;
    if (current === undefined) return undefined;
  }
  return current;
}
