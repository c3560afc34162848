/**
 * `waymark panel`: the panel on its own, reading through AWS APIs only. With
 * `--aws` it shows a deployed stage (its table, state machines and bus);
 * without, a running local engine, read exactly as AWS would be.
 */
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createAwsClients } from '../../shared/aws/clients.ts';
import { DEFAULT_EXECUTION_LIMIT } from '../../shared/metrics/positions.ts';
import { loadProject } from '../../shared/project/load.ts';
import { DEFAULT_PORT, LOCAL_BUS, LOCAL_REGION, LOCAL_TABLE } from '../local/constants.ts';
import { errorMessage } from '../local/errors.ts';
import { listenOnLoopback } from '../local/loopback.ts';
import { remotePanelSources } from '../panel/remote-sources.ts';
import { createPanel } from '../panel/server.ts';
import { credentialsFor, engineTime, localEndpoint, nonEmpty, UsageError } from './endpoint.ts';

const CLOCK_CHECK_MS = 5_000;
import type { Output } from './main.ts';

export const PANEL_USAGE = `usage: waymark panel [--endpoint <url>] [--port <n>] [--journeys <dir>]
       waymark panel --aws --table <name> --stage <stage> [--region <region>] [--port <n>] [--journeys <dir>]
  --endpoint  the local engine to read (default $AWS_ENDPOINT_URL or its usual address)
  --aws       read a deployed stage with the SDK's usual credentials and region
  --table     on AWS: the stack's TableName output
  --stage     on AWS: the stage (state machines waymark-<stage>-<journey>, bus waymark-<stage>)
  --port      where the panel listens on 127.0.0.1 (default ${DEFAULT_PORT + 1})
  --journeys  the journeys folder (default journeys)
  --limit     executions read per journey for the figures, newest first (default ${DEFAULT_EXECUTION_LIMIT})`;

export interface PanelRequest {
  endpoint: string | undefined;
  region: string | undefined;
  table: string;
  stage: string | undefined;
  port: number;
  journeysDir: string;
  executionLimit: number;
}

export async function panelCommand(args: readonly string[], io: Output): Promise<number> {
  let request: PanelRequest | 'help';
  try {
    request = parsePanelRequest(args);
  } catch (error) {
    io.err(`waymark panel: ${errorMessage(error)}\n${PANEL_USAGE}\n`);
    return 2;
  }
  if (request === 'help') {
    io.out(`${PANEL_USAGE}\n`);
    return 0;
  }
  let panel: { url: string; close(): Promise<void> };
  try {
    panel = await servePanel(request);
  } catch (error) {
    io.err(`waymark panel: ${errorMessage(error)}\n`);
    return 1;
  }
  io.out(
    `Waymark panel on ${panel.url}/, reading ${request.endpoint ?? `stage ${request.stage ?? ''} in AWS`}\n`,
  );
  await new Promise<void>((done) => {
    const stop = (): void => void panel.close().then(done);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}

/** Starts the panel for a parsed request; the tests start it this way too. */
export async function servePanel(request: PanelRequest): Promise<{ url: string; close(): Promise<void> }> {
  const project = loadProject(resolve(request.journeysDir));
  const credentials = request.endpoint === undefined ? undefined : credentialsFor(request.endpoint);
  const clients = createAwsClients({
    ...(request.endpoint === undefined ? {} : { endpoint: request.endpoint }),
    ...(request.region === undefined ? {} : { region: request.region }),
    ...(credentials === undefined ? {} : { credentials }),
  });
  const stage = request.stage;
  // A local engine keeps virtual time: caps' windows and "as of" follow it, checked every few seconds.
  let offsetMs = 0;
  const endpoint = request.endpoint;
  const followEngineClock = async (): Promise<void> => {
    const engineNow = endpoint === undefined ? undefined : await engineTime(endpoint);
    if (engineNow !== undefined) offsetMs = engineNow.getTime() - Date.now();
  };
  await followEngineClock();
  const clockTimer =
    endpoint === undefined ? undefined : setInterval(() => void followEngineClock(), CLOCK_CHECK_MS).unref();
  const handler = createPanel(
    remotePanelSources({
      clients,
      table: request.table,
      bus: stage === undefined ? LOCAL_BUS : `waymark-${stage}`,
      stateMachinePrefix: stage === undefined ? '' : `waymark-${stage}-`,
      executionLimit: request.executionLimit,
      now: () => new Date(Date.now() + offsetMs),
      project,
    }),
  );
  const server = createServer((incoming, response) => void handler(incoming, response));
  const url = await listenOnLoopback(server, request.port);
  return {
    url,
    close: () =>
      new Promise<void>((done) => {
        if (clockTimer !== undefined) clearInterval(clockTimer);
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

export function parsePanelRequest(args: readonly string[]): PanelRequest | 'help' {
  const { values } = parseArgs({
    args: [...args],
    allowPositionals: false,
    options: {
      endpoint: { type: 'string' },
      aws: { type: 'boolean' },
      table: { type: 'string' },
      stage: { type: 'string' },
      region: { type: 'string' },
      port: { type: 'string' },
      journeys: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  const aws = values.aws === true;
  if (aws && values.endpoint !== undefined) throw new UsageError('give either --aws or --endpoint, not both');
  if (aws && (nonEmpty(values.table) === undefined || nonEmpty(values.stage) === undefined))
    throw new UsageError("--aws needs --table (the stack's TableName output) and --stage");
  if (!aws && values.stage !== undefined) throw new UsageError('--stage names a deployed stage: add --aws');
  const port = Number(values.port ?? DEFAULT_PORT + 1);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError('--port is a port number, e.g. 4591');
  const executionLimit = Number(values.limit ?? DEFAULT_EXECUTION_LIMIT);
  if (!Number.isInteger(executionLimit) || executionLimit < 1)
    throw new UsageError('--limit is a whole number of executions, e.g. 500');
  return {
    executionLimit,
    endpoint: aws ? undefined : localEndpoint(values.endpoint),
    region: nonEmpty(values.region) ?? nonEmpty(process.env.AWS_REGION) ?? (aws ? undefined : LOCAL_REGION),
    table: nonEmpty(values.table) ?? LOCAL_TABLE,
    stage: nonEmpty(values.stage),
    port,
    journeysDir: nonEmpty(values.journeys) ?? 'journeys',
  };
}
