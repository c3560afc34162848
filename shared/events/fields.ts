/**
 * Which fields an event may carry, at any depth, from the catalog's schemas
 * (not its examples, which leave optional fields out). Used to tell a
 * misspelt filter or reference from a field that is simply optional.
 */
import * as z from 'zod';
import { eventCatalog, isCatalogEventType } from './catalog.ts';
import { isRecord } from '../json.ts';

export type FieldNames = { kind: 'known'; names: string[] } | { kind: 'open' } | { kind: 'none' };

const schemas = new Map<string, unknown>();

function schemaOf(detailType: string): unknown {
  if (!isCatalogEventType(detailType)) return undefined;
  if (!schemas.has(detailType)) {
    schemas.set(
      detailType,
      z.toJSONSchema(eventCatalog[detailType].detail, { io: 'input', unrepresentable: 'any' }),
    );
  }
  return schemas.get(detailType);
}

/** The fields under a path of an event's detail; arrays are looked through, as EventBridge does. */
export function eventFieldNames(detailType: string, path: readonly string[]): FieldNames {
  let nodes = expand(schemaOf(detailType));
  for (const segment of path) {
    const next: unknown[] = [];
    for (const node of nodes) {
      const properties = node.properties;
      if (isRecord(properties) && Object.hasOwn(properties, segment))
        next.push(...expand(properties[segment]));
      else if (isOpen(node)) return { kind: 'open' };
    }
    if (next.length === 0) return { kind: 'none' };
    nodes = next.flatMap(expand);
  }
  if (nodes.some(isOpen)) return { kind: 'open' };
  const names = new Set<string>();
  for (const node of nodes) {
    if (isRecord(node.properties)) for (const name of Object.keys(node.properties)) names.add(name);
  }
  return names.size === 0 ? { kind: 'none' } : { kind: 'known', names: [...names] };
}

/** A schema node as the object shapes it may take: through arrays and alternatives. */
function expand(node: unknown): Record<string, unknown>[] {
  if (!isRecord(node)) return [];
  const alternatives = [node.anyOf, node.oneOf, node.allOf].flatMap((list): unknown[] =>
    Array.isArray(list) ? list : [],
  );
  if (alternatives.length > 0) return alternatives.flatMap(expand);
  if (node.type === 'array') return expand(node.items);
  return [node];
}

/** A record (attributes) takes any field name. */
function isOpen(node: Record<string, unknown>): boolean {
  const extra = node.additionalProperties;
  return (
    !isRecord(node.properties) &&
    node.type === 'object' &&
    (extra === undefined || extra === true || isRecord(extra))
  );
}
