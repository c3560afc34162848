/** What compiling a pattern reports with: where a problem is, and how a value is named in a message. */
import { isRecord } from '../../json.ts';
import { closest } from '../../text/suggest.ts';
import type { PathSegment } from './types.ts';

// ---------------------------------------------------------------------------------------------------------------
// "Did you mean" hints

export function unknownOperatorMessage(name: string, field: string, candidates: readonly string[]): string {
  const hint = closest(name, candidates);
  const where = field === '' ? '' : ` in "${field}"`;
  return hint === undefined
    ? `"${name}" is not an EventBridge operator${where}; use one of ${candidates.join(', ')}.`
    : `"${name}" is not an EventBridge operator${where}; did you mean "${hint}"?`;
}

// ---------------------------------------------------------------------------------------------------------------
// Compilation (validation)

export interface Where {
  path: PathSegment[];
  /** Dotted field name for messages, e.g. "detail.state". */
  field: string;
}

export type Report = (path: PathSegment[], message: string) => void;

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the text ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (isRecord(value)) return 'an object';
  return 'a value that is not JSON';
}

export function childField(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

export function requireText(name: string, value: unknown, where: Where, report: Report): string | undefined {
  if (typeof value === 'string') return value;
  report(
    where.path,
    `"${name}" in "${where.field}" needs a text value in quotes, for example {"${name}": "abc"}, not ${describe(value)}.`,
  );
  return undefined;
}
