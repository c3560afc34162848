/** A wall-clock time "HH:MM" (24-hour) in the customer's time zone. */
export const LOCAL_TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;
