/**
 * The EventBridge API of the local engine: PutEvents, TestEventPattern and ListRules over one in-process bus, in
 * the awsJson1_1 shapes the SDK v3 EventBridgeClient sends and parses. Independent of HTTP: the edge hands over the
 * operation (the `X-Amz-Target` after `AWSEvents.`) and the raw body, and writes back the reply.
 *
 * Errors reproduce what AWS answers, as recorded against the real service in LocalStack's validated snapshots
 * (tests/aws/services/events/test_events.snapshot.json) and documented in the EventBridge API reference
 * (PutEventsRequestEntry, PutEventsResultEntry, TestEventPattern) and user guide ("Calculating PutEvents event
 * entry size"). Where the local engine deliberately differs from AWS, the function says so.
 */
import { compilePattern, type EventPattern, matchesCompiled } from '../../shared/events/pattern.ts';
import type { EventEnvelope } from '../../shared/events/catalog.ts';
import { isRecord, ownValue } from '../../shared/json.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './constants.ts';
import { localEnvelope } from './envelope.ts';
import { errorMessage, publicMessage } from './errors.ts';
import { parseJsonText } from './json-file.ts';
import {
  ApiFault,
  type ApiReply,
  constraintFault,
  faultReply,
  missingMemberFault,
  optionalInteger,
  optionalString,
  optionalStringList,
  optionalTime,
  parseRequest,
  reply,
  serializationFault,
} from './eventbridge-request.ts';
import { unsafeKey } from '../../shared/events/storable.ts';
import { jsonNestingDepth, MAX_NESTING_DEPTH } from './json-guard.ts';

export interface BusRule {
  name: string;
  description: string;
  eventPattern: EventPattern;
  state: 'ENABLED' | 'DISABLED';
}

export interface LocalBus {
  /** The engine's bus, e.g. 'waymark'; 'default' is accepted too. */
  name: string;
  rules(): readonly BusRule[];
  /** The engine's virtual clock: the envelope's time when the entry gives none. */
  now(): Date;
  newEventId(): string;
  /** Hands an accepted event to the engine; PutEvents answers once every entry has been handed over. */
  publish(event: EventEnvelope): void | Promise<void>;
  /** How an envelope writes its time: as EventBridge does, to the second, unless the bus says otherwise. */
  formatTime?: (time: Date) => string;
}

export type { ApiReply } from './eventbridge-request.ts';

/** PutEvents takes 1 to 10 entries (API reference, PutEvents Entries). */
export const MAX_ENTRIES_PER_CALL = 10;
/** The sum of the entry sizes must stay within 256 KB ("Calculating PutEvents event entry size"). */
export const MAX_ENTRIES_BYTES = 256 * 1024;
/** The size the documented calculation counts for a Time field, whatever its value. */
const TIME_FIELD_BYTES = 14;
/** TestEventPattern's EventPattern: maximum length 4096 (API reference). */
const MAX_EVENT_PATTERN_LENGTH = 4096;
/** ListRules' Limit: 1 to 100 (API reference, LimitMax100). */
const MAX_LIST_LIMIT = 100;
/** Fields TestEventPattern requires in its Event; AWS does not enforce `resources` despite the documentation. */
const REQUIRED_TEST_EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'detail-type'] as const;
const TARGET_PREFIX = 'AWSEvents.';

/** EventBridge writes times to the second: 2025-03-11T22:40:00Z. */
function eventTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ---- the bus ----------------------------------------------------------------------------------------------------

const BUS_ARN = /^arn:aws[a-z-]*:events:[a-z0-9-]*:\d{12}:event-bus\/(.+)$/;

/** Whether an EventBusName (name or ARN; absent means the default bus) names the local bus. */
function resolvesToLocalBus(nameOrArn: string | undefined, bus: LocalBus): boolean {
  if (nameOrArn === undefined) return true;
  const name = BUS_ARN.exec(nameOrArn)?.[1] ?? nameOrArn;
  return name === bus.name || name === 'default';
}

function unknownBusMessage(nameOrArn: string): string {
  const name = BUS_ARN.exec(nameOrArn)?.[1] ?? nameOrArn;
  return `Event bus ${name} does not exist.`;
}

// ---- PutEvents --------------------------------------------------------------------------------------------------

export interface RequestEntry {
  source: string | undefined;
  detailType: string | undefined;
  detail: string | undefined;
  time: Date | undefined;
  resources: string[] | undefined;
  eventBusName: string | undefined;
}

export type ResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: ResultEntry[];
}

/** One entry of a PutEvents call as the API types it; a field of the wrong type fails the whole call, as on AWS. */
export function readEntry(value: unknown, index: number): RequestEntry {
  const where = `Entries[${index}].`;
  if (!isRecord(value)) throw serializationFault(`Entries[${index}] must be an object.`);
  return {
    source: optionalString(value, 'Source', where),
    detailType: optionalString(value, 'DetailType', where),
    detail: optionalString(value, 'Detail', where),
    time: optionalTime(value, where),
    resources: optionalStringList(value, 'Resources', where),
    eventBusName: optionalString(value, 'EventBusName', where),
  };
}

function readEntries(request: Record<string, unknown>): RequestEntry[] {
  const value = ownValue(request, 'Entries');
  if (value === undefined || value === null) throw missingMemberFault('entries');
  if (!Array.isArray(value)) throw serializationFault('Entries must be a list.');
  const entries = value.map((entry, index) => readEntry(entry, index));
  if (entries.length === 0) {
    throw constraintFault("'[]'", 'entries', 'Member must have length greater than or equal to 1');
  }
  if (entries.length > MAX_ENTRIES_PER_CALL) {
    throw constraintFault(
      `'[${entries.map(describeEntry).join(', ')}]'`,
      'entries',
      `Member must have length less than or equal to ${MAX_ENTRIES_PER_CALL}`,
    );
  }
  return entries;
}

/** How AWS prints an entry inside a validation message (the Java model's toString). */
function describeEntry(entry: RequestEntry): string {
  const shown = (value: string | undefined) => value ?? 'null';
  return (
    `PutEventsRequestEntry(time=${entry.time === undefined ? 'null' : eventTime(entry.time)}, ` +
    `source=${shown(entry.source)}, resources=${entry.resources === undefined ? 'null' : `[${entry.resources.join(', ')}]`}, ` +
    `detailType=${shown(entry.detailType)}, detail=${shown(entry.detail)}, eventBusName=${shown(entry.eventBusName)}, ` +
    'traceHeader=null, kmsKeyIdentifier=null, internalMetadata=null)'
  );
}

/** The documented calculation: Time counts 14 bytes, the strings their UTF-8 length. */
function entryBytes(entry: RequestEntry): number {
  const utf8 = (text: string | undefined) => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));
  const resources = (entry.resources ?? []).reduce((sum, resource) => sum + utf8(resource), 0);
  return (
    (entry.time === undefined ? 0 : TIME_FIELD_BYTES) +
    utf8(entry.source) +
    utf8(entry.detailType) +
    utf8(entry.detail) +
    resources
  );
}

function checkTotalSize(entries: readonly RequestEntry[]): void {
  const total = entries.reduce((sum, entry) => sum + entryBytes(entry), 0);
  // AWS fails the whole call, even for a single oversized entry (LocalStack snapshot test_put_event_with_too_big_detail).
  if (total > MAX_ENTRIES_BYTES) {
    throw new ApiFault('ValidationException', 'Total size of the entries in the request is over the limit.');
  }
}

function requiredArgument(name: 'Source' | 'DetailType' | 'Detail'): ResultEntry {
  return {
    ErrorCode: 'InvalidArgument',
    ErrorMessage: `Parameter ${name} is not valid. Reason: ${name} is a required argument.`,
  };
}

type EntryCheck = { ok: true; envelope: EventEnvelope } | { ok: false; failure: ResultEntry };

/** The checks AWS makes of each entry on its own; an entry that fails them is answered, not published. */
function checkEntry(entry: RequestEntry, bus: LocalBus): EntryCheck {
  // Empty strings count as missing, as AWS treats them (snapshot test_put_event_without_detail_type).
  if (entry.source === undefined || entry.source === '')
    return { ok: false, failure: requiredArgument('Source') };
  if (entry.detailType === undefined || entry.detailType === '') {
    return { ok: false, failure: requiredArgument('DetailType') };
  }
  if (entry.detail === undefined || entry.detail === '')
    return { ok: false, failure: requiredArgument('Detail') };
  if (isReservedSource(entry.source)) {
    return {
      ok: false,
      failure: {
        ErrorCode: 'NotAuthorizedForSourceException',
        ErrorMessage: `Not authorized for the source ${entry.source}: sources starting with "aws." are reserved for AWS services.`,
      },
    };
  }
  const detail = parseDetail(entry.detail);
  if (typeof detail === 'string') {
    return { ok: false, failure: { ErrorCode: 'MalformedDetail', ErrorMessage: detail } };
  }
  // AWS accepts and silently drops events for a bus that does not exist (aws/aws-cli#9186); locally a typo in a bus
  // name would then look like a journey that never starts, so the entry fails instead.
  if (!resolvesToLocalBus(entry.eventBusName, bus)) {
    return {
      ok: false,
      failure: {
        ErrorCode: 'ResourceNotFoundException',
        ErrorMessage: unknownBusMessage(entry.eventBusName ?? ''),
      },
    };
  }
  const formatTime = bus.formatTime ?? eventTime;
  return {
    ok: true,
    envelope: localEnvelope({
      id: bus.newEventId(),
      source: entry.source,
      detailType: entry.detailType,
      detail,
      time: formatTime(entry.time ?? bus.now()),
      resources: entry.resources,
    }),
  };
}

/**
 * AWS services publish under `aws.<service>` and EventBridge refuses that prefix to everyone else (PutEvents
 * answers NotAuthorizedForSourceException): otherwise any producer could fake an SES bounce and suppress a
 * customer's address. The engine hands its own events to the bus directly, not through PutEvents.
 */
function isReservedSource(source: string): boolean {
  return source.startsWith('aws.');
}

/**
 * The detail as an object, or why it cannot be one. Only a JSON object is a detail: "[]", '"text"' and "42"
 * are malformed too (snapshot test_put_event_malformed_detail). A detail nested deeper than MAX_NESTING_DEPTH
 * or with a key a plain object cannot safely carry is refused here rather than lost while routing.
 */
function parseDetail(text: string): Record<string, unknown> | string {
  if (jsonNestingDepth(text, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) {
    return `Detail is malformed: it nests deeper than ${MAX_NESTING_DEPTH} levels, the local engine's limit.`;
  }
  const parsed = parseJsonText(text);
  if (!isRecord(parsed)) return 'Detail is malformed.';
  const unsafe = unsafeKey(parsed, 'detail');
  if (unsafe !== undefined) {
    return `Detail is malformed: the key "${unsafe.key}" at ${unsafe.at} cannot be kept in a JavaScript object or stored in DynamoDB; rename it.`;
  }
  return parsed;
}

async function handOver(envelope: EventEnvelope, bus: LocalBus): Promise<ResultEntry> {
  try {
    await bus.publish(envelope);
    return { EventId: envelope.id };
  } catch (error) {
    // InternalFailure is the retryable per-entry code AWS documents for its own failures.
    return {
      ErrorCode: 'InternalFailure',
      ErrorMessage: `The local engine could not take the event: ${publicMessage(error)}`,
    };
  }
}

/**
 * PutEvents' work once the call as a whole is accepted: each entry checked on its own, the valid ones handed
 * to the bus, the others answered with AWS's error code. The engine's PutEvents task goes through here too.
 */
export async function putEntries(entries: readonly RequestEntry[], bus: LocalBus): Promise<PutEventsResult> {
  // All handed over in the same turn, in entry order: the engine sees events in the order the caller listed
  // them, and stores the entries of one call with one write to its journal.
  const results = await Promise.all(
    entries.map((entry) => {
      const check = checkEntry(entry, bus);
      return check.ok ? handOver(check.envelope, bus) : Promise.resolve(check.failure);
    }),
  );
  const failed = results.filter((result) => 'ErrorCode' in result).length;
  return { FailedEntryCount: failed, Entries: results };
}

async function putEvents(request: Record<string, unknown>, bus: LocalBus): Promise<ApiReply> {
  const entries = readEntries(request);
  checkTotalSize(entries);
  return reply(await putEntries(entries, bus));
}

// ---- TestEventPattern -------------------------------------------------------------------------------------------

function requiredString(request: Record<string, unknown>, key: string, member: string): string {
  const value = optionalString(request, key, '');
  if (value === undefined) throw missingMemberFault(member);
  return value;
}

function invalidPattern(reason: string): ApiFault {
  return new ApiFault('InvalidEventPatternException', `Event pattern is not valid. Reason: ${reason}`);
}

function invalidEvent(): ApiFault {
  return new ApiFault('ValidationException', 'Parameter Event is not valid.');
}

function readTestEvent(text: string): Record<string, unknown> {
  const parsed = parseJsonText(text);
  if (!isRecord(parsed)) throw invalidEvent();
  const event = parsed;
  if (!REQUIRED_TEST_EVENT_FIELDS.every((field) => Object.hasOwn(event, field))) throw invalidEvent();
  return event;
}

function testEventPattern(request: Record<string, unknown>): ApiReply {
  const patternText = requiredString(request, 'EventPattern', 'eventPattern');
  const eventText = requiredString(request, 'Event', 'event');
  if (patternText.length > MAX_EVENT_PATTERN_LENGTH) {
    throw constraintFault(
      `'${patternText}'`,
      'eventPattern',
      `Member must have length less than or equal to ${MAX_EVENT_PATTERN_LENGTH}`,
    );
  }
  let pattern: unknown;
  try {
    pattern = JSON.parse(patternText);
  } catch (error) {
    throw invalidPattern(errorMessage(error));
  }
  const compiled = compilePattern(pattern);
  if (!compiled.ok) throw invalidPattern(compiled.problems.map((problem) => problem.message).join(' '));
  const event = readTestEvent(eventText);
  return reply({ Result: matchesCompiled(compiled.pattern, event) });
}

// ---- ListRules --------------------------------------------------------------------------------------------------

/** The next page starts after this rule name; names are unique on a bus and the listing is sorted by name. */
function encodeNextToken(lastName: string): string {
  return Buffer.from(JSON.stringify({ after: lastName }), 'utf8').toString('base64url');
}

function decodeNextToken(token: string): string {
  // Text that is not JSON gets the same answer as a well-formed token that is not ours.
  const parsed = parseJsonText(Buffer.from(token, 'base64url').toString('utf8'));
  const after = isRecord(parsed) ? ownValue(parsed, 'after') : undefined;
  if (typeof after === 'string') return after;
  throw new ApiFault('ValidationException', 'The NextToken is not valid.');
}

function readLimit(request: Record<string, unknown>): number {
  const limit = optionalInteger(request, 'Limit');
  if (limit === undefined) return MAX_LIST_LIMIT;
  if (limit < 1)
    throw constraintFault(`'${limit}'`, 'limit', 'Member must have value greater than or equal to 1');
  if (limit > MAX_LIST_LIMIT) {
    throw constraintFault(
      `'${limit}'`,
      'limit',
      `Member must have value less than or equal to ${MAX_LIST_LIMIT}`,
    );
  }
  return limit;
}

function ruleArn(rule: BusRule, bus: LocalBus): string {
  // Rules on the default bus have no bus segment in their ARN; rules on a custom bus do.
  const path = bus.name === 'default' ? rule.name : `${bus.name}/${rule.name}`;
  return `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${path}`;
}

function describeRule(rule: BusRule, bus: LocalBus): Record<string, string> {
  return {
    Name: rule.name,
    Arn: ruleArn(rule, bus),
    EventPattern: JSON.stringify(rule.eventPattern),
    State: rule.state,
    ...(rule.description === '' ? {} : { Description: rule.description }),
    EventBusName: bus.name,
  };
}

function listRules(request: Record<string, unknown>, bus: LocalBus): ApiReply {
  const busName = optionalString(request, 'EventBusName', '');
  if (!resolvesToLocalBus(busName, bus)) {
    throw new ApiFault('ResourceNotFoundException', unknownBusMessage(busName ?? ''));
  }
  const prefix = optionalString(request, 'NamePrefix', '') ?? '';
  const limit = readLimit(request);
  const token = optionalString(request, 'NextToken', '');
  const after = token === undefined ? undefined : decodeNextToken(token);
  const matching = bus
    .rules()
    .filter((rule) => rule.name.startsWith(prefix) && (after === undefined || rule.name > after))
    .sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
  const page = matching.slice(0, limit);
  const last = page.at(-1);
  return reply({
    Rules: page.map((rule) => describeRule(rule, bus)),
    ...(matching.length > page.length && last !== undefined ? { NextToken: encodeNextToken(last.name) } : {}),
  });
}

// ---- dispatch ---------------------------------------------------------------------------------------------------

const SUPPORTED_OPERATIONS = ['PutEvents', 'TestEventPattern', 'ListRules'] as const;

async function dispatch(operation: string, requestBody: string, bus: LocalBus): Promise<ApiReply> {
  const name = operation.startsWith(TARGET_PREFIX) ? operation.slice(TARGET_PREFIX.length) : operation;
  switch (name) {
    case 'PutEvents':
      return putEvents(parseRequest(requestBody), bus);
    case 'TestEventPattern':
      return testEventPattern(parseRequest(requestBody));
    case 'ListRules':
      return listRules(parseRequest(requestBody), bus);
    default:
      throw new ApiFault(
        'UnknownOperationException',
        `The local engine does not implement EventBridge operation ${name === '' ? '(none)' : name}; it implements ${SUPPORTED_OPERATIONS.join(', ')}.`,
      );
  }
}

/**
 * Answers one EventBridge call for the local bus. `operation` is the X-Amz-Target after `AWSEvents.` (the whole
 * target is accepted too). Never rejects: bad input becomes the AWS error reply, a bug an InternalException.
 */
export async function handleEventBridge(
  operation: string,
  requestBody: string,
  bus: LocalBus,
): Promise<ApiReply> {
  try {
    return await dispatch(operation, requestBody, bus);
  } catch (error) {
    if (error instanceof ApiFault) return faultReply(error);
    return faultReply(
      new ApiFault('InternalException', `The local EventBridge failed: ${publicMessage(error)}`, 500),
    );
  }
}

/**
 * A journey's PutEvents task: each entry checked and answered as PutEvents would; a failed entry is
 * reported, never published.
 */
export async function putTaskEntries(parameters: Record<string, unknown>, bus: LocalBus) {
  const values: unknown[] = Array.isArray(parameters.Entries) ? parameters.Entries : [];
  const entries = values.map((value, index) =>
    // Step Functions sends a Detail object to PutEvents as its JSON text.
    readEntry(
      isRecord(value) && isRecord(value.Detail) ? { ...value, Detail: JSON.stringify(value.Detail) } : value,
      index,
    ),
  );
  return putEntries(entries, bus);
}
