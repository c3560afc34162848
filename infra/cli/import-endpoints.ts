/**
 * `waymark import pinpoint-endpoints <export.jsonl>`: a Pinpoint segment export made into Waymark
 * profiles. The file is read line by line (gzip too, as Pinpoint's export writes it) and translated by
 * shared/migrate/pinpoint/endpoints.ts into one `customer.profile.updated` event per customer; those are
 * put on the bus like any producer's (PutEvents, 10 a call), so record merges them as it merges every
 * update. With `--table`, the profiles are merged into the table directly instead (no bus, no history
 * entry): for a stage whose bus is not reachable from here.
 *
 * Lines with a problem are named in the summary and make the exit code 1; the other customers are still
 * imported, and since updates merge field by field, running the command again after fixing the export
 * changes only what the fixed lines carry.
 */
import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { type PutEventsRequestEntry, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { createAwsClients } from '../../shared/aws/clients.ts';
import { PROFILE_UPDATED } from '../../shared/events/built-in.ts';
import { emptyCustomer, fieldChanges, mergeFields } from '../../shared/customer/profile-update.ts';
import {
  type EndpointImport,
  type ProfileDetail,
  translateEndpointLines,
} from '../../shared/migrate/pinpoint/endpoints.ts';
import type { StoreContext } from '../../shared/store/context.ts';
import { damagedProfile, updateCustomer } from '../../shared/store/customers.ts';
import { DEFAULT_LOCAL_ENDPOINT, LOCAL_BUS, LOCAL_REGION, LOCAL_TABLE } from '../local/constants.ts';
import { errorMessage } from '../local/errors.ts';
import {
  clientsFor,
  credentialsFor,
  dataTarget,
  type DataTarget,
  isConnectionRefused,
  localEndpoint,
  nonEmpty,
  UsageError,
} from './endpoint.ts';
import type { Output } from './output.ts';

/** PutEvents takes at most 10 entries per call. */
const BATCH_SIZE = 10;

/** The source the imported events carry (any source but aws.* is a producer's). */
export const IMPORT_SOURCE = 'waymark.import.pinpoint';

export const IMPORT_ENDPOINTS_USAGE = `usage: waymark import pinpoint-endpoints <export.jsonl[.gz]> [options]
  Puts one customer.profile.updated event per customer (User.UserId; an endpoint without one is a
  customer of its own, its Id the customer id) on the bus.
  --dry-run     print the events as JSON lines (standard output) and the summary (standard error); put nothing
  --endpoint    default $AWS_ENDPOINT_URL or ${DEFAULT_LOCAL_ENDPOINT} (the local engine: npm start)
  --region      default $AWS_REGION or ${LOCAL_REGION}
  --bus         default ${LOCAL_BUS}
  --table       merge the profiles into this table instead of putting events (no history entries);
                with --aws the stack's TableName output, else the local engine's (${LOCAL_TABLE})
  --aws         AWS itself, with the SDK's usual credentials and region (needs --table)
  --none-as     what OptOut "NONE" becomes: unknown (default: consent left as it is) or opted-in
                (only if you hold the opt-ins: Pinpoint's NONE is no record of consent)
Exit code 1 when a line had a problem or an event was refused; 2 for a wrong command line.`;

type Delivery =
  | { kind: 'dry-run' }
  | { kind: 'bus'; endpoint: string; region: string; bus: string }
  | { kind: 'table'; target: DataTarget };

interface ImportRequest {
  file: string;
  delivery: Delivery;
  noneAs: 'unknown' | 'opted-in';
}

/** Never rejects: 0 when everything was imported, 1 when a line had a problem or a put failed, 2 for a wrong command line. */
export async function importEndpointsCommand(args: readonly string[], io: Output): Promise<number> {
  let request: ImportRequest | 'help';
  try {
    request = parseRequest(args);
    if (request !== 'help') await readable(request.file);
  } catch (error) {
    io.err(`waymark import pinpoint-endpoints: ${errorMessage(error)}\n${IMPORT_ENDPOINTS_USAGE}\n`);
    return 2;
  }
  if (request === 'help') {
    io.out(`${IMPORT_ENDPOINTS_USAGE}\n`);
    return 0;
  }
  let result: EndpointImport;
  try {
    result = await translateEndpointLines(linesOf(request.file), { noneAs: request.noneAs });
  } catch (error) {
    io.err(`waymark import pinpoint-endpoints: cannot read ${request.file}: ${errorMessage(error)}\n`);
    return 1;
  }
  const { delivery } = request;
  let failed = 0;
  if (delivery.kind === 'dry-run') {
    for (const detail of result.customers)
      io.out(`${JSON.stringify({ source: IMPORT_SOURCE, 'detail-type': PROFILE_UPDATED, detail })}\n`);
  } else {
    const outcome =
      delivery.kind === 'bus'
        ? await putOnBus(result.customers, delivery, io)
        : await mergeIntoTable(result.customers, delivery.target, io);
    if (outcome === 'stopped') return 1;
    failed = outcome.failed;
  }
  const summary = summaryOf(request.file, result, delivery, failed);
  // A dry run's standard output is the events alone, so it can be saved and put later.
  if (delivery.kind === 'dry-run') io.err(summary);
  else io.out(summary);
  if (result.problems.length > 0) {
    io.err(
      result.problems.map((problem) => `${request.file}:${problem.line}: ${problem.message}\n`).join(''),
    );
  }
  return result.problems.length === 0 && failed === 0 ? 0 : 1;
}

// ---- the command line -------------------------------------------------------------------------------------------

function parseRequest(args: readonly string[]): ImportRequest | 'help' {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      bus: { type: 'string' },
      table: { type: 'string' },
      aws: { type: 'boolean' },
      'none-as': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  const [file, ...extra] = positionals;
  if (file === undefined || file === '') throw new UsageError('give the export file, e.g. export.jsonl');
  if (extra.length > 0) throw new UsageError(`one export file at a time (also given: ${extra.join(' ')})`);
  const noneAs = values['none-as'] ?? 'unknown';
  if (noneAs !== 'unknown' && noneAs !== 'opted-in')
    throw new UsageError(`--none-as is unknown or opted-in, not ${JSON.stringify(noneAs)}`);
  const dryRun = values['dry-run'] === true;
  const toTable = values.table !== undefined || values.aws === true;
  if (dryRun && toTable) throw new UsageError('--dry-run puts nothing anywhere: leave out --table and --aws');
  if (toTable && values.bus !== undefined) throw new UsageError('give either --table or --bus, not both');
  let delivery: Delivery;
  if (dryRun) delivery = { kind: 'dry-run' };
  else if (toTable) {
    delivery = {
      kind: 'table',
      target: dataTarget(
        {
          ...(values.endpoint === undefined ? {} : { endpoint: values.endpoint }),
          ...(values.aws === undefined ? {} : { aws: values.aws }),
          ...(values.table === undefined ? {} : { table: values.table }),
          ...(values.region === undefined ? {} : { region: values.region }),
        },
        'optional',
      ),
    };
  } else {
    delivery = {
      kind: 'bus',
      endpoint: localEndpoint(values.endpoint),
      region: nonEmpty(values.region) ?? nonEmpty(process.env.AWS_REGION) ?? LOCAL_REGION,
      bus: nonEmpty(values.bus) ?? LOCAL_BUS,
    };
  }
  return { file, delivery, noneAs };
}

async function readable(file: string): Promise<void> {
  try {
    await access(resolve(file));
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${errorMessage(error)}`);
  }
}

/** The file's lines, one at a time; a .gz file (as Pinpoint's export writes it) is unzipped on the way. */
function linesOf(file: string): AsyncIterable<string> {
  const stream = createReadStream(resolve(file));
  const input = file.endsWith('.gz') ? stream.pipe(createGunzip()) : stream;
  // A read error on the file reaches the unzipped stream too, so the loop over the lines rejects.
  if (input !== stream) stream.on('error', (error) => input.destroy(error));
  return createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
}

// ---- putting ----------------------------------------------------------------------------------------------------

type PutOutcome = { failed: number } | 'stopped';

async function putOnBus(
  customers: readonly ProfileDetail[],
  delivery: Extract<Delivery, { kind: 'bus' }>,
  io: Output,
): Promise<PutOutcome> {
  const credentials = credentialsFor(delivery.endpoint);
  const client = createAwsClients({
    endpoint: delivery.endpoint,
    region: delivery.region,
    ...(credentials === undefined ? {} : { credentials }),
  }).eventbridge;
  let sent = 0;
  let failed = 0;
  try {
    for (let start = 0; start < customers.length; start += BATCH_SIZE) {
      const batch = customers.slice(start, start + BATCH_SIZE);
      const entries: PutEventsRequestEntry[] = batch.map((detail) => ({
        EventBusName: delivery.bus,
        Source: IMPORT_SOURCE,
        DetailType: PROFILE_UPDATED,
        Detail: JSON.stringify(detail),
      }));
      const result = await client.send(new PutEventsCommand({ Entries: entries }));
      batch.forEach((detail, index) => {
        const entry = result.Entries?.[index];
        if (entry?.EventId !== undefined) return;
        failed += 1;
        const reason =
          entry === undefined
            ? 'no result for this entry in the reply'
            : `${entry.ErrorCode ?? 'Error'}: ${entry.ErrorMessage ?? '(no message)'}`;
        io.err(`failed    customer ${detail.customerId}  ${reason}\n`);
      });
      sent += batch.length;
    }
  } catch (error) {
    const notSent = customers.length - sent;
    io.err(
      isConnectionRefused(error)
        ? `No local engine at ${delivery.endpoint}; start it with npm start (${notSent} event(s) not sent)\n`
        : `waymark import pinpoint-endpoints: ${errorMessage(error)} (${notSent} event(s) not sent)\n`,
    );
    return 'stopped';
  } finally {
    client.destroy();
  }
  return { failed };
}

/**
 * Each customer's update merged into the table as record merges it (field stamps, opt-outs kept), with
 * the import's time as the stamp: a newer update from the team's systems still wins.
 */
async function mergeIntoTable(
  customers: readonly ProfileDetail[],
  target: DataTarget,
  io: Output,
): Promise<PutOutcome> {
  const clients = clientsFor(target);
  const store: StoreContext = { db: clients.dynamodb, table: target.table };
  const stamp = { at: new Date().toISOString(), by: `import:pinpoint-endpoints:${Date.now()}` };
  let done = 0;
  let failed = 0;
  try {
    for (const detail of customers) {
      const damaged = await updateCustomer(store, detail.customerId, (read) => {
        if (read.found === 'damaged') return { done: damagedProfile(read.reason) };
        const state = read.found === true ? read.customer : emptyCustomer(detail.customerId);
        const merged = mergeFields(state, fieldChanges(detail), stamp);
        return {
          write: { profile: merged.profile, fieldStamps: merged.fieldStamps },
          then: undefined,
        };
      });
      done += 1;
      if (damaged !== undefined) {
        failed += 1;
        io.err(`failed    customer ${detail.customerId}  ${damaged}\n`);
      }
    }
  } catch (error) {
    const where = target.endpoint ?? 'AWS';
    io.err(
      isConnectionRefused(error)
        ? `No local engine at ${where}; start it with npm start (${customers.length - done} profile(s) not written)\n`
        : `waymark import pinpoint-endpoints: ${errorMessage(error)} (${customers.length - done} profile(s) not written)\n`,
    );
    return 'stopped';
  }
  return { failed };
}

// ---- the summary ------------------------------------------------------------------------------------------------

function summaryOf(file: string, result: EndpointImport, delivery: Delivery, failed: number): string {
  const optedOut = { email: 0, sms: 0, push: 0 };
  for (const detail of result.customers) {
    for (const channel of ['email', 'sms', 'push'] as const) {
      if (detail.consent?.[channel] === 'opted-out') optedOut[channel] += 1;
    }
  }
  const where =
    delivery.kind === 'dry-run'
      ? 'dry run, nothing put'
      : delivery.kind === 'bus'
        ? `put on bus ${delivery.bus} at ${delivery.endpoint}`
        : `merged into table ${delivery.target.table}${delivery.target.endpoint === undefined ? ' on AWS' : ` at ${delivery.target.endpoint}`}`;
  const lines = [
    `${file}: ${result.endpoints} endpoint(s), ${result.customers.length} customer(s) (${where}${failed > 0 ? `, ${failed} failed` : ''})`,
    `  opted out: email ${optedOut.email}, sms ${optedOut.sms}, push ${optedOut.push}`,
    `  skipped: ${result.skipped.length}`,
    ...result.skipped.map((skip) => `    line ${skip.line}: ${skip.reason}`),
    `  problems: ${result.problems.length}${result.problems.length > 0 ? ' (listed below)' : ''}`,
  ];
  return `${lines.join('\n')}\n`;
}
