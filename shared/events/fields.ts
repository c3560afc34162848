/**
 * Which fields an event may carry, at any depth, from its schema (not its
 * examples, which leave optional fields out). Used to tell a misspelt filter
 * or reference from a field that is simply optional.
 */
import { type EventCatalog, eventDefinition } from './catalog.ts';
import { expandNode, isOpenNode } from './json-schema.ts';
import { isRecord } from '../json.ts';

export type FieldNames = { kind: 'known'; names: string[] } | { kind: 'open' } | { kind: 'none' };

/** The fields under a path of an event's detail; arrays are looked through, as EventBridge does. */
export function eventFieldNames(
  catalog: EventCatalog,
  detailType: string,
  path: readonly string[],
): FieldNames {
  const schema = eventDefinition(catalog, detailType)?.schema;
  if (schema === undefined) return { kind: 'none' };
  let nodes = expandNode(schema, schema);
  for (const segment of path) {
    const next: Record<string, unknown>[] = [];
    for (const node of nodes) {
      const properties = node.properties;
      if (isRecord(properties) && Object.hasOwn(properties, segment))
        next.push(...expandNode(schema, properties[segment]));
      else if (isOpenNode(node)) return { kind: 'open' };
    }
    if (next.length === 0) return { kind: 'none' };
    nodes = next;
  }
  if (nodes.some(isOpenNode)) return { kind: 'open' };
  const names = new Set<string>();
  for (const node of nodes) {
    if (isRecord(node.properties)) for (const name of Object.keys(node.properties)) names.add(name);
  }
  return names.size === 0 ? { kind: 'none' } : { kind: 'known', names: [...names] };
}
