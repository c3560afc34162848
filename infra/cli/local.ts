/** `waymark local` (npm start): the local engine, until Ctrl-C. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_PORT } from '../local/constants.ts';
import { demoSummary, playDemo } from '../local/demo.ts';
import { errorMessage } from '../local/errors.ts';
import { type LocalHost, startLocalHost } from '../local/host.ts';
import { type SendLimits, sendRateProblem } from '../local/send-limits.ts';
import type { Output } from './output.ts';

const LOCAL_USAGE = `usage: waymark local [options]            (npm start -- [options])
  --port <n>             the edge endpoint's port (default ${DEFAULT_PORT})
  --data-dir <dir>       tables, executions, outbox and clock (default .waymark/)
  --journeys <dir>       journeys, templates and settings.json (default journeys/)
  --time-scale <n>       run waits n times faster (default 1; 3600 = an hour a second)
  --clock-start <ISO>    the virtual time to start at (default: where the last run stopped, or now)
  --ses-max-send-rate <n>   at most n SendEmail a second of virtual time; more get SES's throttling error
  --sms-max-send-rate <n>   the same for SNS Publish to phone numbers (default, all three: no limit)
  --push-max-send-rate <n>  the same for SNS Publish to push endpoints
  --demo                 play the brief's scenarios with a few customers and print what happens
`;

export interface LocalOptions {
  port: number;
  dataDir: string;
  journeysDir: string;
  timeScale: number;
  clockStart?: Date;
  demo: boolean;
  sendLimits: SendLimits;
}

type SendLimitOption = 'ses-max-send-rate' | 'sms-max-send-rate' | 'push-max-send-rate';

/** Each limit's option, and the channel it limits. */
const SEND_LIMIT_OPTIONS: readonly (readonly [SendLimitOption, keyof SendLimits])[] = [
  ['ses-max-send-rate', 'email'],
  ['sms-max-send-rate', 'sms'],
  ['push-max-send-rate', 'push'],
];

function parseLocalOptions(args: readonly string[]): LocalOptions | string {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        journeys: { type: 'string' },
        'time-scale': { type: 'string' },
        'clock-start': { type: 'string' },
        demo: { type: 'boolean' },
        'ses-max-send-rate': { type: 'string' },
        'sms-max-send-rate': { type: 'string' },
        'push-max-send-rate': { type: 'string' },
      },
      allowPositionals: false,
    });
  } catch (error) {
    return errorMessage(error);
  }
  const { values } = parsed;
  const port = Number(values.port ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    return `--port must be a port number, not ${values.port ?? ''}`;
  const timeScale = Number(values['time-scale'] ?? 1);
  if (!Number.isFinite(timeScale) || timeScale <= 0)
    return `--time-scale must be a positive number, not ${values['time-scale'] ?? ''}`;
  const clockStart = values['clock-start'] === undefined ? undefined : new Date(values['clock-start']);
  if (clockStart !== undefined && Number.isNaN(clockStart.getTime())) {
    return `--clock-start must be an ISO time such as 2026-11-23T09:00:00Z, not ${values['clock-start'] ?? ''}`;
  }
  const sendLimits: SendLimits = {};
  for (const [option, channel] of SEND_LIMIT_OPTIONS) {
    const text = values[option];
    if (text === undefined) continue;
    // Number('') is 0 and Number(' 2 ') is 2: only digits are a count.
    const rate = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    const problem = sendRateProblem(rate, text);
    if (problem !== undefined) return `--${option} ${problem}`;
    sendLimits[channel] = rate;
  }
  return {
    port,
    dataDir: resolve(values['data-dir'] ?? '.waymark'),
    journeysDir: resolve(values.journeys ?? 'journeys'),
    timeScale,
    ...(clockStart === undefined ? {} : { clockStart }),
    demo: values.demo === true,
    sendLimits,
  };
}

export async function localCommand(args: readonly string[], io: Output): Promise<number> {
  const options = parseLocalOptions(args);
  if (typeof options === 'string') {
    io.err(`waymark local: ${options}\n\n${LOCAL_USAGE}`);
    return 2;
  }
  const print = (line: string): void => io.out(`${line}\n`);
  let host: LocalHost;
  try {
    host = await startLocalHost({
      journeysDir: options.journeysDir,
      dataDir: options.dataDir,
      port: options.port,
      clock: {
        mode: { kind: 'scaled', scale: options.timeScale },
        ...(options.clockStart === undefined ? {} : { start: options.clockStart }),
      },
      log: print,
      sendLimits: options.sendLimits,
    });
  } catch (error) {
    io.err(`waymark local: ${errorMessage(error)}\n`);
    return 1;
  }
  for (const problem of host.problems) print(`  ${problem.severity}: ${problem.file}: ${problem.message}`);
  print(banner(host, options));
  const stopped = new Promise<void>((done) => {
    const stop = (): void => {
      print('\nStopping: waits and open journeys are saved and go on at the next start.');
      void host.close().then(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  if (options.demo) {
    void playDemo(host, print)
      .then(async (run) => {
        for (const line of await demoSummary(host, run)) print(line);
        print('\nThe demo is over; the engine keeps running. Ctrl-C to stop.');
      })
      .catch((error: unknown) => print(`! the demo failed: ${errorMessage(error)}`));
  }
  await stopped;
  return 0;
}

function banner(host: LocalHost, options: LocalOptions): string {
  return [
    '',
    `Waymark local engine on ${host.endpoint}`,
    `  panel:        ${host.endpoint}/ (customers, journeys, outbox, metrics, try it)`,
    `  journeys:     ${host.journeys.map((journey) => journey.journeyId).join(', ') || '(none)'} from ${options.journeysDir}`,
    `  data:         ${options.dataDir}`,
    `  virtual time: ${host.clock.now().toISOString()} (x${options.timeScale})`,
    ...sendLimitLines(options.sendLimits),
    `  AWS APIs:     AWS_ENDPOINT_URL=${host.endpoint} (DynamoDB, SESv2, SNS, EventBridge, Step Functions, Social Messaging, Lambda Invoke)`,
    `  local API:    ${host.endpoint}/_local/health, /_local/outbox, /_local/customers/<id>/timeline, /_local/clock`,
    `  send events:  npx waymark put-event --file test/events/cart.abandoned.json`,
    '  figures:      npx waymark report',
    '  Ctrl-C to stop.',
    '',
  ].join('\n');
}

/** The banner's line for the send limits, when there are any. */
function sendLimitLines(limits: SendLimits): string[] {
  const set = SEND_LIMIT_OPTIONS.flatMap(([, channel]) => {
    const rate = limits[channel];
    return rate === undefined ? [] : [`${channel} ${rate}/s`];
  });
  return set.length === 0
    ? []
    : [`  send limits:  ${set.join(', ')} (the local SES and SNS throttle past them)`];
}
