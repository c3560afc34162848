/**
 * A broadcast trigger in EventBridge Scheduler's terms: the schedule
 * expression and the zone it is read in, so that each run fires at its
 * first instant (`runAt` in schedule.ts names the run back from the time it
 * fired). Pure: the CDK app turns the result into a schedule as it is.
 *
 * Scheduler's cron is not Unix cron: six fields (a year at the end), one of
 * day-of-month and day-of-week must be "?", days of the week count 1 (SUN)
 * to 7 (SAT) instead of 0 or 7 (SUN) to 6 (SAT), and day-of-week takes no
 * "/" step. Unix cron is read here as cron-parser reads it (the validator
 * and the local engine use cron-parser).
 */
import { assertNever } from '../journey/graph.ts';
import { type AudienceTrigger, CUSTOMER_ZONE, type Journey } from '../journey/schema.ts';
import { audienceTriggerKind } from '../journey/trigger.ts';
import { FIRST_ZONE } from './schedule.ts';

/**
 * The zone a customer-zone broadcast fires in: the one furthest ahead (UTC+14), whose clock reaches
 * the run's time first. The run then enters each member at that time on their own clock.
 */
export const CUSTOMER_RUN_ZONE = FIRST_ZONE;

export interface SchedulerSchedule {
  /** `at(yyyy-mm-ddThh:mm:ss)` or `cron(minutes hours day-of-month month day-of-week year)`. */
  expression: string;
  /** ScheduleExpressionTimezone: the IANA zone the expression is read in. */
  timeZone: string;
}

export type SchedulerScheduleResult = ({ ok: true } & SchedulerSchedule) | { ok: false; message: string };
export type SchedulerExpressionResult = { ok: true; expression: string } | { ok: false; message: string };

/** The schedule of a broadcast trigger (one-off or recurring); an entry trigger has none. */
export function schedulerSchedule(trigger: AudienceTrigger, settingsZone: string): SchedulerScheduleResult {
  const timeZone = schedulerZone(trigger, settingsZone);
  const kind = audienceTriggerKind(trigger);
  switch (kind) {
    case 'enter':
      return {
        ok: false,
        message: `A segment entry trigger ("on": "enter") starts when a customer enters segment ${trigger.segment}: it has no schedule.`,
      };
    case 'once': {
      const at = schedulerAt(trigger.at ?? '');
      return at.ok ? { ok: true, expression: at.expression, timeZone } : at;
    }
    case 'recurring': {
      const cron = schedulerCron(trigger.cron ?? '');
      return cron.ok ? { ok: true, expression: cron.expression, timeZone } : cron;
    }
    default:
      return assertNever(kind);
  }
}

/**
 * Only an active journey's schedule fires. A paused one keeps its schedule, disabled (a run it fired
 * anyway would skip: the run's plan checks the status too); a draft has none, as it is not deployed.
 */
export function schedulerState(status: Journey['status']): 'ENABLED' | 'DISABLED' {
  switch (status) {
    case 'active':
      return 'ENABLED';
    case 'paused':
    case 'draft':
      return 'DISABLED';
    default:
      return assertNever(status);
  }
}

/** The trigger's zone, the settings' when it names none, and UTC+14 for "customer". */
export function schedulerZone(trigger: AudienceTrigger, settingsZone: string): string {
  const zone = trigger.timeZone ?? settingsZone;
  if (zone === CUSTOMER_ZONE) return CUSTOMER_RUN_ZONE;
  // Intl takes "utc" or "america/new_york"; Scheduler wants the zone's own spelling.
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
}

/** "2026-12-10T10:00" -> "at(2026-12-10T10:00:00)": Scheduler wants the seconds. */
export function schedulerAt(localDateTime: string): SchedulerExpressionResult {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?$/.exec(localDateTime);
  if (match === null)
    return {
      ok: false,
      message: `"${localDateTime}" is not a local date and time such as "2026-12-10T10:00".`,
    };
  return { ok: true, expression: `at(${match[1] ?? ''}${match[2] ?? ':00'})` };
}

// ---- cron ----

interface FieldSpec {
  label: string;
  min: number;
  max: number;
  /** Names in order of value, the first standing for `min` (JAN = 1, SUN = 0). */
  names: readonly string[];
}

const MINUTE: FieldSpec = { label: 'minute', min: 0, max: 59, names: [] };
const HOUR: FieldSpec = { label: 'hour', min: 0, max: 23, names: [] };
const DAY_OF_MONTH: FieldSpec = { label: 'day-of-month', min: 1, max: 31, names: [] };
const MONTH: FieldSpec = {
  label: 'month',
  min: 1,
  max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
};
/** Unix counts 0 to 7, both Sunday. */
const DAY_OF_WEEK: FieldSpec = {
  label: 'day-of-week',
  min: 0,
  max: 7,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
};

/** A Unix day of the week (0 or 7 = SUN ... 6 = SAT) as Scheduler numbers it (1 = SUN ... 7 = SAT). */
export function schedulerDayOfWeek(unixDay: number): number {
  return (unixDay % 7) + 1;
}

class CronFieldError extends Error {}

/** A five-field Unix cron as Scheduler's six-field `cron(...)`, or why Scheduler cannot take it. */
export function schedulerCron(cron: string): SchedulerExpressionResult {
  const fields = cron.trim().split(/\s+/);
  const [minute, hour, dayOfMonth, month, dayOfWeek] = fields;
  if (
    fields.length !== 5 ||
    minute === undefined ||
    hour === undefined ||
    dayOfMonth === undefined ||
    month === undefined ||
    dayOfWeek === undefined
  ) {
    return {
      ok: false,
      message: `A cron has 5 fields (minute hour day-of-month month day-of-week), e.g. "0 10 * * MON"; "${cron}" has ${cron.trim() === '' ? 0 : fields.length}.`,
    };
  }
  const anyDayOfMonth = isUnrestricted(dayOfMonth);
  const anyDayOfWeek = isUnrestricted(dayOfWeek);
  if (!anyDayOfMonth && !anyDayOfWeek) {
    return {
      ok: false,
      message: `"${cron}" restricts both the day of the month (${dayOfMonth}) and the day of the week (${dayOfWeek}); EventBridge Scheduler cannot take both (one of them must be "?"). Keep one of them and set the other to "*".`,
    };
  }
  try {
    const days = anyDayOfWeek
      ? { dayOfMonth: anyDayOfMonth ? '*' : plainField(dayOfMonth, DAY_OF_MONTH), dayOfWeek: '?' }
      : { dayOfMonth: '?', dayOfWeek: dayOfWeekField(dayOfWeek) };
    const fieldsOut = [
      plainField(minute, MINUTE),
      plainField(hour, HOUR),
      days.dayOfMonth,
      plainField(month, MONTH),
      days.dayOfWeek,
      '*',
    ];
    return { ok: true, expression: `cron(${fieldsOut.join(' ')})` };
  } catch (error) {
    if (!(error instanceof CronFieldError)) throw error;
    return { ok: false, message: `"${cron}" cannot be written for EventBridge Scheduler: ${error.message}` };
  }
}

function isUnrestricted(field: string): boolean {
  return field === '*' || field === '?';
}

/** A value by number or name, checked against the field's range. */
function fieldValue(text: string, spec: FieldSpec): number {
  const named = spec.names.indexOf(text.toUpperCase());
  const value = named >= 0 ? spec.min + named : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < spec.min || value > spec.max)
    throw new CronFieldError(`"${text}" is not a valid ${spec.label} (${spec.min}-${spec.max}).`);
  return value;
}

function isName(text: string, spec: FieldSpec): boolean {
  return spec.names.includes(text.toUpperCase());
}

/** `base[/step]` with base "*", "a" or "a-b": the values it stands for, as cron-parser expands it. */
function expand(item: string, spec: FieldSpec): number[] {
  const [base = '', step, extra] = item.split('/');
  if (extra !== undefined) throw new CronFieldError(`"${item}" has more than one "/".`);
  const every = step === undefined ? 1 : Number(step);
  if (step !== undefined && !(/^\d+$/.test(step) && every >= 1))
    throw new CronFieldError(`"${item}" has a step that is not a positive whole number.`);
  let from: number;
  let to: number;
  if (base === '*') {
    from = spec.min;
    to = spec.max;
  } else {
    const [start = '', end, more] = base.split('-');
    if (more !== undefined) throw new CronFieldError(`"${item}" is not a range.`);
    from = fieldValue(start, spec);
    // "a/n" runs from a to the end of the field, as in cron-parser.
    to = end === undefined ? (step === undefined ? from : spec.max) : fieldValue(end, spec);
    if (from > to) throw new CronFieldError(`the range "${base}" runs backwards.`);
  }
  const values: number[] = [];
  for (let value = from; value <= to; value += every) values.push(value);
  return values;
}

/** Minute, hour, day of month, month: Scheduler reads them as Unix does, but for "*" steps and ranged steps. */
function plainField(field: string, spec: FieldSpec): string {
  return field
    .split(',')
    .map((item) => {
      if (spec === DAY_OF_MONTH && item.toUpperCase() === 'L') return 'L';
      const [base = '', step] = item.split('/');
      if (step === undefined) {
        // Checked, then kept as written (names upper-cased).
        expand(item, spec);
        return item.toUpperCase();
      }
      // "*/15" is "0/15" (minutes) or "1/15" (days, months); "a/n" means the same in both.
      if (base === '*') {
        expand(item, spec);
        return `${spec.min}/${step}`;
      }
      if (!base.includes('-')) {
        expand(item, spec);
        return `${fieldValue(base, spec)}/${step}`;
      }
      // A step over a range: written out.
      return expand(item, spec).join(',');
    })
    .join(',');
}

/**
 * Day of the week: names stay as they are; numbers are counted from 1 (SUN); steps, which Scheduler
 * does not take here, and ranges that would run past Saturday are written out as lists.
 */
function dayOfWeekField(field: string): string {
  const kept: string[] = [];
  const days = new Set<number>();
  for (const item of field.split(',')) {
    const nth = /^(\w+)#([1-5])$/.exec(item);
    if (nth !== null) {
      kept.push(`${schedulerDayOfWeek(fieldValue(nth[1] ?? '', DAY_OF_WEEK))}#${nth[2] ?? ''}`);
      continue;
    }
    const last = /^(\w+)L$/i.exec(item);
    if (last !== null) {
      kept.push(`${schedulerDayOfWeek(fieldValue(last[1] ?? '', DAY_OF_WEEK))}L`);
      continue;
    }
    const names = item.split('-');
    if (!item.includes('/') && names.every((name) => isName(name, DAY_OF_WEEK))) {
      expand(item, DAY_OF_WEEK);
      kept.push(item.toUpperCase());
      continue;
    }
    for (const day of expand(item, DAY_OF_WEEK)) days.add(schedulerDayOfWeek(day));
  }
  return [...kept, ...runs([...days].sort((a, b) => a - b))].join(',');
}

/** Sorted values as Scheduler list items: runs of three or more as ranges ([1, 2, 3, 5] -> "1-3", "5"). */
function runs(values: readonly number[]): string[] {
  const items: string[] = [];
  let start = 0;
  while (start < values.length) {
    let end = start;
    while (end + 1 < values.length && (values[end + 1] ?? 0) === (values[end] ?? 0) + 1) end += 1;
    const first = values[start] ?? 0;
    const lastValue = values[end] ?? 0;
    if (end - start >= 2) items.push(`${first}-${lastValue}`);
    else for (let index = start; index <= end; index += 1) items.push(String(values[index] ?? 0));
    start = end + 1;
  }
  return items;
}
