/**
 * `waymark panel`: the panel on its own, reading through AWS APIs only. With
 * `--aws` it shows a deployed stage (its table, state machines and bus);
 * without, a running local engine, read exactly as AWS would be.
 */
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_EXECUTION_LIMIT } from '../../shared/report/positions.ts';
import { loadProject } from '../../shared/project/load.ts';
import { resourcePrefix } from '../cdk/names.ts';
import { DEFAULT_PORT, LOCAL_BUS } from '../local/constants.ts';
import { errorMessage } from '../local/errors.ts';
import { listenOnLoopback } from '../local/loopback.ts';
import { remotePanelSources } from '../panel/remote-sources.ts';
import { createPanel } from '../panel/server.ts';
import {
  clientsFor,
  DATA_TARGET_OPTIONS,
  type DataTarget,
  dataTarget,
  engineTime,
  nonEmpty,
  stateMachinePrefix,
  UsageError,
} from './endpoint.ts';

const CLOCK_CHECK_MS = 5_000;
import type { Output } from './output.ts';

export const PANEL_USAGE = `usage: waymark panel [--endpoint <url>] [--port <n>] [--journeys <dir>]
       waymark panel --aws --table <name> --stage <stage> [--region <region>] [--port <n>] [--journeys <dir>]
  --endpoint  the local engine to read (default $AWS_ENDPOINT_URL or its usual address)
  --aws       read a deployed stage with the SDK's usual credentials and region
  --table     on AWS: the stack's TableName output
  --stage     on AWS: the stage (state machines waymark-<stage>-<journey>, bus waymark-<stage>)
  --bus       on AWS: the bus "Try it" puts events on, when the stage brings its own (default waymark-<stage>)
  --port      where the panel listens on 127.0.0.1 (default ${DEFAULT_PORT + 1})
  --journeys  the journeys folder (default journeys)
  --limit     executions read per journey for the figures, newest first (default ${DEFAULT_EXECUTION_LIMIT})`;

export interface PanelRequest {
  /** The bus "Try it" publishes to; default the stage's own. */
  bus?: string;
  target: DataTarget;
  port: number;
  journeysDir: string;
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
    `Waymark panel on ${panel.url}/, reading ${request.target.endpoint ?? `stage ${request.target.stage ?? ''} in AWS`}\n`,
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
  const { target } = request;
  const clients = clientsFor(target);
  const stage = target.stage;
  // A local engine keeps virtual time: caps' windows and "as of" follow it, checked every few seconds.
  let offsetMs = 0;
  const endpoint = target.endpoint;
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
      table: target.table,
      bus: request.bus ?? (stage === undefined ? LOCAL_BUS : resourcePrefix(stage)),
      stateMachinePrefix: stateMachinePrefix(target),
      executionLimit: target.executionLimit,
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
      ...DATA_TARGET_OPTIONS,
      port: { type: 'string' },
      journeys: { type: 'string' },
      bus: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  const port = Number(values.port ?? DEFAULT_PORT + 1);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new UsageError('--port is a port number, e.g. 4591');
  return {
    target: dataTarget(values, 'required'),
    port,
    journeysDir: nonEmpty(values.journeys) ?? 'journeys',
    ...(nonEmpty(values.bus) === undefined ? {} : { bus: nonEmpty(values.bus) }),
  };
}
