/**
 * A JSON document with positions, so every problem can name a line and a
 * column. Parsing is defensive: no input, however large or deep, throws.
 */
import {
  findNodeAtLocation,
  getNodeValue,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from 'jsonc-parser';
import type { PathSegment } from './problem.ts';

export const MAX_SOURCE_BYTES = 1024 * 1024;
export const MAX_NESTING = 64;

export interface SourcePosition {
  line: number;
  column: number;
}

export interface SourceIssue {
  position: SourcePosition;
  path: PathSegment[];
  message: string;
  hint?: string;
}

export type ParsedSource =
  | {
      ok: true;
      value: unknown;
      locate: (path: readonly PathSegment[]) => SourcePosition;
      duplicates: SourceIssue[];
    }
  | { ok: false; issues: SourceIssue[] };

export function parseSource(raw: string): ParsedSource {
  const start = { line: 0, column: 0 };
  // Editors on Windows save a byte-order mark; a space keeps every offset where it was.
  const text = raw.startsWith('\uFEFF') ? ` ${raw.slice(1)}` : raw;
  if (text.trim() === '') {
    return {
      ok: false,
      issues: [{ position: start, path: [], message: 'The file is empty; expected a JSON object.' }],
    };
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_SOURCE_BYTES) {
    return {
      ok: false,
      issues: [{ position: start, path: [], message: `The file is larger than ${MAX_SOURCE_BYTES} bytes.` }],
    };
  }
  const lines = lineStarts(text);
  const position = (offset: number): SourcePosition => offsetToPosition(lines, offset);
  const deepest = nestingDepth(text);
  if (deepest.depth > MAX_NESTING) {
    return {
      ok: false,
      issues: [
        {
          position: position(deepest.offset),
          path: [],
          message: `JSON is nested deeper than ${MAX_NESTING} levels.`,
        },
      ],
    };
  }
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true });
  const [first] = errors;
  if (first !== undefined || root === undefined) {
    const issue =
      first === undefined
        ? { offset: 0, code: 'ValueExpected' }
        : { offset: first.offset, code: printParseErrorCode(first.error) };
    // The parser's first error explains the rest: report one, where the writer has to act.
    return { ok: false, issues: [syntaxIssue(text, issue, position)] };
  }
  return {
    ok: true,
    value: getNodeValue(root),
    locate: (path) => position(locateOffset(root, path)),
    duplicates: keyIssues(root, [], position),
  };
}

function syntaxIssue(
  text: string,
  error: { offset: number; code: string },
  position: (offset: number) => SourcePosition,
): SourceIssue {
  const before = previousToken(text, error.offset);
  const rest = text.slice(error.offset);
  if (error.code === 'InvalidCommentToken' || /^\/[/*]/.test(rest)) {
    return {
      position: position(error.offset),
      path: [],
      message: 'Invalid JSON: JSON has no comments.',
      hint: 'put notes for people in a "description" field',
    };
  }
  if (rest.trim() === '') {
    return {
      position: position(error.offset),
      path: [],
      message: 'Invalid JSON: the file ends before the JSON is complete (a closing } or ] is missing).',
    };
  }
  if (before.char === ',' && /^\s*[}\]]/.test(rest)) {
    return {
      position: position(before.offset),
      path: [],
      message: 'Invalid JSON: a trailing comma before } or ] is not allowed.',
      hint: 'remove this comma',
    };
  }
  if (error.code === 'CommaExpected') {
    return {
      position: position(before.offset + 1),
      path: [],
      message: 'Invalid JSON: a comma is missing here, between two values or properties.',
    };
  }
  const words = error.code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return { position: position(error.offset), path: [], message: `Invalid JSON: ${words}.` };
}

/** The last character before an offset that is not white space. */
function previousToken(text: string, offset: number): { char: string; offset: number } {
  for (let index = Math.min(offset, text.length) - 1; index >= 0; index--) {
    const char = text[index] ?? '';
    if (!/\s/.test(char)) return { char, offset: index };
  }
  return { char: '', offset: 0 };
}

/** The offset of the deepest node that exists along the path; a missing property points at its parent. */
function locateOffset(root: Node, path: readonly PathSegment[]): number {
  for (let length = path.length; length >= 0; length--) {
    const node = findNodeAtLocation(root, path.slice(0, length));
    if (node !== undefined) {
      // Point at the property name rather than its value: that is what a reader looks for.
      const key = node.parent?.type === 'property' ? node.parent.children?.[0] : undefined;
      return key?.offset ?? node.offset;
    }
  }
  return root.offset;
}

/**
 * Keys JSON allows but a journey must not have: duplicates (the last one wins, silently) and
 * __proto__ (an own key after parsing, but one that code assigning it would turn into a prototype).
 */
function keyIssues(
  node: Node,
  path: PathSegment[],
  position: (offset: number) => SourcePosition,
): SourceIssue[] {
  const issues: SourceIssue[] = [];
  if (node.type === 'object') {
    const seen = new Map<string, number>();
    for (const property of node.children ?? []) {
      const [keyNode, valueNode] = property.children ?? [];
      if (keyNode === undefined || typeof keyNode.value !== 'string') continue;
      const key = keyNode.value;
      if (key === '__proto__') {
        issues.push({
          position: position(keyNode.offset),
          path: [...path, key],
          message: '"__proto__" is not allowed as a name.',
        });
        continue;
      }
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, keyNode.offset);
      } else {
        const firstAt = position(first);
        issues.push({
          position: position(keyNode.offset),
          path: [...path, key],
          message: `"${key}" appears twice in the same object; JSON keeps only the last one.`,
          hint: `the first "${key}" is at line ${firstAt.line}; rename or remove one`,
        });
      }
      if (valueNode !== undefined) issues.push(...keyIssues(valueNode, [...path, key], position));
    }
  } else if (node.type === 'array') {
    (node.children ?? []).forEach((child, index) => {
      issues.push(...keyIssues(child, [...path, index], position));
    });
  }
  return issues;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let index = 0; index < text.length; index++) {
    if (text.charCodeAt(index) === 10) starts.push(index + 1);
  }
  return starts;
}

function offsetToPosition(starts: readonly number[], offset: number): SourcePosition {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if ((starts[middle] ?? 0) <= offset) low = middle;
    else high = middle - 1;
  }
  return { line: low + 1, column: offset - (starts[low] ?? 0) + 1 };
}

/** Bracket depth outside strings, found before parsing so a hostile file cannot exhaust the stack. */
function nestingDepth(text: string): { depth: number; offset: number } {
  let depth = 0;
  let deepest = { depth: 0, offset: 0 };
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '{' || char === '[') {
      depth++;
      if (depth > deepest.depth) deepest = { depth, offset: index };
      if (depth > MAX_NESTING) return deepest;
    } else if (char === '}' || char === ']') depth--;
  }
  return deepest;
}
