/**
 * `waymark put-event`: sends events to the bus the way a producer would, with the real EventBridge client, so a
 * journey can be tried against the local engine (or a deployed bus) without writing a producer first.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type PutEventsRequestEntry, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import * as z from 'zod';
import { createAwsClients } from '../../shared/aws/clients.ts';
import { isRecord, ownValue } from '../../shared/json.ts';
import { type EventCatalog, withCustomerId } from '../../shared/events/catalog.ts';
import { loadDeployedEventCatalog } from '../../shared/project/events.ts';
import { DEFAULT_LOCAL_ENDPOINT, LOCAL_BUS, LOCAL_REGION } from '../local/constants.ts';
import { errorMessage } from '../local/errors.ts';
import type { Output } from './output.ts';
import { credentialsFor, isConnectionRefused } from './endpoint.ts';

/** PutEvents takes at most 10 entries per call. */
const BATCH_SIZE = 10;

export const PUT_EVENT_USAGE = `usage: waymark put-event --file <events.json> [options]
       waymark put-event --type <detail-type> --source <source> [--detail '<json object>'] [--customer <id>] [options]
  --file      one PutEvents entry {Source, DetailType, Detail}, an event {source, detail-type, detail}
              (as in test/events/), or a JSON array of either
  --customer  sets the customer id where each event's file in <journeys>/events/ keeps it
              (detail.customerId by default; with --file: on every event)
  --journeys  the journeys folder whose event files say where (default journeys)
  --endpoint  default $AWS_ENDPOINT_URL_EVENTBRIDGE, $AWS_ENDPOINT_URL or ${DEFAULT_LOCAL_ENDPOINT} (the local engine)
  --region    default $AWS_REGION or ${LOCAL_REGION}
  --bus       default ${LOCAL_BUS}, for entries that name no EventBusName`;

/** A command line that cannot be sent; answered with exit code 2 and the usage. */
class UsageError extends Error {}

interface PutEventRequest {
  entries: PutEventsRequestEntry[];
  endpoint: string;
  region: string;
}

type EntryOutcome = { accepted: true; eventId: string } | { accepted: false; reason: string };

/** Never rejects: exit code 0 when every event was accepted, 1 when any was not, 2 for a wrong command line. */
export async function putEventCommand(args: readonly string[], io: Output): Promise<number> {
  let request: PutEventRequest | 'help';
  try {
    request = parseRequest(args);
  } catch (error) {
    io.err(`waymark put-event: ${errorMessage(error)}\n${PUT_EVENT_USAGE}\n`);
    return 2;
  }
  if (request === 'help') {
    io.out(`${PUT_EVENT_USAGE}\n`);
    return 0;
  }
  return send(request, io);
}

// ---- the command line -------------------------------------------------------------------------------------------

function parseRequest(args: readonly string[]): PutEventRequest | 'help' {
  const { values } = parseArgs({
    args: [...args],
    allowPositionals: false,
    options: {
      file: { type: 'string' },
      type: { type: 'string' },
      source: { type: 'string' },
      detail: { type: 'string' },
      customer: { type: 'string' },
      journeys: { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      bus: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  const flagsGiven = [values.type, values.source, values.detail].some((value) => value !== undefined);
  if (values.file !== undefined && flagsGiven) {
    throw new UsageError('give either --file or --type/--source/--detail, not both');
  }
  const entries =
    values.file === undefined
      ? [entryFromFlags(values.type, values.source, values.detail)]
      : entriesFromFile(values.file);
  const customer = nonEmpty(values.customer, '--customer');
  const catalog = eventCatalogOf(nonEmpty(values.journeys, '--journeys') ?? 'journeys');
  const bus = nonEmpty(values.bus, '--bus') ?? LOCAL_BUS;
  return {
    entries: entries.map((entry) => ({
      ...entry,
      ...(customer === undefined
        ? {}
        : { Detail: withCustomer(catalog, entry.DetailType ?? '', entry.Detail, customer) }),
      EventBusName: entry.EventBusName ?? bus,
    })),
    endpoint: endpointOption(values.endpoint),
    region:
      nonEmpty(values.region, '--region') ?? nonEmpty(process.env.AWS_REGION, 'AWS_REGION') ?? LOCAL_REGION,
  };
}

function nonEmpty(value: string | undefined, name: string): string | undefined {
  if (value === '') throw new UsageError(`${name} is empty`);
  return value;
}

/** The same precedence as the SDK's own: the EventBridge-specific variable, then the general one. */
function endpointOption(flag: string | undefined): string {
  const endpoint =
    nonEmpty(flag, '--endpoint') ??
    nonEmpty(process.env.AWS_ENDPOINT_URL_EVENTBRIDGE, 'AWS_ENDPOINT_URL_EVENTBRIDGE') ??
    nonEmpty(process.env.AWS_ENDPOINT_URL, 'AWS_ENDPOINT_URL') ??
    DEFAULT_LOCAL_ENDPOINT;
  if (!URL.canParse(endpoint))
    throw new UsageError(`${endpoint} is not a URL, e.g. ${DEFAULT_LOCAL_ENDPOINT}`);
  return endpoint;
}

function entryFromFlags(
  type: string | undefined,
  source: string | undefined,
  detail: string | undefined,
): PutEventsRequestEntry {
  if (type === undefined || type === '') throw new UsageError('--type is required (or use --file)');
  if (source === undefined || source === '') throw new UsageError('--source is required (or use --file)');
  const detailObject = parseDetailObject(detail ?? '{}', '--detail');
  return { Source: source, DetailType: type, Detail: JSON.stringify(detailObject) };
}

function parseDetailObject(text: string, where: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${where} is not JSON: ${errorMessage(error)}`);
  }
  if (!isRecord(parsed)) throw new UsageError(`${where} must be a JSON object, e.g. '{"cartId": "cart-1"}'`);
  return parsed;
}

function withCustomer(
  catalog: EventCatalog,
  detailType: string,
  detail: string | undefined,
  customerId: string,
): string {
  const object = detail === undefined ? {} : parseDetailObject(detail, 'the detail --customer goes into');
  return JSON.stringify(withCustomerId(catalog, detailType, object, customerId));
}

/** The event files of a journeys folder, parsed only: put-event sends what it is given, valid or not. */
function eventCatalogOf(journeysDir: string): EventCatalog {
  try {
    return loadDeployedEventCatalog(resolve(journeysDir));
  } catch (error) {
    throw new UsageError(`cannot read the event files of ${journeysDir}: ${errorMessage(error)}`);
  }
}

// ---- files ------------------------------------------------------------------------------------------------------

const detailObjectSchema = z.record(z.string(), z.unknown());

/** The PutEvents API shape; missing fields are left to the bus to refuse, as AWS would. */
const apiEntrySchema = z.object({
  Source: z.string().optional(),
  DetailType: z.string().optional(),
  // A string as the API takes it, or an object for convenience.
  Detail: z.union([z.string(), detailObjectSchema]).optional(),
  Time: z.union([z.iso.datetime({ offset: true }), z.number()]).optional(),
  Resources: z.array(z.string()).optional(),
  EventBusName: z.string().optional(),
});

/** An event as EventBridge delivers it; id, time, account and region are the bus's to assign, so they are dropped. */
const envelopeSchema = z.object({
  source: z.string().optional(),
  'detail-type': z.string().optional(),
  detail: detailObjectSchema.optional(),
  resources: z.array(z.string()).optional(),
});

const API_KEYS = ['Source', 'DetailType', 'Detail'];
const ENVELOPE_KEYS = ['source', 'detail-type', 'detail'];

function entriesFromFile(path: string): PutEventsRequestEntry[] {
  if (path === '') throw new UsageError('--file is empty');
  let text: string;
  try {
    text = readFileSync(resolve(path), 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${errorMessage(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not JSON: ${errorMessage(error)}`);
  }
  const items: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  if (items.length === 0) throw new UsageError(`${path} holds an empty list; nothing to send`);
  return items.map((item, index) => fileEntry(item, items.length === 1 ? path : `${path} [${index}]`));
}

function fileEntry(item: unknown, where: string): PutEventsRequestEntry {
  const hasAny = (keys: readonly string[]) =>
    isRecord(item) && keys.some((key) => ownValue(item, key) !== undefined);
  if (hasAny(API_KEYS)) return apiEntry(parseWith(apiEntrySchema, item, where));
  if (hasAny(ENVELOPE_KEYS)) return envelopeEntry(parseWith(envelopeSchema, item, where));
  throw new UsageError(
    `${where}: expected a PutEvents entry {Source, DetailType, Detail} or an event {source, detail-type, detail}`,
  );
}

function parseWith<T>(schema: z.ZodType<T>, item: unknown, where: string): T {
  const result = schema.safeParse(item);
  if (!result.success) throw new UsageError(`${where}: ${z.prettifyError(result.error)}`);
  return result.data;
}

function apiEntry(entry: z.infer<typeof apiEntrySchema>): PutEventsRequestEntry {
  const { Detail: detail, Time: time, ...rest } = entry;
  return {
    ...rest,
    ...(detail === undefined ? {} : { Detail: typeof detail === 'string' ? detail : JSON.stringify(detail) }),
    // A number is epoch seconds, the API's own unit.
    ...(time === undefined
      ? {}
      : { Time: typeof time === 'number' ? new Date(time * 1000) : new Date(time) }),
  };
}

function envelopeEntry(event: z.infer<typeof envelopeSchema>): PutEventsRequestEntry {
  return {
    ...(event.source === undefined ? {} : { Source: event.source }),
    ...(event['detail-type'] === undefined ? {} : { DetailType: event['detail-type'] }),
    ...(event.detail === undefined ? {} : { Detail: JSON.stringify(event.detail) }),
    ...(event.resources === undefined ? {} : { Resources: event.resources }),
  };
}

// ---- sending ----------------------------------------------------------------------------------------------------

async function send(request: PutEventRequest, io: Output): Promise<number> {
  const { endpoint, region, entries } = request;
  const credentials = credentialsFor(endpoint);
  const client = createAwsClients({
    endpoint,
    region,
    ...(credentials === undefined ? {} : { credentials }),
  }).eventbridge;
  let accepted = 0;
  let failed = 0;
  try {
    for (let start = 0; start < entries.length; start += BATCH_SIZE) {
      const batch = entries.slice(start, start + BATCH_SIZE);
      const result = await client.send(new PutEventsCommand({ Entries: batch }));
      batch.forEach((entry, index) => {
        const outcome = outcomeOf(result.Entries?.[index]);
        if (outcome.accepted) accepted += 1;
        else failed += 1;
        io.out(`${describeOutcome(entry, outcome)}\n`);
      });
    }
  } catch (error) {
    io.err(describeCallFailure(error, endpoint, entries.length - accepted - failed));
    return 1;
  } finally {
    client.destroy();
  }
  const bus =
    new Set(entries.map((entry) => entry.EventBusName)).size === 1 ? entries[0]?.EventBusName : undefined;
  io.out(
    `${entries.length} event(s) to ${bus === undefined ? 'the bus' : `bus ${bus}`} at ${endpoint}: ` +
      `${accepted} accepted, ${failed} failed\n`,
  );
  return failed === 0 ? 0 : 1;
}

function outcomeOf(
  result: { EventId?: string; ErrorCode?: string; ErrorMessage?: string } | undefined,
): EntryOutcome {
  if (result?.EventId !== undefined) return { accepted: true, eventId: result.EventId };
  if (result === undefined) return { accepted: false, reason: 'no result for this entry in the reply' };
  return {
    accepted: false,
    reason: `${result.ErrorCode ?? 'Error'}: ${result.ErrorMessage ?? '(no message)'}`,
  };
}

function describeOutcome(entry: PutEventsRequestEntry, outcome: EntryOutcome): string {
  const what = `${entry.DetailType ?? '(no detail-type)'} from ${entry.Source ?? '(no source)'}`;
  return outcome.accepted
    ? `accepted  ${what}  id ${outcome.eventId}`
    : `failed    ${what}  ${outcome.reason}`;
}

function describeCallFailure(error: unknown, endpoint: string, unsent: number): string {
  const notSent = unsent > 0 ? ` (${unsent} event(s) not sent)` : '';
  if (isConnectionRefused(error))
    return `No local engine at ${endpoint}; start it with npm start${notSent}\n`;
  const name = error instanceof Error && error.name !== 'Error' ? `${error.name}: ` : '';
  return `waymark put-event: ${name}${errorMessage(error)}${notSent}\n`;
}
