/**
 * Amazon Pinpoint journeys to Waymark journeys: a pure translation, no I/O,
 * no clock. The input is what `aws pinpoint get-journey` prints, or a bare
 * WriteJourneyRequest / JourneyResponse; the output is a plain journey object
 * in a fixed key order and a report of every difference, or the problems that
 * stopped the translation, each naming its JSON path.
 */
import type * as z from 'zod';
import {
  type Activity,
  EXPECTED_SEPARATOR,
  getJourneyOutputSchema,
  journeyResponseSchema,
  type PinpointJourney,
  writeJourneyRequestSchema,
} from './pinpoint-schema.ts';
import { activityKind, activityLinks, activityWaits, translateActivity } from './activities.ts';
import { reportSendingBlocks, translateLimits } from './limits.ts';
import { Findings, type MigrationLine, pathOf, type PinpointProblem } from './report.ts';
import { type JsonObject, translateTrigger } from './start-condition.ts';
import { findWaitlessLoop } from './graph.ts';

export type { MigrationLine, PinpointProblem } from './report.ts';
export type { JsonObject, JsonValue } from './start-condition.ts';

export interface TranslateOptions {
  /** The file the journey came from, named in the journey's description and the report. */
  sourceName: string;
  /** Template names that exist (Pinpoint's or their Waymark folder names); others are placeholders. */
  knownTemplates?: ReadonlySet<string>;
}

export type TranslateResult =
  { ok: true; journey: JsonObject; report: MigrationLine[] } | { ok: false; problems: PinpointProblem[] };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function issueProblems(issues: readonly z.core.$ZodIssue[], root: string): PinpointProblem[] {
  return issues.map((issue) => {
    const path = pathOf(
      issue.path.filter((part) => typeof part !== 'symbol'),
      root,
    );
    const [message = issue.message, expected] = issue.message.split(EXPECTED_SEPARATOR);
    if (expected !== undefined) return { path, message, expected };
    switch (issue.code) {
      case 'invalid_type':
        return { path, message, expected: `a ${issue.expected}` };
      case 'invalid_value':
        return {
          path,
          message,
          expected: `one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`,
        };
      default:
        return {
          path,
          message,
          expected: "what Pinpoint's API reference for /apps/{application-id}/journeys/{journey-id} allows",
        };
    }
  });
}

/** Unwraps `{ "JourneyResponse": ... }` and parses the journey with Pinpoint's own shape. */
function parsePinpoint(
  input: unknown,
): { journey: PinpointJourney; root: string } | { problems: PinpointProblem[] } {
  if (!isRecord(input)) {
    const kind =
      typeof input === 'string'
        ? `a string of ${input.length} characters`
        : Array.isArray(input)
          ? 'an array'
          : String(input === null ? 'null' : typeof input);
    return {
      problems: [
        {
          path: '$',
          message: `Expected a Pinpoint journey (a JSON object), found ${kind}`,
          expected:
            'the output of `aws pinpoint get-journey` ({ "JourneyResponse": {...} }) or a WriteJourneyRequest object',
        },
      ],
    };
  }
  let root = '$';
  let body: unknown = input;
  if ('JourneyResponse' in input) {
    const wrapper = getJourneyOutputSchema.safeParse(input);
    if (!wrapper.success) return { problems: issueProblems(wrapper.error.issues, root) };
    root = '$.JourneyResponse';
    body = wrapper.data.JourneyResponse;
    if (!isRecord(body)) {
      return {
        problems: [
          { path: root, message: 'JourneyResponse is not an object', expected: 'a JourneyResponse object' },
        ],
      };
    }
  }
  const isResponse = isRecord(body) && ('Id' in body || 'ApplicationId' in body || root !== '$');
  const parsed = (isResponse ? journeyResponseSchema : writeJourneyRequestSchema).safeParse(body);
  if (!parsed.success) return { problems: issueProblems(parsed.error.issues, root) };
  return { journey: parsed.data, root };
}

function slug(text: string): string {
  const value = text
    .toLowerCase()
    .replace(/\.json$/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '');
  return value.slice(0, 48).replace(/-+$/, '');
}

/** Waymark step ids for Pinpoint activity ids: the id itself when it can be one; stable and unique. */
function stepIds(activityIds: readonly string[]): Map<string, string> {
  const ids = new Map<string, string>();
  const taken = new Set<string>(['end']);
  for (const activityId of [...activityIds].sort()) {
    let base = /^[A-Za-z]/.test(activityId) ? activityId : `a${activityId}`;
    if (base.length > 32) base = base.slice(0, 32);
    let id = base;
    for (let suffix = 2; taken.has(id.toLowerCase()); suffix += 1) id = `${base}-${suffix}`;
    taken.add(id.toLowerCase());
    ids.set(activityId, id);
  }
  return ids;
}

const STATUS: Readonly<Record<NonNullable<PinpointJourney['State']>, string>> = {
  DRAFT: 'draft',
  ACTIVE: 'active',
  PAUSED: 'paused',
  COMPLETED: 'paused',
  CANCELLED: 'paused',
  CLOSED: 'paused',
};

/** Dangling links, a missing start and loops with no wait: problems before anything is built. */
function checkGraph(
  journey: PinpointJourney,
  root: string,
  activities: Record<string, Activity>,
  findings: Findings,
): void {
  const start = journey.StartActivity;
  if (start === undefined) {
    findings.problem(
      `${root}.StartActivity`,
      'No StartActivity: Waymark needs the first step',
      'StartActivity: the id of an activity in Activities',
    );
  } else if (!(start in activities)) {
    findings.problem(
      `${root}.StartActivity`,
      `StartActivity names "${start}", which is not in Activities`,
      `one of ${Object.keys(activities).sort().join(', ') || '(no activities)'}`,
    );
  }
  for (const [id, activity] of Object.entries(activities)) {
    for (const link of activityLinks(activity)) {
      if (link.target !== undefined && !(link.target in activities)) {
        findings.problem(
          `${pathOf(['Activities', id], root)}.${link.at}`,
          `"${link.target}" is not an activity of this journey`,
          `one of ${Object.keys(activities).sort().join(', ')}, or no NextActivity to end the path`,
        );
      }
    }
  }
  const loop = findWaitlessLoop(
    activities,
    (activity) => activityLinks(activity).flatMap((link) => (link.target === undefined ? [] : [link.target])),
    activityWaits,
  );
  if (loop !== undefined) {
    findings.problem(
      pathOf(['Activities', loop[0] ?? ''], root),
      `A loop with no wait: ${loop.join(' -> ')} -> ${loop[0] ?? ''}`,
      'a Wait activity (or a split with EvaluationWaitTime) on every loop',
    );
  }
}

export function translatePinpointJourney(input: unknown, options: TranslateOptions): TranslateResult {
  const parsed = parsePinpoint(input);
  if ('problems' in parsed) return { ok: false, problems: parsed.problems };
  const { journey: pinpoint, root } = parsed;
  const findings = new Findings();
  const activities: Record<string, Activity> = pinpoint.Activities ?? {};
  checkGraph(pinpoint, root, activities, findings);
  if (findings.problems.length > 0) return { ok: false, problems: findings.problems };

  const ids = stepIds(Object.keys(activities));
  let endUsed = false;
  const resolve = (activityId: string | undefined, seen: ReadonlySet<string> = new Set()): string => {
    const activity = activityId === undefined ? undefined : activities[activityId];
    if (activityId === undefined || activity === undefined || seen.has(activityId)) {
      endUsed = true;
      return 'end';
    }
    if (activity.ContactCenter !== undefined && activityKind(activity) === 'ContactCenter') {
      return resolve(activity.ContactCenter.NextActivity, new Set([...seen, activityId]));
    }
    return ids.get(activityId) ?? 'end';
  };

  const name = pinpoint.Name.slice(0, 128);
  const state = pinpoint.State ?? 'DRAFT';
  const status = STATUS[state];
  findings.line({
    source: 'Journey',
    sourceKind: 'block Name, State',
    became: `journey "${name}", status "${status}"`,
    differences: [
      ...(['COMPLETED', 'CANCELLED', 'CLOSED'].includes(state)
        ? [`State ${state}: imported as "paused" (no new customers)`]
        : []),
      'version 1; exitOn goals are new in Waymark: add the conversion event (e.g. "order.placed") under "exitOn"',
    ],
  });
  const trigger = translateTrigger(pinpoint, findings);
  const rules = translateLimits(pinpoint, findings);
  reportSendingBlocks(pinpoint, findings);

  // Activities reachable from the start, in the order their links are written.
  const order: string[] = [];
  const queue = [pinpoint.StartActivity ?? ''];
  while (queue.length > 0) {
    const id = queue.shift() ?? '';
    const activity = activities[id];
    if (activity === undefined || order.includes(id)) continue;
    order.push(id);
    for (const link of activityLinks(activity)) if (link.target !== undefined) queue.push(link.target);
  }
  const steps: [string, JsonObject][] = [];
  const context = {
    findings,
    knownTemplates: options.knownTemplates,
    target: (id: string | undefined) => resolve(id),
    stepIdOf: (id: string) => resolve(id),
  };
  for (const id of order) {
    const activity = activities[id];
    if (activity === undefined) continue;
    const translated = translateActivity(id, activity, pathOf(['Activities', id], root), context);
    if (translated === undefined) continue;
    steps.push(...translated.steps);
    findings.line({
      source: id,
      sourceKind: `activity ${activityKind(activity) ?? '?'}`,
      became: translated.became,
      differences: translated.differences,
    });
  }
  for (const id of Object.keys(activities).sort()) {
    const activity = activities[id];
    if (activity === undefined || order.includes(id)) continue;
    findings.line({
      source: id,
      sourceKind: `activity ${activityKind(activity) ?? '?'}`,
      became: 'not imported',
      differences: ['not reachable from StartActivity'],
    });
  }
  const start = resolve(pinpoint.StartActivity);
  if (endUsed) {
    steps.push(['end', { type: 'end' }]);
    findings.line({
      source: '(missing NextActivity)',
      sourceKind: 'path end',
      became: 'step "end"',
      differences: ['a path with no NextActivity ends at the step "end"'],
    });
  }
  if (findings.problems.length > 0 || trigger === undefined)
    return { ok: false, problems: findings.problems };

  const id = slug(pinpoint.Name) || slug(options.sourceName) || 'pinpoint-journey';
  const journey: JsonObject = {
    $schema: './journey.schema.json',
    id,
    name,
    description:
      `Imported from the Pinpoint journey "${name}"${pinpoint.Id === undefined ? '' : ` (${pinpoint.Id})`} in ${options.sourceName}.`.slice(
        0,
        2000,
      ),
    version: 1,
    status,
    trigger,
    entry: rules.entry,
    ...(rules.caps.length === 0 ? {} : { caps: rules.caps }),
    ...(rules.sendRate === undefined ? {} : { sendRate: rules.sendRate }),
    start,
    steps: Object.fromEntries(steps),
  };
  return { ok: true, journey, report: findings.lines };
}
