/**
 * `waymark report`'s engagement sections: what came back for the messages, per journey step and
 * channel, then per channel (shared/report/engagement.ts says how each figure counts).
 */
import { engaged } from '../../shared/report/format.ts';
import type { EngagementFigures, Report } from '../../shared/report/types.ts';
import { type Column, formatTable } from './table.ts';

const FIGURE_COLUMNS: readonly Column[] = [
  { header: 'sent', align: 'right' },
  { header: 'delivered', align: 'right' },
  { header: 'opened', align: 'right' },
  { header: 'clicked', align: 'right' },
  { header: 'bounced', align: 'right' },
  { header: 'complained', align: 'right' },
];

function figureCells(figures: EngagementFigures): string[] {
  const { engaged: counts, rates } = figures;
  return [
    String(figures.sent),
    engaged(counts.delivered, rates.delivered),
    engaged(counts.opened, rates.opened),
    engaged(counts.clicked, rates.clicked),
    engaged(counts.bounced, rates.bounced),
    engaged(counts.complained, rates.complained),
  ];
}

export function engagementByStepText(report: Report): string {
  const { rows, unmatched } = report.engagement;
  const table =
    rows.length === 0
      ? 'No messages sent.\n'
      : formatTable(
          [{ header: 'journey' }, { header: 'step' }, { header: 'channel' }, ...FIGURE_COLUMNS],
          rows.map((row) => [row.journeyId, row.stepId, row.channel, ...figureCells(row)]),
        );
  const notes = [
    'Messages with each action, of those sent: a message opened three times counts once; a click counts as an open, and an open, click or complaint as a delivery. "-": the channel does not report it.',
    ...(unmatched === 0
      ? []
      : [`${unmatched} engagement actions name a message not in the history; they are in no rate.`]),
  ];
  return table + notes.map((note) => `${note}\n`).join('');
}

export function engagementByChannelText(report: Report): string {
  const channels = report.engagement.channels.filter((row) => row.sent > 0);
  if (channels.length === 0) return 'No messages sent.\n';
  return formatTable(
    [{ header: 'channel' }, ...FIGURE_COLUMNS],
    channels.map((row) => [row.channel, ...figureCells(row)]),
  );
}
