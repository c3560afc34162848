/**
 * When a broadcast runs. A run is named by the local date and time it is
 * for ("2026-12-10T10:00"): a one-off trigger has one, a cron trigger one per
 * occurrence. In one zone every member is due at the same instant; in the
 * customers' zones each member is due when their own clock shows that time,
 * so a run spans from the first zone on Earth to reach it (UTC+14) to the
 * last (UTC-12).
 */
import { CUSTOMER_ZONE, type AudienceTrigger } from '../journey/schema.ts';
import { type LocalDateTime, localParts, zonedTimeToInstant } from '../time/zone.ts';

/** The zones furthest ahead of and behind UTC: every customer's clock shows a time between these. */
export const FIRST_ZONE = 'Etc/GMT-14';
const LAST_ZONE = 'Etc/GMT+12';

export interface BroadcastRun {
  /** The local date and time of the run, as in the trigger: also its id. */
  runId: string;
  /** "customer", or the IANA zone every member is due in. */
  zone: string;
  /** The first instant any member is due. */
  firstAt: Date;
  /** The last instant any member is due. */
  lastAt: Date;
}

export function parseLocalDateTime(text: string): LocalDateTime {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text);
  if (match === null) throw new Error(`Not a local date and time: ${text}`);
  const [, year, month, day, hour, minute] = match.map(Number);
  return { year: year ?? 0, month: month ?? 0, day: day ?? 0, hour: hour ?? 0, minute: minute ?? 0 };
}

export function formatLocal(local: LocalDateTime): string {
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${String(local.year).padStart(4, '0')}-${two(local.month)}-${two(local.day)}T${two(local.hour)}:${two(local.minute)}`;
}

export function broadcastZone(trigger: AudienceTrigger, settingsZone: string): string {
  return trigger.timeZone ?? settingsZone;
}

export function runFor(runId: string, zone: string): BroadcastRun {
  const local = parseLocalDateTime(runId);
  if (zone === CUSTOMER_ZONE) {
    return {
      runId,
      zone,
      firstAt: zonedTimeToInstant(local, FIRST_ZONE),
      lastAt: zonedTimeToInstant(local, LAST_ZONE),
    };
  }
  const at = zonedTimeToInstant(local, zone);
  return { runId, zone, firstAt: at, lastAt: at };
}

/** When one member of a run is due: at the run's time on their own clock, or in the run's zone. */
export function memberDueAt(
  run: Pick<BroadcastRun, 'runId' | 'zone'>,
  memberZone: string | undefined,
  settingsZone: string,
): Date {
  const zone = run.zone === CUSTOMER_ZONE ? (memberZone ?? settingsZone) : run.zone;
  return zonedTimeToInstant(parseLocalDateTime(run.runId), zone);
}

/** The run a one-off trigger names, whenever it is: for the validator and for catching up after downtime. */
export function namedRun(trigger: AudienceTrigger, settingsZone: string): BroadcastRun | undefined {
  return trigger.at === undefined ? undefined : runFor(trigger.at, broadcastZone(trigger, settingsZone));
}

/** A run as it is named from its id and zone, for a run already recorded. */
/**
 * The run a schedule fired for, from the time it was scheduled: a one-off trigger's own run, or
 * the cron occurrence whose first member was due then.
 */
export function runAt(
  trigger: AudienceTrigger,
  settingsZone: string,
  scheduledTime: Date,
): BroadcastRun | undefined {
  const zone = broadcastZone(trigger, settingsZone);
  if (trigger.at !== undefined) return runFor(trigger.at, zone);
  if (trigger.cron === undefined) return undefined;
  const local = localParts(scheduledTime, zone === CUSTOMER_ZONE ? FIRST_ZONE : zone);
  return runFor(formatLocal(local), zone);
}
