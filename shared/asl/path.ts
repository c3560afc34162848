/**
 * JSONPath as Step Functions reads it: dot notation only for names the
 * JsonPath grammar allows there (letters, digits, `_`, not starting with a
 * digit); brackets for anything else, such as the hyphens in step ids.
 */
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
