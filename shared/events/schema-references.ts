/**
 * An event schema's references as the validator itself follows them. @cfworker/json-schema resolves
 * a `$ref` against the nearest `$id`, and only to the places it took for schemas; a reference it
 * cannot resolve throws, and a loop that never goes into a field (`{"allOf": [{"$ref": "#"}]}`)
 * recurses until the stack runs out, each on the first detail that reaches it. The examples may
 * never reach it; producers will, and every such event would be refused. So both are looked for in
 * the validator's own index of the schema, once, when the file is checked.
 */
import { dereference, initialBaseURI, type Schema } from '@cfworker/json-schema';
import { isRecord, ownValue } from '../json.ts';
import type { PathSegment } from '../journey/problem.ts';
import { errorMessage } from '../text/error-message.ts';

export interface ReferenceProblem {
  path: PathSegment[];
  message: string;
  hint?: string;
}

/** Keywords whose subschemas apply to the value itself: following only these never goes into a field. */
const IN_PLACE_ONE = ['not', 'if', 'then', 'else'];
const IN_PLACE_LISTS = ['allOf', 'anyOf', 'oneOf'];
const IN_PLACE_MAPS = ['dependentSchemas', 'dependencies'];
/** Keywords whose value lists schemas: their pointer segments are indexes. */
const LISTS = new Set([...IN_PLACE_LISTS, 'items', 'prefixItems']);

/** Any object is a schema to the validator, which checks its keywords itself. */
function isValidatorSchema(value: unknown): value is Schema {
  return isRecord(value);
}

export function referenceProblems(schema: Readonly<Record<string, unknown>>): ReferenceProblem[] {
  // The validator marks the objects it indexes: it is given a copy, as the reader gives it one.
  const copy: unknown = structuredClone(schema);
  if (!isValidatorSchema(copy)) return [];
  Reflect.deleteProperty(copy, '$schema');
  let lookup: Record<string, unknown>;
  try {
    lookup = dereference(copy);
  } catch (error) {
    return [{ path: [], message: `The validator cannot use this schema: ${errorMessage(error)}` }];
  }
  const nodes = [...new Set(Object.values(lookup).filter(isRecord))];
  const paths = pathsOf(lookup, copy);
  const where = (node: Record<string, unknown>, ...more: PathSegment[]): PathSegment[] => [
    ...(paths.get(node) ?? []),
    ...more,
  ];
  const problems: ReferenceProblem[] = [];
  for (const node of nodes) {
    const target = ownValue(node, '__absolute_ref__');
    if (typeof target === 'string' && lookup[target] === undefined) {
      problems.push({
        path: where(node, '$ref'),
        message: `${JSON.stringify(node.$ref)} points at no schema: the validator resolves a reference against the nearest "$id", and only to schemas (under "$defs", "properties" and the like), never to examples or other data.`,
        hint: 'point at a part under "$defs" of this file, and leave "$id" out of the parts',
      });
    }
  }
  for (const { node, byRef } of loopEdges(nodes, lookup)) {
    problems.push({
      path: byRef ? where(node, '$ref') : where(node),
      message:
        'The schema refers back to itself without going into a field: checking a detail here would loop until the stack runs out.',
      hint: "a schema may contain itself only below a property or an array's items, as a tree of replies does",
    });
  }
  return problems;
}

/**
 * Where each indexed schema is in the file, from the index's own keys (`<base>#/properties/a`); the
 * base is the root's own `$id` when it has one.
 */
function pathsOf(
  lookup: Readonly<Record<string, unknown>>,
  root: Readonly<Record<string, unknown>>,
): Map<Record<string, unknown>, PathSegment[]> {
  const base =
    Object.keys(lookup).find((uri) => lookup[uri] === root && !uri.includes('#')) ?? initialBaseURI.href;
  const paths = new Map<Record<string, unknown>, PathSegment[]>();
  for (const [uri, node] of Object.entries(lookup)) {
    if (!isRecord(node) || paths.has(node)) continue;
    if (uri === base) paths.set(node, []);
    else if (uri.startsWith(`${base}#/`)) paths.set(node, pointerPath(uri.slice(base.length + 2)));
  }
  return paths;
}

function pointerPath(pointer: string): PathSegment[] {
  const segments = pointer.split('/').map((raw) => {
    try {
      return decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    } catch {
      return raw;
    }
  });
  return segments.map((segment, index) =>
    LISTS.has(segments[index - 1] ?? '') && /^\d+$/.test(segment) ? Number(segment) : segment,
  );
}

interface Edge {
  target: Record<string, unknown>;
  byRef: boolean;
}

/** The schemas that apply to the same value as `node` does. */
function inPlace(node: Record<string, unknown>, lookup: Readonly<Record<string, unknown>>): Edge[] {
  const edges: Edge[] = [];
  const target = ownValue(node, '__absolute_ref__');
  const referred = typeof target === 'string' ? lookup[target] : undefined;
  if (isRecord(referred)) edges.push({ target: referred, byRef: true });
  const add = (value: unknown): void => {
    if (isRecord(value)) edges.push({ target: value, byRef: false });
  };
  for (const key of IN_PLACE_ONE) add(ownValue(node, key));
  for (const key of IN_PLACE_LISTS) {
    const list = ownValue(node, key);
    if (Array.isArray(list)) list.forEach(add);
  }
  for (const key of IN_PLACE_MAPS) {
    const map = ownValue(node, key);
    if (isRecord(map)) Object.values(map).forEach(add);
  }
  return edges;
}

/** The edges that close a loop of schemas applying to one value, found by a depth-first walk without recursion. */
function loopEdges(
  nodes: readonly Record<string, unknown>[],
  lookup: Readonly<Record<string, unknown>>,
): { node: Record<string, unknown>; byRef: boolean }[] {
  const state = new Map<Record<string, unknown>, 'open' | 'done'>();
  const found: { node: Record<string, unknown>; byRef: boolean }[] = [];
  for (const start of nodes) {
    if (state.has(start)) continue;
    const stack: { node: Record<string, unknown>; edges: Edge[] }[] = [
      { node: start, edges: inPlace(start, lookup) },
    ];
    state.set(start, 'open');
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top === undefined) break;
      const edge = top.edges.shift();
      if (edge === undefined) {
        state.set(top.node, 'done');
        stack.pop();
        continue;
      }
      const seen = state.get(edge.target);
      if (seen === 'open') found.push({ node: top.node, byRef: edge.byRef });
      else if (seen === undefined) {
        state.set(edge.target, 'open');
        stack.push({ node: edge.target, edges: inPlace(edge.target, lookup) });
      }
    }
  }
  return found;
}
