/** Pinpoint waits as Waymark wait fields, and the context every activity translation shares. */
import type { WaitTime } from './pinpoint-schema.ts';
import { isoDuration, isoInstant } from './durations.ts';
import type { Findings } from './report.ts';
import type { JsonObject } from './start-condition.ts';

export interface ActivityContext {
  findings: Findings;
  knownTemplates: ReadonlySet<string> | undefined;
  /** The step a link to this activity goes to (the end step for undefined). */
  target: (activityId: string | undefined) => string;
  stepIdOf: (activityId: string) => string;
}

export interface TranslatedActivity {
  steps: [string, JsonObject][];
  became: string;
  differences: string[];
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** A Pinpoint wait as the fields of a Waymark wait step, or undefined after a problem. */
export function waitFields(
  wait: WaitTime | undefined,
  path: string,
  context: ActivityContext,
  differences: string[],
): JsonObject | undefined {
  if (wait?.WaitFor !== undefined && wait.WaitUntil === undefined) {
    const parsed = isoDuration(wait.WaitFor);
    if (!parsed.ok) {
      context.findings.problem(
        `${path}.WaitFor`,
        parsed.message,
        'an ISO-8601 duration such as "PT1H" or "P1D", at most a year',
      );
      return undefined;
    }
    if (parsed.approximate)
      differences.push(`${wait.WaitFor}: months count as 30 days, years as 365, seconds are whole`);
    return { duration: parsed.duration };
  }
  if (wait?.WaitUntil !== undefined && wait.WaitFor === undefined) {
    const instant = isoInstant(wait.WaitUntil);
    if (instant === undefined) {
      context.findings.problem(
        `${path}.WaitUntil`,
        `"${wait.WaitUntil}" is not an ISO-8601 timestamp`,
        'a timestamp such as "2026-12-01T09:00:00Z"',
      );
      return undefined;
    }
    const at = new Date(instant.epochMs);
    const start = `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}`;
    const end = `${pad((at.getUTCHours() + 1) % 24)}:${pad(at.getUTCMinutes())}`;
    const day = WEEKDAYS[at.getUTCDay()] ?? 'mon';
    differences.push(
      `Pinpoint waits until the instant ${wait.WaitUntil}; Waymark has no wait until an absolute instant: this waits until the next ${day} ${start}-${end} in the customer's local time. If the date matters, start the journey as a broadcast ("at") or use a duration`,
    );
    return { until: { kind: 'localWindow', start, end, days: [day] } };
  }
  context.findings.problem(
    path,
    'A wait takes exactly one of WaitFor or WaitUntil',
    'WaitTime: { "WaitFor": "PT1H" } or { "WaitUntil": "<ISO-8601 timestamp>" }',
  );
  return undefined;
}

/** A Pinpoint template name as a Waymark template folder name. */
