/**
 * The local engine's JSON files (executions, definitions, the clock, the SNS state): what a file holds is
 * only trusted once its schema accepts it, and a write never leaves half a file behind.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type * as z from 'zod';

/** The parsed value, or undefined when the text is not JSON (a line cut short by a crash, say). */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What `file` holds, or undefined when it is missing, not JSON, or not what `schema` describes. */
export function readJsonFile<T>(file: string, schema: z.ZodType<T>): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(parseJsonText(text));
  return parsed.success ? parsed.data : undefined;
}

/** Writes then renames: a crash mid-write leaves the previous version, never half a file. */
export function writeJsonFile(file: string, value: unknown): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(value));
  renameSync(`${file}.tmp`, file);
}
