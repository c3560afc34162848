/**
 * `waymark figures --recount`: the counters the pages and `waymark report` read, rebuilt from the
 * history (shared/store/figures-recount.ts), on a local engine or a deployed stage. For a table that
 * held history before the counters existed, and after they drifted (a local engine killed between a
 * write and its count). One Scan of the whole table: run it now and then, not behind a page. It prints
 * counts only.
 */
import { parseArgs } from 'node:util';
import { recountFigures } from '../../shared/store/figures-recount.ts';
import { loadProject } from '../../shared/project/load.ts';
import { DEFAULT_LOCAL_ENDPOINT, LOCAL_REGION, LOCAL_TABLE } from '../local/constants.ts';
import { errorMessage } from '../local/errors.ts';
import {
  clientsFor,
  dataTarget,
  type DataTarget,
  engineTime,
  isConnectionRefused,
  nonEmpty,
} from './endpoint.ts';
import type { Output } from './output.ts';
import { existsSync } from 'node:fs';

export const FIGURES_USAGE = `usage: waymark figures --recount [--endpoint <url>] [--table <name>] [--journeys <dir>]
       waymark figures --recount --aws --table <name> [--region <region>] [--journeys <dir>]
  --recount   rebuild every counter from the history (a Scan of the whole table); safe to run again.
              Entries written while it runs may be counted twice or not at all: run it when quiet.
  --endpoint  default $AWS_ENDPOINT_URL or ${DEFAULT_LOCAL_ENDPOINT} (the local engine: npm start)
  --aws       the table in AWS, with the SDK's usual credentials and region
  --table     default ${LOCAL_TABLE} (the local engine's); on AWS the stack's TableName output
  --region    default $AWS_REGION, or ${LOCAL_REGION} for the local engine
  --journeys  the journeys folder: their counters are cleared too, even with no history left (default journeys)`;

interface FiguresRequest {
  target: DataTarget;
  journeysDir: string;
}

/** Never rejects: 0 when the counters were rebuilt, 1 when the run stopped, 2 for a wrong command line. */
export async function figuresCommand(args: readonly string[], io: Output): Promise<number> {
  let request: FiguresRequest | 'help';
  try {
    request = parseRequest(args);
  } catch (error) {
    io.err(`waymark figures: ${errorMessage(error)}\n${FIGURES_USAGE}\n`);
    return 2;
  }
  if (request === 'help') {
    io.out(`${FIGURES_USAGE}\n`);
    return 0;
  }
  const { target } = request;
  const journeyIds = existsSync(request.journeysDir)
    ? loadProject(request.journeysDir).journeys.map((loaded) => loaded.journey.id)
    : [];
  const clients = clientsFor(target);
  try {
    const now = (target.endpoint === undefined ? undefined : await engineTime(target.endpoint)) ?? new Date();
    const outcome = await recountFigures({ db: clients.dynamodb, table: target.table }, journeyIds, now);
    io.out(
      `Recounted ${outcome.historyEntries} history entries of ${outcome.customers} customers in table ${target.table}: ` +
        `${outcome.counterItems} counter items written (${outcome.deletedItems} replaced), ${outcome.markers} execution markers.\n`,
    );
    if (outcome.split > 0)
      io.out(
        `${outcome.split} customers' entries came in more than one part: run the recount again if figures look high.\n`,
      );
    return 0;
  } catch (error) {
    const where = isConnectionRefused(error)
      ? `nothing answers at ${target.endpoint ?? 'AWS'} (is the local engine running? npm start)`
      : errorMessage(error);
    io.err(`waymark figures: stopped: ${where}. Run it again: it starts over.\n`);
    return 1;
  } finally {
    clients.dynamodb.destroy();
    clients.sfn.destroy();
  }
}

function parseRequest(args: readonly string[]): FiguresRequest | 'help' {
  const { values } = parseArgs({
    args: [...args],
    allowPositionals: false,
    options: {
      recount: { type: 'boolean' },
      endpoint: { type: 'string' },
      aws: { type: 'boolean' },
      table: { type: 'string' },
      region: { type: 'string' },
      journeys: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  if (values.recount !== true)
    throw new Error('say --recount: rebuilding the counters is the one thing it does');
  return { target: dataTarget(values, 'optional'), journeysDir: nonEmpty(values.journeys) ?? 'journeys' };
}
