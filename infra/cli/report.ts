/**
 * `waymark report`: the panel's figures as tables in a terminal. The customers are read with the
 * store code the functions use (one Scan) and the executions through the Step Functions API, so
 * the same command reads a running `npm start` or a deployed stage.
 */
import { BUILT_IN_EVENTS } from '../../shared/events/runtime-events.ts';
import { createEventCatalog } from '../../shared/events/catalog.ts';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stepById } from '../../shared/journey/graph.ts';
import { type Journey, sendChannels } from '../../shared/journey/schema.ts';
import { channelSchema } from '../../shared/customer/profile.ts';
import {
  DEFAULT_EXECUTION_LIMIT,
  type PositionsRead,
  readExecutionPositions,
} from '../../shared/report/positions.ts';
import { buildReport } from '../../shared/report/report.ts';
import type { JourneyReport, LatencySummary, Report } from '../../shared/report/types.ts';
import { hasErrors } from '../../shared/journey/problem.ts';
import { loadProject, type Project } from '../../shared/project/load.ts';
import { scanCustomerOverviews } from '../../shared/store/overview.ts';
import { DEFAULT_LOCAL_ENDPOINT, LOCAL_REGION, LOCAL_TABLE } from '../local/constants.ts';
import { errorMessage } from '../local/errors.ts';

import type { Output } from './output.ts';
import { duration, figure, percent } from '../../shared/report/format.ts';
import { type Column, formatTable } from './table.ts';
import { engagementByChannelText, engagementByStepText } from './report-engagement.ts';
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

export const REPORT_USAGE = `usage: waymark report [--endpoint <url>] [--table <name>] [--journeys <dir>] [--json]
       waymark report --aws --table <name> [--stage <stage>] [--region <region>] [--journeys <dir>] [--json]
  --endpoint  default $AWS_ENDPOINT_URL or ${DEFAULT_LOCAL_ENDPOINT} (the local engine: npm start)
  --aws       read the table and the executions in AWS, with the SDK's usual credentials and region
  --table     default ${LOCAL_TABLE} (the local engine's); on AWS the stack's TableName output
  --stage     on AWS: only the state machines waymark-<stage>-<journey>
  --region    default $AWS_REGION, or ${LOCAL_REGION} for the local engine
  --journeys  the journeys folder, for names and step order (default journeys)
  --limit     executions read per journey, newest first (default ${DEFAULT_EXECUTION_LIMIT})
  --json      print the figures as JSON instead of tables`;

interface ReportRequest {
  target: DataTarget;
  journeysDir: string;
  json: boolean;
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
    const customers = await scanCustomerOverviews({ db: clients.dynamodb, table: target.table });
    // Journeys the data names count too: a journey removed from the folder still has executions.
    const journeyIds = new Set(journeys.map((journey) => journey.id));
    for (const customer of customers) {
      for (const place of customer.journeys) journeyIds.add(place.journeyId);
      for (const { entry } of customer.history) if ('journeyId' in entry) journeyIds.add(entry.journeyId);
    }
    positions = await readExecutionPositions(clients.sfn, {
      journeyIds: [...journeyIds],
      limit: target.executionLimit,
      ...(namePrefix === undefined ? {} : { namePrefix }),
    });
    report = buildReport({
      customers,
      events,
      journeys,
      executions: positions.positions,
      now: (target.endpoint === undefined ? undefined : await engineTime(target.endpoint)) ?? new Date(),
      executionsLimited: positions.limited,
      sendRates: settings?.sendRates,
    });
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

// ---- the command line -------------------------------------------------------------------------

function parseRequest(args: readonly string[]): ReportRequest | 'help' {
  const { values } = parseArgs({
    args: [...args],
    allowPositionals: false,
    options: {
      ...DATA_TARGET_OPTIONS,
      journeys: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return 'help';
  return {
    target: dataTarget(values, 'optional'),
    journeysDir: nonEmpty(values.journeys) ?? 'journeys',
    json: values.json === true,
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

// ---- the tables -------------------------------------------------------------------------------

/** The report as a person reads it: totals first, then each journey, channels, time, compliance, coordination, skips. */
export function formatReport(
  report: Report,
  journeys: readonly Journey[],
  positions?: PositionsRead,
): string {
  const { sources } = report;
  const parts: string[] = [
    `Waymark report, ${report.generatedAt}\n` +
      `Read ${sources.customers} customer(s), ${sources.historyEntries} history entries and ${sources.executions} execution(s).\n`,
    section('Journeys', journeyTable(report.journeys)),
  ];
  for (const journey of report.journeys) {
    const title =
      journey.name === journey.journeyId ? journey.journeyId : `${journey.journeyId}: ${journey.name}`;
    parts.push(
      section(
        `Funnel, ${title}`,
        formatTable(
          [
            { header: 'stage' },
            { header: 'count', align: 'right' },
            { header: 'of entered', align: 'right' },
          ],
          journey.funnel.map((stage) => [stage.label, String(stage.count), percent(stage.ofEntered)]),
        ),
      ),
      section(
        `Steps, ${journey.journeyId}`,
        stepTable(
          journey,
          journeys.find((known) => known.id === journey.journeyId),
        ),
      ),
    );
  }
  parts.push(
    section(
      'Conversion by channel (last touch beside linear multi-touch)',
      formatTable(
        [
          { header: 'channel' },
          { header: 'sent', align: 'right' },
          { header: 'last touch', align: 'right' },
          { header: 'per sent', align: 'right' },
          { header: 'linear', align: 'right' },
          { header: 'per sent', align: 'right' },
        ],
        report.channels.map((row) => [
          row.channel,
          String(row.sent),
          figure(row.lastTouch),
          percent(row.lastTouchRate),
          figure(row.linear),
          percent(row.linearRate),
        ]),
      ),
    ),
    section(
      'Attribution by step',
      report.attribution.length === 0
        ? 'No messages sent and no conversions.\n'
        : formatTable(
            [
              { header: 'journey' },
              { header: 'step' },
              { header: 'channel' },
              { header: 'sent', align: 'right' },
              { header: 'last touch', align: 'right' },
              { header: 'linear', align: 'right' },
            ],
            report.attribution.map((row) => [
              row.journeyId,
              row.stepId,
              row.channel,
              String(row.sent),
              figure(row.lastTouch),
              figure(row.linear),
            ]),
          ),
    ),
    section('Engagement by step', engagementByStepText(report)),
    section('Engagement by channel', engagementByChannelText(report)),
    section(
      'Trigger to first message (nearest rank)',
      formatTable(
        [
          { header: 'journey' },
          { header: 'samples', align: 'right' },
          { header: 'p50', align: 'right' },
          { header: 'p95', align: 'right' },
          { header: 'timed from trigger event', align: 'right' },
        ],
        [
          ...report.journeys.map((journey) => latencyRow(journey.journeyId, journey.firstMessage)),
          latencyRow('all journeys', report.firstMessage),
        ],
      ),
    ),
    section('Preference compliance', complianceText(report)),
    section('Coordination across channels', coordinationText(report)),
    section('Send rates (the most messages sent in any one second)', sendRatesText(report)),
    section('Not sent: caps, quiet hours and other reasons', notSentText(report)),
  );
  const notes = [
    ...sources.executionsLimited.map(
      (journeyId) =>
        `Steps' entered and waiting for ${journeyId} count its most recent executions only (--limit).`,
    ),
    ...(positions?.skipped ?? []).map(
      (machine) => `State machine ${machine.name} not read: ${machine.reason}.`,
    ),
    ...(sources.damagedProfiles > 0
      ? [`${sources.damagedProfiles} stored profile(s) do not parse; their history is counted.`]
      : []),
  ];
  if (notes.length > 0) parts.push(section('Notes', notes.map((note) => `${note}\n`).join('')));
  return parts.join('\n');
}

function section(title: string, body: string): string {
  return `${title}\n${body}`;
}

function journeyTable(journeys: readonly JourneyReport[]): string {
  if (journeys.length === 0) return 'No journeys.\n';
  return formatTable(
    [
      { header: 'journey' },
      { header: 'triggered', align: 'right' },
      { header: 'entered', align: 'right' },
      { header: 'active', align: 'right' },
      { header: 'completed', align: 'right' },
      { header: 'exited', align: 'right' },
      { header: 'failed', align: 'right' },
      { header: 'converted', align: 'right' },
      { header: 'conversion', align: 'right' },
    ],
    journeys.map((journey) => [
      journey.defined ? journey.journeyId : `${journey.journeyId} (no file)`,
      String(journey.triggered),
      String(journey.entered),
      String(journey.active),
      String(journey.completed),
      String(journey.exited),
      String(journey.failed),
      String(journey.converted),
      percent(journey.conversionRate),
    ]),
  );
}

function stepTable(journey: JourneyReport, definition: Journey | undefined): string {
  if (journey.stepOrder.length === 0) return 'No steps.\n';
  const steps = journey.stepOrder.flatMap((stepId) => {
    const counts = journey.steps[stepId];
    return counts === undefined ? [] : [{ stepId, counts }];
  });
  // A column for each channel the journey's steps name or sent on; email, sms and push always.
  const channels = channelSchema.options.filter(
    (channel) =>
      ['email', 'sms', 'push'].includes(channel) ||
      steps.some(({ counts }) => counts.sent[channel] > 0) ||
      Object.values(definition?.steps ?? {}).some(
        (step) => step.type === 'send' && sendChannels(step).includes(channel),
      ),
  );
  return formatTable(
    [
      { header: 'step' },
      { header: 'type' },
      { header: 'entered', align: 'right' },
      { header: 'waiting', align: 'right' },
      { header: 'for a slot', align: 'right' },
      ...channels.map((channel): Column => ({ header: channel, align: 'right' })),
      { header: 'capped', align: 'right' },
      { header: 'deferred', align: 'right' },
      { header: 'not sent', align: 'right' },
      { header: 'exited', align: 'right' },
      { header: 'converted', align: 'right' },
    ],
    steps.map(({ stepId, counts }) => [
      stepId,
      definition === undefined ? '' : (stepById(definition, stepId)?.type ?? '(gone)'),
      String(counts.entered),
      String(counts.waiting),
      String(counts.waitingForSlot),
      ...channels.map((channel) => String(counts.sent[channel])),
      String(counts.capped),
      String(counts.deferred),
      String(counts.notSent),
      String(counts.exited),
      String(counts.converted),
    ]),
  );
}

function latencyRow(label: string, latency: LatencySummary): string[] {
  return [
    label,
    String(latency.samples),
    duration(latency.p50Seconds),
    duration(latency.p95Seconds),
    String(latency.fromTriggerEvent),
  ];
}

function complianceText(report: Report): string {
  const { compliance } = report;
  const lines = [
    `${compliance.violations} violation(s) in ${compliance.messagesChecked} message(s) checked ` +
      `(${compliance.marketingChecked} marketing, ${compliance.transactionalChecked} transactional); must be 0.`,
    `Opted out: ${compliance.byRule['opted-out']}. Suppressed address: ${compliance.byRule.suppressed}. ` +
      `Marketing without opt-in: ${compliance.byRule['no-marketing-consent']}.`,
    'Replayed from each customer\'s profile updates and preferences. Transactional messages need only "not opted out".',
  ];
  const text = lines.map((line) => `${line}\n`).join('');
  if (compliance.examples.length === 0) return text;
  return (
    text +
    formatTable(
      [
        { header: 'time' },
        { header: 'customer' },
        { header: 'journey' },
        { header: 'step' },
        { header: 'channel' },
        { header: 'category' },
        { header: 'rule' },
        { header: 'since' },
      ],
      compliance.examples.map((violation) => [
        violation.time,
        violation.customerId,
        violation.journeyId,
        violation.stepId,
        violation.channel,
        violation.category,
        violation.rule,
        violation.since ?? 'always',
      ]),
    )
  );
}

function coordinationText(report: Report): string {
  const { coordination } = report;
  if (coordination.messages === 0) return 'No messages sent.\n';
  const count = (value: number | null): string => (value === null ? '-' : figure(value));
  const { busiest } = coordination;
  const table = formatTable(
    [{ header: 'figure' }, { header: 'value', align: 'right' }],
    [
      ['customers messaged', String(coordination.customersMessaged)],
      ['messages per messaged customer (mean)', count(coordination.messagesPerCustomer)],
      ['customer-days with a message', String(coordination.customerDays)],
      ['most messages to one customer in one day', count(coordination.maxPerCustomerDay)],
      ['messages per customer-day, p95', count(coordination.p95PerCustomerDay)],
      ['customer-days with 2+ journeys', String(coordination.multiJourneyDays)],
      ['customer-days with 2+ channels', String(coordination.multiChannelDays)],
      ['held back by caps', String(coordination.heldBack.capped)],
      ['held back by quiet hours (deferred)', String(coordination.heldBack.deferred)],
    ],
  );
  const lines = [
    ...(busiest === null
      ? []
      : [
          `Busiest: ${busiest.customerId} on ${busiest.day} (${busiest.timeZone}), ${busiest.messages} message(s) ` +
            `from ${busiest.journeys} journey(s) on ${busiest.channels} channel(s).`,
        ]),
    "Days are the customer's own, in the profile's time zone" +
      (coordination.customersInUtc === 0
        ? '.'
        : `; ${coordination.customersInUtc} customer(s) without one counted in UTC.`),
  ];
  return table + lines.map((line) => `${line}\n`).join('');
}

function sendRatesText(report: Report): string {
  const table = formatTable(
    [
      { header: 'channel' },
      { header: 'configured', align: 'right' },
      { header: 'peak in one second', align: 'right' },
      { header: 'at' },
    ],
    report.sendRates.map((row) => [
      row.channel,
      row.configured === undefined ? '-' : figure(row.configured),
      String(row.peakPerSecond),
      row.peakAt ?? '-',
    ]),
  );
  return (
    table +
    'Every journey together, in any one second from "at", not only whole clock seconds. Configured: settings.sendRates ("-": none).\n' +
    `Waiting for a send slot now: ${report.waitingForSlot} execution(s) (steps' "for a slot"); ` +
    `sends that waited for one: ${report.notSent.byStatus['rate-limited']}.\n`
  );
}

function notSentText(report: Report): string {
  const { notSent } = report;
  const byStatus = Object.entries(notSent.byStatus)
    .map(([status, count]) => `${status} ${count}`)
    .join(', ');
  const lines = [`By status: ${byStatus}.`];
  if (notSent.byStatus.deferred > 0)
    lines.push(
      `Deferred steps that sent once quiet hours ended: ${notSent.deferredThenSent} (a step deferred twice counts once).`,
    );
  const caps = Object.entries(notSent.byCap);
  if (caps.length > 0)
    lines.push(`Capped by cap: ${caps.map(([capId, count]) => `${capId} ${count}`).join(', ')}.`);
  const text = lines.map((line) => `${line}\n`).join('');
  if (notSent.rows.length === 0) return text;
  return (
    formatTable(
      [
        { header: 'journey' },
        { header: 'channel' },
        { header: 'capped', align: 'right' },
        { header: 'deferred (quiet hours)', align: 'right' },
        { header: 'opted out', align: 'right' },
        { header: 'no address', align: 'right' },
        { header: 'failed', align: 'right' },
      ],
      notSent.rows.map((row) => [
        row.journeyId,
        row.channel ?? '-',
        String(row.capped),
        String(row.deferred),
        String(row.optedOut),
        String(row.noAddress),
        String(row.failed),
      ]),
    ) + text
  );
}
