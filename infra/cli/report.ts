/**
 * `waymark report`: the panel's figures as tables in a terminal, from the same counters (one Query per
 * journey, whatever the number of customers) and the executions through the Step Functions API, so the
 * same command reads a running `npm start` or a deployed stage. `--full` is the slow path, named as
 * such: it reads every customer (one Scan of the whole table) and adds what only that gives: time to
 * first message, preference compliance, coordination, send rates reached.
 */
import { BUILT_IN_EVENTS } from '../../shared/events/runtime-events.ts';
import { createEventCatalog } from '../../shared/events/catalog.ts';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { Journey } from '../../shared/journey/schema.ts';
import { countedReport } from '../../shared/figures/report.ts';
import {
  DEFAULT_EXECUTION_LIMIT,
  type PositionsRead,
  readExecutionPositions,
} from '../../shared/report/positions.ts';
import { buildReport } from '../../shared/report/report.ts';
import type { Report } from '../../shared/report/types.ts';
import { hasErrors } from '../../shared/journey/problem.ts';
import { loadProject, type Project } from '../../shared/project/load.ts';
import { readFigureSums } from '../../shared/store/figures.ts';
import { scanCustomerOverviews } from '../../shared/store/overview.ts';
import { DEFAULT_LOCAL_ENDPOINT, LOCAL_REGION, LOCAL_TABLE } from '../local/constants.ts';
import { errorMessage } from '../local/errors.ts';

import type { Output } from './output.ts';
import { formatReport } from './report-format.ts';
import {
  clientsFor,
  DATA_TARGET_OPTIONS,
  type DataTarget,
  dataTarget,
  engineTime,
  isConnectionRefused,
  nonEmpty,
  stateMachinePrefix,
} from './endpoint.ts';

export const REPORT_USAGE = `usage: waymark report [--endpoint <url>] [--table <name>] [--journeys <dir>] [--full] [--json]
       waymark report --aws --table <name> [--stage <stage>] [--region <region>] [--journeys <dir>] [--full] [--json]
  --endpoint  default $AWS_ENDPOINT_URL or ${DEFAULT_LOCAL_ENDPOINT} (the local engine: npm start)
  --aws       read the table and the executions in AWS, with the SDK's usual credentials and region
  --table     default ${LOCAL_TABLE} (the local engine's); on AWS the stack's TableName output
  --stage     on AWS: only the state machines waymark-<stage>-<journey>
  --region    default $AWS_REGION, or ${LOCAL_REGION} for the local engine
  --journeys  the journeys folder, for names and step order (default journeys)
  --limit     executions read per journey, newest first (default ${DEFAULT_EXECUTION_LIMIT})
  --full      read every customer (a Scan of the whole table): adds time to first message, compliance,
              coordination and send rates reached; slow on a large table
  --json      print the figures as JSON instead of tables`;

interface ReportRequest {
  target: DataTarget;
  journeysDir: string;
  json: boolean;
  full: boolean;
}

/** Never rejects: 0 when the report is printed, 1 when the data could not be read, 2 for a wrong command line. */
export async function reportCommand(args: readonly string[], io: Output): Promise<number> {
  let request: ReportRequest | 'help';
  try {
    request = parseRequest(args);
  } catch (error) {
    io.err(`waymark report: ${errorMessage(error)}\n${REPORT_USAGE}\n`);
    return 2;
  }
  if (request === 'help') {
    io.out(`${REPORT_USAGE}\n`);
    return 0;
  }
  const { journeys, events, settings } = loadJourneys(request.journeysDir, io);
  const { target } = request;
  const clients = clientsFor(target);
  const namePrefix = stateMachinePrefix(target);
  let report: Report;
  let positions: PositionsRead;
  try {
    const store = { db: clients.dynamodb, table: target.table };
    const now = (target.endpoint === undefined ? undefined : await engineTime(target.endpoint)) ?? new Date();
    // Journeys the data names count too: a journey removed from the folder still has executions.
    const journeyIds = new Set(journeys.map((journey) => journey.id));
    if (request.full) {
      const customers = await scanCustomerOverviews(store);
      for (const customer of customers) {
        for (const place of customer.journeys) journeyIds.add(place.journeyId);
        for (const { entry } of customer.history) if ('journeyId' in entry) journeyIds.add(entry.journeyId);
      }
      positions = await readPositions(clients.sfn, journeyIds, target, namePrefix);
      report = buildReport({
        customers,
        events,
        journeys,
        executions: positions.positions,
        now,
        executionsLimited: positions.limited,
        sendRates: settings?.sendRates,
      });
    } else {
      const sums = await readFigureSums(store, [...journeyIds]);
      for (const journeyId of sums.journeys.keys()) journeyIds.add(journeyId);
      positions = await readPositions(clients.sfn, journeyIds, target, namePrefix);
      report = countedReport({
        all: sums.all,
        journeys: sums.journeys,
        definitions: journeys,
        executions: positions.positions,
        executionsLimited: positions.limited,
        now,
      });
    }
  } catch (error) {
    io.err(describeReadFailure(error, target));
    return 1;
  } finally {
    clients.dynamodb.destroy();
    clients.sfn.destroy();
  }
  io.out(request.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, journeys, positions));
  return 0;
}

function readPositions(
  sfn: SFNClient,
  journeyIds: ReadonlySet<string>,
  target: DataTarget,
  namePrefix: string | undefined,
): Promise<PositionsRead> {
  return readExecutionPositions(sfn, {
    journeyIds: [...journeyIds],
    limit: target.executionLimit,
    ...(namePrefix === undefined ? {} : { namePrefix }),
  });
}

// ---- the command line -------------------------------------------------------------------------

function parseRequest(args: readonly string[]): ReportRequest | 'help' {
  const { values } = parseArgs({
    args: [...args],
    allowPositionals: false,
    options: {
      ...DATA_TARGET_OPTIONS,
      journeys: { type: 'string' },
      json: { type: 'boolean' },
      full: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  return {
    target: dataTarget(values, 'optional'),
    journeysDir: nonEmpty(values.journeys) ?? 'journeys',
    json: values.json === true,
    full: values.full === true,
  };
}

/** Names and step order come from the files; without them the report still counts, by journey id. */
function loadJourneys(
  dir: string,
  io: Output,
): Pick<Project, 'events' | 'settings'> & { journeys: Journey[] } {
  const path = resolve(dir);
  if (!existsSync(path)) {
    io.err(
      `waymark report: no journeys folder at ${dir}; journeys are shown by id, steps in the order found\n`,
    );
    return { journeys: [], events: createEventCatalog(BUILT_IN_EVENTS), settings: undefined };
  }
  const project = loadProject(path);
  if (hasErrors(project.problems))
    io.err(
      `waymark report: ${dir} has problems (see waymark validate ${dir}); using the journeys that load\n`,
    );
  // Without a usable settings.json the rates reached are shown without the configured ones.
  const { events, settings } = project;
  return { journeys: project.journeys.map((loaded) => loaded.journey), events, settings };
}

function describeReadFailure(error: unknown, target: DataTarget): string {
  const where = target.endpoint ?? 'AWS';
  if (target.endpoint !== undefined && isConnectionRefused(error))
    return `waymark report: no local engine at ${target.endpoint}; start it with npm start (or give --endpoint)\n`;
  const name = error instanceof Error && error.name !== 'Error' ? `${error.name}: ` : '';
  if (name === 'ResourceNotFoundException: ')
    return `waymark report: no table "${target.table}" at ${where} (give --table)\n`;
  return `waymark report: reading from ${where}: ${name}${errorMessage(error).split('\n')[0] ?? ''}\n`;
}
