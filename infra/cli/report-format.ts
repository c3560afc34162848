/**
 * `waymark report`'s tables: the report as a person reads it, totals first, then each journey, channels,
 * engagement and what was not sent; the per-customer figures (time to first message, compliance,
 * coordination, send rates reached) when the report read every customer (`--full`).
 */
import { stepById } from '../../shared/journey/graph.ts';
import { type Journey, sendChannels } from '../../shared/journey/schema.ts';
import { channelSchema } from '../../shared/customer/profile.ts';
import type { PositionsRead } from '../../shared/report/positions.ts';
import type {
  ComplianceReport,
  CoordinationReport,
  JourneyReport,
  LatencySummary,
  Report,
  SendRateRow,
} from '../../shared/report/types.ts';
import { duration, figure, percent } from '../../shared/report/format.ts';
import { type Column, formatTable } from './table.ts';
import { engagementByChannelText, engagementByStepText } from './report-engagement.ts';

/** The report as a person reads it: totals first, then each journey, channels, time, compliance, coordination, skips. */
export function formatReport(
  report: Report,
  journeys: readonly Journey[],
  positions?: PositionsRead,
): string {
  const { sources } = report;
  const read =
    sources.customers === undefined
      ? `Counted ${sources.historyEntries} history entries as they were written; read ${sources.executions} execution(s).\n` +
        'Time to first message, compliance, coordination and send rates reached read every customer: waymark report --full.\n'
      : `Read ${sources.customers} customer(s), ${sources.historyEntries} history entries and ${sources.executions} execution(s).\n`;
  const parts: string[] = [
    `Waymark report, ${report.generatedAt}\n${read}`,
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
    ...perCustomerSections(report),
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
    ...(sources.damagedProfiles !== undefined && sources.damagedProfiles > 0
      ? [`${sources.damagedProfiles} stored profile(s) do not parse; their history is counted.`]
      : []),
  ];
  if (notes.length > 0) parts.push(section('Notes', notes.map((note) => `${note}\n`).join('')));
  return parts.join('\n');
}

/** What only a read of every customer gives (`--full`); from the counters, the send-slot waits alone. */
function perCustomerSections(report: Report): string[] {
  const { firstMessage, compliance, coordination, sendRates } = report;
  const sections: string[] = [];
  if (firstMessage !== undefined) {
    sections.push(
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
            ...report.journeys.flatMap((journey) =>
              journey.firstMessage === undefined ? [] : [latencyRow(journey.journeyId, journey.firstMessage)],
            ),
            latencyRow('all journeys', firstMessage),
          ],
        ),
      ),
    );
  }
  if (compliance !== undefined) sections.push(section('Preference compliance', complianceText(compliance)));
  if (coordination !== undefined)
    sections.push(section('Coordination across channels', coordinationText(coordination)));
  sections.push(
    sendRates === undefined
      ? section('Send rates', waitingText(report))
      : section('Send rates (the most messages sent in any one second)', sendRatesText(sendRates, report)),
  );
  return sections;
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
      { header: 'stopped', align: 'right' },
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
      String(journey.stopped),
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

function complianceText(compliance: ComplianceReport): string {
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

function coordinationText(coordination: CoordinationReport): string {
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

function sendRatesText(sendRates: readonly SendRateRow[], report: Report): string {
  const table = formatTable(
    [
      { header: 'channel' },
      { header: 'configured', align: 'right' },
      { header: 'peak in one second', align: 'right' },
      { header: 'at' },
    ],
    sendRates.map((row) => [
      row.channel,
      row.configured === undefined ? '-' : figure(row.configured),
      String(row.peakPerSecond),
      row.peakAt ?? '-',
    ]),
  );
  return (
    table +
    'Every journey together, in any one second from "at", not only whole clock seconds. Configured: settings.sendRates ("-": none).\n' +
    waitingText(report)
  );
}

function waitingText(report: Report): string {
  return (
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
