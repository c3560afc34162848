/**
 * Pinpoint writes durations as ISO-8601 (`PT1H`, `P1D`) and instants as
 * ISO-8601 timestamps; Waymark writes `1h`, `1d`. Months and years have no
 * fixed length: they become 30 and 365 days, and the caller reports it.
 */
import { formatDuration, MAX_DURATION_SECONDS } from '../../time/duration.ts';

const ISO_DURATION =
  /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

export type IsoDuration =
  { ok: true; duration: string; seconds: number; approximate: boolean } | { ok: false; message: string };

export function isoDuration(text: string): IsoDuration {
  const match = ISO_DURATION.exec(text);
  if (match === null || text === 'P' || text.endsWith('T')) {
    return { ok: false, message: `"${text}" is not an ISO-8601 duration such as "PT1H" or "P1D"` };
  }
  const amount = (index: number): number => Number(match[index] ?? 0);
  const seconds =
    amount(1) * 365 * 86_400 +
    amount(2) * 30 * 86_400 +
    amount(3) * 7 * 86_400 +
    amount(4) * 86_400 +
    amount(5) * 3_600 +
    amount(6) * 60 +
    Math.ceil(amount(7));
  if (seconds <= 0) return { ok: false, message: `"${text}" is zero; a wait must be positive` };
  if (seconds > MAX_DURATION_SECONDS) {
    return { ok: false, message: `"${text}" is longer than a year, the longest a Waymark journey runs` };
  }
  const approximate = match[1] !== undefined || match[2] !== undefined || !Number.isInteger(amount(7));
  return { ok: true, duration: formatDuration(seconds), seconds, approximate };
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

export interface Instant {
  /** Milliseconds since the epoch (UTC; a timestamp without an offset is read as UTC). */
  epochMs: number;
  /** The wall-clock date and time as written, "2026-12-10T10:00". */
  wallClock: string;
  hasOffset: boolean;
}

export function isoInstant(text: string): Instant | undefined {
  const match = ISO_INSTANT.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute] = match;
  const epochMs = Date.parse(match[7] === undefined ? `${text}Z` : text);
  if (Number.isNaN(epochMs)) return undefined;
  return {
    epochMs,
    wallClock: `${year}-${month}-${day}T${hour}:${minute}`,
    hasOffset: match[7] !== undefined,
  };
}

/** "2026-12-10T10:00" in UTC. */
export function utcWallClock(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 16);
}
