/**
 * Durations in journeys and settings use one compact notation: whole numbers
 * followed by a unit, largest unit first, units at most once:
 * `w` weeks, `d` days, `h` hours, `m` minutes, `s` seconds.
 * Examples: `90s`, `30m`, `1h`, `1h30m`, `7d`, `2w`.
 * A day is always 24 hours (calendar days are a cap window, not a duration).
 */
const DURATION_PATTERN = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

const SECONDS_PER_UNIT = [7 * 86_400, 86_400, 3_600, 60, 1] as const;

/** Longest duration a journey can express: Step Functions runs for at most one year. */
export const MAX_DURATION_SECONDS = 365 * 86_400;

export const DURATION_DESCRIPTION =
  'A duration such as "90s", "30m", "1h", "1h30m", "7d" or "2w" (units w, d, h, m, s; largest first).';

export type DurationParse = { ok: true; seconds: number } | { ok: false; message: string; hint?: string };

export function parseDuration(text: string): DurationParse {
  const match = DURATION_PATTERN.exec(text);
  if (text === '' || match === null) {
    const hint = isoHint(text) ?? wordsHint(text);
    return {
      ok: false,
      message: `"${text}" is not a duration. ${DURATION_DESCRIPTION}`,
      ...(hint === undefined ? {} : { hint }),
    };
  }
  let seconds = 0;
  SECONDS_PER_UNIT.forEach((unitSeconds, index) => {
    const amount = match[index + 1];
    if (amount !== undefined) seconds += Number(amount) * unitSeconds;
  });
  if (seconds <= 0) return { ok: false, message: `"${text}" is zero; a duration must be positive.` };
  if (seconds > MAX_DURATION_SECONDS) {
    return {
      ok: false,
      message: `"${text}" is longer than a year, the longest a Step Functions execution runs.`,
    };
  }
  return { ok: true, seconds };
}

/** Seconds of a duration the schema has already accepted. */
export function durationSeconds(text: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.seconds;
}

export function formatDuration(totalSeconds: number): string {
  let rest = Math.round(totalSeconds);
  const units = ['w', 'd', 'h', 'm', 's'] as const;
  let text = '';
  SECONDS_PER_UNIT.forEach((unitSeconds, index) => {
    const amount = Math.floor(rest / unitSeconds);
    if (amount > 0) {
      text += `${amount}${units[index]}`;
      rest -= amount * unitSeconds;
    }
  });
  return text === '' ? '0s' : text;
}

/** ISO-8601 is the most common mistake; point to the equivalent. */
function isoHint(text: string): string | undefined {
  const iso = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(text);
  if (iso === null || text.length < 3) return undefined;
  const parts = ['w', 'd', 'h', 'm', 's'].map((unit, index) => {
    const amount = iso[index + 1];
    return amount === undefined ? '' : `${amount}${unit}`;
  });
  return `write "${parts.join('')}" instead of ISO-8601 "${text}"`;
}

/** "1 week", "2 hours", "30 mins": the words people write first. */
function wordsHint(text: string): string | undefined {
  const words = /^(\d+)\s*(w|weeks?|d|days?|h|hours?|hrs?|m|minutes?|mins?|s|seconds?|secs?)$/i.exec(
    text.trim(),
  );
  const amount = words?.[1];
  const unit = words?.[2]?.[0]?.toLowerCase();
  if (amount === undefined || unit === undefined) return undefined;
  return `write "${amount}${unit}"`;
}
