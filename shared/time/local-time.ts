/** A wall-clock time "HH:MM" (24-hour) in the customer's time zone. */
export const LOCAL_TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;

export function minutesOfDay(localTime: string): number {
  const match = LOCAL_TIME_PATTERN.exec(localTime);
  if (match === null) throw new Error(`"${localTime}" is not a time of day (HH:MM)`);
  return Number(match[1]) * 60 + Number(match[2]);
}
