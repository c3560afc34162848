/**
 * `waymark index-addresses`: the one-off backfill that gives profiles written before the address
 * indexes the hash attributes those indexes are keyed on (shared/store/address-backfill.ts), on a
 * local engine or a deployed stage. Safe to run again; an interrupted run prints where to go on from.
 * It prints counts only, never an address.
 */
import { parseArgs } from 'node:util';
import * as z from 'zod';
import {
  type BackfillCounts,
  backfillAddressIndex,
  type ResumeKey,
  resumeKeySchema,
} from '../../shared/store/address-backfill.ts';
import { DEFAULT_LOCAL_ENDPOINT, LOCAL_REGION, LOCAL_TABLE } from '../local/constants.ts';
import { errorMessage } from '../local/errors.ts';
import { clientsFor, dataTarget, type DataTarget, isConnectionRefused } from './endpoint.ts';
import type { Output } from './output.ts';

export const INDEX_ADDRESSES_USAGE = `usage: waymark index-addresses [--endpoint <url>] [--table <name>] [--resume <token>]
       waymark index-addresses --aws --table <name> [--region <region>] [--resume <token>]
  --endpoint  default $AWS_ENDPOINT_URL or ${DEFAULT_LOCAL_ENDPOINT} (the local engine: npm start)
  --aws       the table in AWS, with the SDK's usual credentials and region
  --table     default ${LOCAL_TABLE} (the local engine's); on AWS the stack's TableName output
  --region    default $AWS_REGION, or ${LOCAL_REGION} for the local engine
  --resume    the token an interrupted run printed: go on from where it stopped`;

/** Progress is printed every this many Scan pages (of up to 500 items each), and at the end. */
const PAGES_PER_REPORT = 10;

interface IndexRequest {
  target: DataTarget;
  startAfter: ResumeKey | undefined;
}

/** Never rejects: 0 when every profile was read, 1 when the run stopped, 2 for a wrong command line. */
export async function indexAddressesCommand(args: readonly string[], io: Output): Promise<number> {
  let request: IndexRequest | 'help';
  try {
    request = parseRequest(args);
  } catch (error) {
    io.err(`waymark index-addresses: ${errorMessage(error)}\n${INDEX_ADDRESSES_USAGE}\n`);
    return 2;
  }
  if (request === 'help') {
    io.out(`${INDEX_ADDRESSES_USAGE}\n`);
    return 0;
  }
  const { target, startAfter } = request;
  const clients = clientsFor(target);
  // Where the last finished page ended: an interrupted run goes on from there.
  let resumeFrom = startAfter;
  let pages = 0;
  try {
    const counts = await backfillAddressIndex(
      { db: clients.dynamodb, table: target.table },
      {
        ...(startAfter === undefined ? {} : { startAfter }),
        onPage: (sofar, next) => {
          resumeFrom = next;
          pages += 1;
          if (next !== undefined && pages % PAGES_PER_REPORT === 0)
            io.out(`${describeCounts(sofar)} so far (--resume ${resumeToken(next)})\n`);
        },
      },
    );
    io.out(`Done: ${describeCounts(counts)} in table ${target.table}.\n`);
    if (counts.busy > 0)
      io.out(`${counts.busy} profiles changed at every attempt: run the command again for them.\n`);
    return 0;
  } catch (error) {
    const where = isConnectionRefused(error)
      ? `nothing answers at ${target.endpoint ?? 'AWS'} (is the local engine running? npm start)`
      : errorMessage(error);
    const resume =
      resumeFrom === undefined
        ? ''
        : ` Go on with: waymark index-addresses ... --resume ${resumeToken(resumeFrom)}`;
    io.err(`waymark index-addresses: stopped: ${where}.${resume}\n`);
    return 1;
  } finally {
    clients.dynamodb.destroy();
  }
}

function describeCounts(counts: BackfillCounts): string {
  return (
    `${counts.profiles} profiles read, ${counts.updated} indexed, ${counts.unchanged} already right` +
    (counts.damaged > 0 ? `, ${counts.damaged} not readable (left as they are)` : '') +
    (counts.gone > 0 ? `, ${counts.gone} erased meanwhile` : '')
  );
}

/** The key a page ended at, as one word for the command line. */
function resumeToken(key: ResumeKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

function readResumeToken(token: string): ResumeKey {
  try {
    const key: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    return resumeKeySchema.parse(key);
  } catch (error) {
    const reason =
      error instanceof z.ZodError ? 'not a key of this table' : 'not a token this command printed';
    throw new Error(`--resume: ${reason}`, { cause: error });
  }
}

function parseRequest(args: readonly string[]): IndexRequest | 'help' {
  const { values } = parseArgs({
    args: [...args],
    allowPositionals: false,
    options: {
      endpoint: { type: 'string' },
      aws: { type: 'boolean' },
      table: { type: 'string' },
      region: { type: 'string' },
      resume: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  return {
    target: dataTarget(values, 'optional'),
    startAfter:
      values.resume === undefined || values.resume === '' ? undefined : readResumeToken(values.resume),
  };
}
