/**
 * How deep a JSON text nests, read without parsing it: a parser, a validator or a DynamoDB stand-in that
 * walks a value recursively runs out of stack on a text nested thousands deep (dynalite then ends the whole
 * process), so such a text is refused before anything walks it.
 */

/**
 * How deep an event's detail or an execution's input may nest. AWS publishes no such limit; a journey reads a
 * handful of levels, and a detail thousands deep exhausted the stack of whatever walked it while routing (the
 * event was accepted, then silently lost). 100 leaves room for any real payload and stays far below the depth
 * at which dynalite, which stores the detail in the history, runs out of stack.
 */
export const MAX_NESTING_DEPTH = 100;

/**
 * The deepest nesting of objects and arrays in `text`, counted up to `limit + 1`: past the limit the exact
 * depth does not matter. Brackets inside strings do not count. The text need not be valid JSON.
 */
export function jsonNestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index];
    if (inString) {
      if (character === '\\') index += 1;
      else if (character === '"') inString = false;
      continue;
    }
    if (character === '"') inString = true;
    else if (character === '{' || character === '[') {
      depth += 1;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (character === '}' || character === ']') depth -= 1;
  }
  return deepest;
}
