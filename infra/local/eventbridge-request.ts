/**
 * Reading an EventBridge request as the awsJson1_1 protocol types it, and the faults AWS answers when it
 * cannot: the SerializationException of a value of the wrong type, the ValidationException of a broken
 * constraint, in the wording AWS uses. The operations themselves are in eventbridge.ts.
 */
import { isRecord, ownValue } from '../../shared/json.ts';
import { errorMessage } from './errors.ts';

export const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

export type ApiReply = { status: number; body: unknown; headers?: Record<string, string> };

/** A whole-call error; the SDK raises it as an exception named `type`. */
export class ApiFault extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export function serializationFault(message: string): ApiFault {
  return new ApiFault('SerializationException', message);
}

/** AWS's model-validation wording, e.g. "1 validation error detected: Value null at 'entries' failed to ...". */
export function constraintFault(value: string, member: string, constraint: string): ApiFault {
  return new ApiFault(
    'ValidationException',
    `1 validation error detected: Value ${value} at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

export function missingMemberFault(member: string): ApiFault {
  return constraintFault('null', member, 'Member must not be null');
}

export function reply(body: unknown): ApiReply {
  return { status: 200, body, headers: { 'content-type': JSON_CONTENT_TYPE } };
}

export function faultReply(fault: ApiFault): ApiReply {
  return {
    status: fault.status,
    body: { __type: fault.type, message: fault.message },
    headers: { 'content-type': JSON_CONTENT_TYPE, 'x-amzn-errortype': fault.type },
  };
}

export function parseRequest(requestBody: string): Record<string, unknown> {
  // The SDK sends "{}" for an operation without input; an empty body means the same.
  if (requestBody.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(requestBody);
  } catch (error) {
    throw serializationFault(`The request body is not valid JSON: ${errorMessage(error)}`);
  }
  if (!isRecord(parsed)) throw serializationFault('The request body must be a JSON object.');
  return parsed;
}

export function optionalString(
  record: Record<string, unknown>,
  key: string,
  where: string,
): string | undefined {
  const value = ownValue(record, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw serializationFault(`${where}${key} must be a string.`);
  return value;
}

export function optionalInteger(record: Record<string, unknown>, key: string): number | undefined {
  const value = ownValue(record, key);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw serializationFault(`${key} must be an integer.`);
  }
  return value;
}

export function optionalStringList(
  record: Record<string, unknown>,
  key: string,
  where: string,
): string[] | undefined {
  const value = ownValue(record, key);
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw serializationFault(`${where}${key} must be a list of strings.`);
  }
  return value;
}

/**
 * The latest time an entry may carry: the end of year 9999, as far as an ISO 8601 date-time with four year
 * digits reaches (and the envelope's time is written in that form). Before 1970 is refused too: the API's
 * timestamps are epoch seconds, and no event of a customer's happened before.
 */
const LATEST_EVENT_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59);

/**
 * The awsJson timestamp forms: epoch seconds (what the SDK sends for a Date) or an ISO 8601 string. A time that
 * is no time, or one no envelope can be written for (1e15 seconds is past any date), fails the whole call as
 * AWS fails a value it cannot read (SerializationException), never as an engine error.
 */
export function optionalTime(record: Record<string, unknown>, where: string): Date | undefined {
  const value = ownValue(record, 'Time');
  if (value === undefined || value === null) return undefined;
  const millis =
    typeof value === 'number'
      ? value * 1000
      : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value)
        ? Date.parse(value)
        : Number.NaN;
  if (!Number.isFinite(millis)) {
    throw serializationFault(
      `${where}Time must be epoch seconds or an ISO 8601 date-time, not ${describeValue(value)}.`,
    );
  }
  if (millis < 0 || millis > LATEST_EVENT_TIME_MS) {
    throw serializationFault(
      `${where}Time ${describeValue(value)} is out of range: a time from 1970 to the end of year 9999.`,
    );
  }
  return new Date(millis);
}

/** A value as a message quotes it, cut short: the client sent it and may have sent a lot. */
export function describeValue(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
