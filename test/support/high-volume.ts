/**
 * The sample journeys on both compile targets, for the tests that hold the high-volume target to what
 * Standard does (parity, crash): copies of `journeys/` in a folder, one as is and one whose every journey
 * runs as high-volume parts, and what the local engine shows of a customer, reduced to what both targets
 * must agree on.
 */
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import type { OutboxMessage } from '../../infra/local/outbox.ts';
import { isRecord } from '../../shared/json.ts';

export type Target = 'standard' | 'high-volume';
export const TARGETS: readonly Target[] = ['standard', 'high-volume'];

/** What a test may change in the copy's settings.json before the engine reads it. */
export type SettingsEdit = (settings: Record<string, unknown>) => Record<string, unknown>;

export interface JourneyCopyOptions {
  target: Target;
  settings?: SettingsEdit;
}

/**
 * Copies `journeys/` (settings, events, segments, templates, schemas) into `dir`; on high-volume every
 * journey file (a file with `steps`) gets `"workflow": "high-volume"`. Answers `dir`.
 */
export function copyJourneys(dir: string, options: JourneyCopyOptions): string {
  cpSync('journeys', dir, { recursive: true });
  if (options.target === 'high-volume') {
    for (const file of readdirSync(dir)) {
      if (!file.endsWith('.json')) continue;
      const path = join(dir, file);
      const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
      if (!isRecord(parsed) || !isRecord(parsed.steps)) continue;
      writeFileSync(path, `${JSON.stringify({ ...parsed, workflow: 'high-volume' }, null, 2)}\n`);
    }
  }
  if (options.settings !== undefined) {
    const path = join(dir, 'settings.json');
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (!isRecord(parsed)) throw new Error(`${path} is not an object`);
    writeFileSync(path, `${JSON.stringify(options.settings(parsed), null, 2)}\n`);
  }
  return dir;
}

/** The journeys the copy runs as high-volume parts: each file with steps, by its id. */
export function highVolumeJourneys(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .flatMap((file) => {
      const parsed: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      return isRecord(parsed) && parsed.workflow === 'high-volume' && typeof parsed.id === 'string'
        ? [parsed.id]
        : [];
    })
    .sort();
}

/** A message as both targets must send it: channel, step, journey, time, and subject (or recipient). */
export type MessageRow = [channel: string, stepId: string, journeyId: string, time: string, about: string];

export function messageRows(messages: readonly OutboxMessage[]): MessageRow[] {
  return messages.map((message) => [
    message.channel,
    message.stepId,
    message.journeyId,
    message.time,
    message.subject ?? message.recipient,
  ]);
}

/**
 * Fields that name one run, event or message: they differ between any two runs of a script, and between
 * the targets in kind too (a message's `executionId` is the execution's ARN on Standard, the run's id,
 * `<journey>/<event id>`, on high-volume; a timeline `step`, the ARN of the part that entered it).
 */
const ID_FIELDS = new Set(['eventId', 'executionId', 'messageId', 'execution', 'entryId']);

export type TimelineRow = Record<string, unknown>;

/**
 * A copy of `value` without ID_FIELDS at any depth (a conversion's touches carry execution ids), and
 * with the engine's address (its port is any free one: unsubscribe links carry it) as `<endpoint>`.
 */
function withoutIds(value: unknown, endpoint: string): unknown {
  if (typeof value === 'string') return value.replaceAll(endpoint, '<endpoint>');
  if (Array.isArray(value)) return value.map((item) => withoutIds(item, endpoint));
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !ID_FIELDS.has(key))
      .map(([key, inner]) => [key, withoutIds(inner, endpoint)]),
  );
}

/**
 * A timeline without its ids, in time order. Within one instant the timeline's own order follows the
 * history's keys, which hold event ids; here the entries of one instant are in the order of their text.
 */
export function timelineRows(timeline: readonly Record<string, unknown>[], endpoint: string): TimelineRow[] {
  return timeline
    .map((entry) => {
      const row = withoutIds(entry, endpoint);
      return isRecord(row) ? row : {};
    })
    .map((row) => ({ row, text: JSON.stringify(row) }))
    .sort(
      (a, b) =>
        Date.parse(String(a.row.time)) - Date.parse(String(b.row.time)) || compareText(a.text, b.text),
    )
    .map(({ row }) => row);
}

function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** Each journey's `end` steps, from a journeys folder. */
export function endStepsOf(dir: string): Map<string, Set<string>> {
  const ends = new Map<string, Set<string>>();
  for (const file of readdirSync(dir)) {
    if (!file.endsWith('.json')) continue;
    const parsed: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    if (!isRecord(parsed) || !isRecord(parsed.steps) || typeof parsed.id !== 'string') continue;
    const steps = Object.entries(parsed.steps).filter(([, step]) => isRecord(step) && step.type === 'end');
    ends.set(parsed.id, new Set(steps.map(([stepId]) => stepId)));
  }
  return ends;
}

const timelineAnswer = z.object({ entries: z.array(z.record(z.string(), z.unknown())) });
const outboxAnswer = z.object({ messages: z.array(z.record(z.string(), z.unknown())) });

/** A customer's timeline from an engine's local API (an engine process, say). */
export async function timelineOver(endpoint: string, customerId: string): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${endpoint}/_local/customers/${encodeURIComponent(customerId)}/timeline`);
  if (!response.ok) throw new Error(`timeline of ${customerId}: ${response.status} ${await response.text()}`);
  return timelineAnswer.parse(await response.json()).entries;
}

/** The outbox from an engine's local API, as its JSON says it. */
export async function outboxOver(
  endpoint: string,
  query: Record<string, string> = {},
): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${endpoint}/_local/outbox?${new URLSearchParams(query).toString()}`);
  if (!response.ok) throw new Error(`outbox: ${response.status} ${await response.text()}`);
  return outboxAnswer.parse(await response.json()).messages;
}

/** How a timeline records the ends of runs, and the rest of it. */
export interface Ends {
  /** The timeline without its `completed` entries and its end steps' `step` entries. */
  rest: TimelineRow[];
  /**
   * Each completed run as `<journeyId> <time>`, however its end was written: a `completed` entry, or
   * `completes` on the message or skip of the journey's last send. In text order.
   */
  completions: string[];
  /** The `completed` entries. */
  completedEntries: TimelineRow[];
  /** The `step` entries of end steps. */
  endSteps: TimelineRow[];
}

export function endsIn(rows: readonly TimelineRow[], ends: ReadonlyMap<string, ReadonlySet<string>>): Ends {
  const split: Ends = { rest: [], completions: [], completedEntries: [], endSteps: [] };
  for (const row of rows) {
    const journeyId = String(row.journeyId);
    if (row.kind === 'journey' && row.action === 'completed') {
      split.completedEntries.push(row);
      split.completions.push(`${journeyId} ${String(row.time)}`);
    } else if (row.kind === 'step' && ends.get(journeyId)?.has(String(row.stepId)) === true) {
      split.endSteps.push(row);
    } else {
      if (row.completes === true) split.completions.push(`${journeyId} ${String(row.time)}`);
      split.rest.push(row);
    }
  }
  split.completions.sort();
  return split;
}
