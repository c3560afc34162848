/**
 * Pinpoint's journey-wide blocks: Limits to caps, re-entry and a send rate;
 * QuietTime, OpenHours, ClosedDays, Schedule and the rest to what Waymark has
 * for them, or to a report line saying what to do instead.
 */
import type { PinpointJourney } from './pinpoint-schema.ts';
import { DAYS } from './pinpoint-schema.ts';
import { isoDuration } from './durations.ts';
import type { Findings } from './report.ts';
import type { JsonObject, JsonValue } from './start-condition.ts';

export interface JourneyRules {
  entry: JsonObject;
  caps: JsonObject[];
  sendRate?: number;
}

const MAX_CAP = 1000;

function cap(id: string, limit: number, window: JsonValue, differences: string[]): JsonObject | undefined {
  if (limit <= 0) {
    differences.push(`${id}: a limit of 0 means no limit in Pinpoint: no cap`);
    return undefined;
  }
  if (limit > MAX_CAP) differences.push(`${id}: ${limit} lowered to Waymark's highest cap, ${MAX_CAP}`);
  return { id, channels: 'any', limit: Math.min(limit, MAX_CAP), window };
}

export function translateLimits(journey: PinpointJourney, findings: Findings): JourneyRules {
  const limits = journey.Limits;
  const rules: JourneyRules = { entry: { reentry: 'always', maxConcurrent: 1 }, caps: [] };
  if (limits === undefined) return rules;
  const differences: string[] = [];
  const became: string[] = [];
  if (limits.DailyCap !== undefined) {
    const rule = cap('pinpoint-daily', limits.DailyCap, { rolling: '24h' }, differences);
    if (rule !== undefined) rules.caps.push(rule);
  }
  const timeframe = limits.TimeframeCap;
  if (timeframe?.Cap !== undefined && timeframe.Days !== undefined && timeframe.Days > 0) {
    const days = Math.min(timeframe.Days, 365);
    if (days !== timeframe.Days)
      differences.push(`TimeframeCap: ${timeframe.Days} days shortened to 365 days`);
    const rule = cap('pinpoint-timeframe', timeframe.Cap, { rolling: `${days}d` }, differences);
    if (rule !== undefined) rules.caps.push(rule);
  } else if (timeframe !== undefined) {
    differences.push('TimeframeCap without both Cap and Days above 0: no cap');
  }
  if (limits.TotalCap !== undefined) {
    const rule = cap('pinpoint-total', limits.TotalCap, { rolling: '365d' }, differences);
    if (rule !== undefined) {
      rules.caps.push(rule);
      differences.push(
        "TotalCap (for the journey's whole life) became a cap over a rolling 365 days, the longest a Waymark journey runs",
      );
    }
  }
  if (rules.caps.length > 0) {
    became.push(`caps ${rules.caps.map((rule) => JSON.stringify(rule.id)).join(', ')}`);
    differences.push(
      'Waymark journey caps count marketing messages only; transactional sends are never capped',
    );
  }
  const interval =
    limits.EndpointReentryInterval === undefined ? undefined : isoDuration(limits.EndpointReentryInterval);
  if (interval !== undefined && !interval.ok) {
    findings.problem(
      '$.Limits.EndpointReentryInterval',
      interval.message,
      'an ISO-8601 duration such as "P7D"',
    );
  }
  const after = interval?.ok === true ? interval.duration : undefined;
  const reentryCap = limits.EndpointReentryCap;
  if (reentryCap === 1) {
    rules.entry = { reentry: 'never', maxConcurrent: 1 };
    if (after !== undefined)
      differences.push('EndpointReentryInterval has no effect with EndpointReentryCap 1');
  } else {
    rules.entry = { reentry: after === undefined ? 'always' : { after }, maxConcurrent: 1 };
    if (reentryCap !== undefined && reentryCap > 1) {
      differences.push(
        `EndpointReentryCap ${reentryCap}: Waymark has no count of re-entries; a customer may enter again ${after === undefined ? 'at any time' : `${after} after entering`}`,
      );
    }
  }
  became.push(`entry.reentry ${JSON.stringify(rules.entry.reentry)}`);
  if (limits.MessagesPerSecond !== undefined && limits.MessagesPerSecond > 0) {
    rules.sendRate = Math.min(limits.MessagesPerSecond, 100_000);
    became.push(`sendRate ${rules.sendRate}`);
    differences.push("sendRate only lowers settings' sendRates; it never raises an account's sending quota");
  }
  findings.line({ source: 'Limits', sourceKind: 'block Limits', became: became.join('; '), differences });
  return rules;
}

const NOT_IMPORTED = 'not imported';

/** Report lines for the blocks that shape sending but have no place in a Waymark journey file. */
export function reportSendingBlocks(journey: PinpointJourney, findings: Findings): void {
  const quiet = journey.QuietTime;
  if (quiet !== undefined) {
    const hours = { start: quiet.Start ?? '00:00', end: quiet.End ?? '00:00' };
    const setting = JSON.stringify({ email: hours, sms: hours, push: hours });
    const differences = [
      `quiet hours are settings-wide in Waymark: put "quietHours": ${setting} in journeys/settings.json`,
      journey.WaitForQuietTime === true
        ? 'WaitForQuietTime: Pinpoint holds the message until quiet time ends; Waymark does the same (the send waits and tries again)'
        : 'Pinpoint drops a message that falls in quiet time (WaitForQuietTime is off); Waymark defers it until quiet hours end',
      'Waymark applies quiet hours to marketing sends only',
    ];
    findings.line({
      source: 'QuietTime',
      sourceKind: 'block QuietTime',
      became: 'settings.json quietHours (not in the journey)',
      differences,
    });
  } else if (journey.WaitForQuietTime !== undefined) {
    findings.line({
      source: 'WaitForQuietTime',
      sourceKind: 'block WaitForQuietTime',
      became: NOT_IMPORTED,
      differences: [
        'no QuietTime in the journey: WaitForQuietTime has nothing to act on; Waymark always defers a send in quiet hours',
      ],
    });
  }
  reportOpenHours(journey, findings);
  const closed = journey.ClosedDays;
  if (closed !== undefined) {
    const rules = Object.entries(closed).flatMap(([channel, days]) =>
      (days ?? []).map((day) =>
        `${channel} ${day.Name ?? ''} ${day.StartDateTime ?? '?'} to ${day.EndDateTime ?? '?'}`.replace(
          /\s+/g,
          ' ',
        ),
      ),
    );
    findings.line({
      source: 'ClosedDays',
      sourceKind: 'block ClosedDays',
      became: NOT_IMPORTED,
      differences: [
        `Waymark has no closed days (${rules.join('; ') || 'none listed'}): set the journey's status to "paused" for those days, or put a branch on the date before each send`,
      ],
    });
  }
  reportSchedule(journey, findings);
  const simple: [string, boolean, string][] = [
    [
      'SendingSchedule',
      journey.SendingSchedule !== undefined,
      'Waymark sends as soon as a step is reached; use a wait "until" a localWindow before a send to hold it to hours',
    ],
    [
      'TimezoneEstimationMethods',
      journey.TimezoneEstimationMethods !== undefined,
      "Waymark uses the profile's timeZone, else settings.timeZone; set timeZone on profiles (the endpoint import does it from Demographic.Timezone)",
    ],
    [
      'JourneyChannelSettings',
      journey.JourneyChannelSettings !== undefined,
      'the Amazon Connect campaign is not imported: call Connect from a webhook or function send',
    ],
    [
      'RefreshOnSegmentUpdate',
      journey.RefreshOnSegmentUpdate !== undefined &&
        journey.StartCondition?.SegmentStartCondition === undefined,
      'only a segment start refreshes; this journey starts on an event',
    ],
  ];
  for (const [source, present, difference] of simple) {
    if (present)
      findings.line({
        source,
        sourceKind: `block ${source}`,
        became: NOT_IMPORTED,
        differences: [difference],
      });
  }
}

const WAYMARK_DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

function reportOpenHours(journey: PinpointJourney, findings: Findings): void {
  const open = journey.OpenHours;
  if (open === undefined) return;
  const differences: string[] = [];
  for (const [channel, days] of Object.entries(open)) {
    if (days === undefined) continue;
    const windows = new Map<string, string[]>();
    DAYS.forEach((day, index) => {
      for (const rule of days[day] ?? []) {
        const key = `${rule.StartTime ?? '00:00'}-${rule.EndTime ?? '23:59'}`;
        windows.set(key, [...(windows.get(key) ?? []), WAYMARK_DAYS[index] ?? 'mon']);
      }
    });
    for (const [hours, dayNames] of windows) {
      const [start, end] = hours.split('-');
      const until = { kind: 'localWindow', start, end, days: dayNames };
      differences.push(
        `${channel}: before each ${channel} send, add a wait with "until": ${JSON.stringify(until)}`,
      );
    }
  }
  differences.push(
    'Pinpoint holds a message outside open hours; Waymark has no journey-wide open hours: only a local-window wait holds a step',
  );
  findings.line({ source: 'OpenHours', sourceKind: 'block OpenHours', became: NOT_IMPORTED, differences });
}

function reportSchedule(journey: PinpointJourney, findings: Findings): void {
  const schedule = journey.Schedule;
  if (schedule === undefined && journey.LocalTime === undefined) return;
  const differences: string[] = [];
  if (schedule?.StartTime !== undefined && journey.StartCondition?.SegmentStartCondition === undefined) {
    differences.push(
      `StartTime ${schedule.StartTime}: an event-triggered Waymark journey starts when deployed with status "active"; deploy it then`,
    );
  }
  if (schedule?.EndTime !== undefined) {
    differences.push(
      `EndTime ${schedule.EndTime}: Waymark journeys have no end date; set "status": "paused" then (customers inside go on)`,
    );
  }
  if (schedule?.Timezone !== undefined) {
    differences.push(
      `Timezone ${schedule.Timezone}: Waymark reads times in settings.timeZone or the customer's zone`,
    );
  }
  if (journey.LocalTime !== undefined) {
    differences.push(
      `LocalTime ${String(journey.LocalTime)}: Waymark's local-window waits and broadcasts already use each customer's zone`,
    );
  }
  findings.line({
    source: 'Schedule',
    sourceKind: 'block Schedule',
    became: 'the trigger and status (see StartCondition)',
    differences,
  });
}
