/**
 * What came back for the messages: delivered, opened, clicked, bounced and complained, each as the
 * share of messages sent, per step and channel (a journey's page) and per channel (metrics).
 * shared/report/engagement.ts says how each figure counts.
 */
import { assertNever } from '../../../shared/journey/graph.ts';
import { ENGAGEMENT_ACTIONS, type EngagementAction } from '../../../shared/journey/engagement-condition.ts';
import { percent } from '../../../shared/report/format.ts';
import type { ChannelEngagement, EngagementFigures, EngagementRow } from '../../../shared/report/types.ts';
import { type Html, html } from '../html.ts';

const HOW_COUNTED =
  'Share of the messages sent: a message opened three times counts once; a click counts as an open, and an open, click or complaint as a delivery. "—": the channel does not report it.';

/** One row per send step and channel that sent a message, in graph order. */
export function engagementByStep(rows: readonly EngagementRow[]): Html {
  if (rows.length === 0)
    return html`<p class="muted" data-testid="engagement-none">No messages sent yet.</p>`;
  return html`<table data-testid="engagement">
      <thead>
        <tr>
          <th>Step</th>
          <th>Channel</th>
          ${figureHeadings()}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (row) =>
            html`<tr data-testid="engagement-row" data-step="${row.stepId}" data-channel="${row.channel}">
              <td>${row.stepId}</td>
              <td><span class="badge channel">${row.channel}</span></td>
              ${figureCells(row)}
            </tr>`,
        )}
      </tbody>
    </table>
    <p class="muted">${HOW_COUNTED}</p>`;
}

/** Every channel that sent a message, every journey together. */
export function engagementByChannel(channels: readonly ChannelEngagement[], unmatched: number): Html {
  const used = channels.filter((row) => row.sent > 0);
  if (used.length === 0) return html`<p class="muted">No messages sent yet.</p>`;
  return html`<table data-testid="engagement-channels">
      <thead>
        <tr>
          <th>Channel</th>
          ${figureHeadings()}
        </tr>
      </thead>
      <tbody>
        ${used.map(
          (row) =>
            html`<tr data-channel="${row.channel}">
              <td><span class="badge channel">${row.channel}</span></td>
              ${figureCells(row)}
            </tr>`,
        )}
      </tbody>
    </table>
    <p class="muted">
      ${HOW_COUNTED}
      ${unmatched === 0 ? '' : `${unmatched} engagement actions name a message not in the history; they are in no rate.`}
    </p>`;
}

function figureHeadings(): Html {
  return html`<th class="number">Sent</th>
    ${ENGAGEMENT_ACTIONS.map((action) => html`<th class="number">${heading(action)}</th>`)}`;
}

/** The share first, the count beside it: "75.0% (3)"; "—" where the rate means nothing. */
function figureCells(figures: EngagementFigures): Html {
  return html`<td class="number">${figures.sent}</td>
    ${ENGAGEMENT_ACTIONS.map((action) => {
      const count = figures.engaged[action];
      const rate = figures.rates[action];
      return html`<td
        class="number"
        data-action="${action}"
        title="${count} of ${figures.sent} messages ${heading(action).toLowerCase()}"
      >
        ${rate === null ? (count === 0 ? '—' : count) : html`${percent(rate)} <span class="muted">(${count})</span>`}
      </td>`;
    })}`;
}

function heading(action: EngagementAction): string {
  switch (action) {
    case 'delivered':
      return 'Delivered';
    case 'opened':
      return 'Opened';
    case 'clicked':
      return 'Clicked';
    case 'bounced':
      return 'Bounced';
    case 'complained':
      return 'Complained';
    default:
      return assertNever(action);
  }
}
