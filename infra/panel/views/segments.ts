/**
 * Audiences: each segment with its size now and the journeys that start from
 * it, and each broadcast run's progress (targeted, entered, sent, skipped by
 * reason) with a bar that follows a running run.
 */
import type { SegmentPreview, SegmentUse } from '../../../shared/audience/preview.ts';
import type { BroadcastProgress } from '../../../shared/report/broadcasts.ts';
import { percent } from '../../../shared/report/format.ts';
import { type Html, html } from '../html.ts';
import type { PanelSegmentFile } from '../sources.ts';
import { formatTime } from './layout.ts';

export interface SegmentRow {
  file: PanelSegmentFile;
  /** The segment's members now; undefined when the file does not load. */
  size?: SegmentPreview;
  uses: readonly SegmentUse[];
}

export interface SegmentsPage {
  rows: readonly SegmentRow[];
  /** Profiles read to size the segments. */
  scanned: number;
  asOf: Date;
  broadcasts: BroadcastsPart;
}

export function segmentsView(view: SegmentsPage): Html {
  return html`<h1>Segments</h1>
    <p class="muted">
      Members now, as of ${formatTime(view.asOf.toISOString())}, among ${view.scanned} stored profiles. The
      same count as <code>waymark segment preview &lt;id&gt;</code>.
    </p>
    ${
      view.rows.length === 0
        ? html`<p class="notice">No segments: add one as journeys/segments/&lt;id&gt;.json.</p>`
        : html`<table data-testid="segments">
            <thead>
              <tr>
                <th>Segment</th>
                <th>About</th>
                <th class="number">Members</th>
                <th>Journeys</th>
                <th>Problems</th>
              </tr>
            </thead>
            <tbody>
              ${view.rows.map(segmentRow)}
            </tbody>
          </table>`
    }
    <h2>Broadcasts</h2>
    ${broadcastsPart(view.broadcasts)}`;
}

function segmentRow(row: SegmentRow): Html {
  const { segment } = row.file;
  return html`<tr data-testid="segment-row" data-segment="${segment?.id ?? row.file.file}">
    <td>
      ${
        segment === undefined
          ? html`<strong>${row.file.file}</strong>`
          : html`<strong>${segment.name}</strong><br /><span class="muted"
                >${segment.id} · segments/${row.file.file}</span
              >`
      }
    </td>
    <td>
      ${segment?.description ?? ''}
      ${segment?.everyone === true ? html`<span class="badge warn">every customer</span>` : ''}
    </td>
    <td class="number" data-testid="segment-size">${row.size === undefined ? '—' : row.size.count}</td>
    <td>
      ${
        row.uses.length === 0
          ? html`<span class="muted">none</span>`
          : row.uses.map(
              (use) =>
                html`<a href="/journeys/${encodeURIComponent(use.journeyId)}">${use.journeyId}</a>
                  <span class="muted">(${useLabel(use)})</span><br />`,
            )
      }
    </td>
    <td>
      ${
        row.file.problems.length === 0
          ? html`<span class="badge ok">valid</span>`
          : html`<ul class="problems">
              ${row.file.problems.map(
                (problem) =>
                  html`<li>
                    <span class="badge ${problem.severity === 'error' ? 'error' : 'warn'}"
                      >${problem.severity}</span
                    >
                    <code>${problem.path}</code>${problem.line > 0 ? ` (line ${problem.line})` : ''}:
                    ${problem.message}
                  </li>`,
              )}
            </ul>`
      }
    </td>
  </tr>`;
}

function useLabel(use: SegmentUse): string {
  switch (use.kind) {
    case 'once':
      return 'one-off broadcast';
    case 'recurring':
      return 'recurring broadcast';
    case 'enter':
      return 'on entering';
  }
}

// ---- broadcasts --------------------------------------------------------------------------------

export interface BroadcastsPart {
  runs: readonly BroadcastProgress[];
  /** Where the part asks for itself again while a run is running. */
  pollPath: string;
  /** What the part shows, hashed: the poll answers "unchanged" while it is the same. */
  version: string;
  /** Show which journey each run belongs to (the segments page lists every broadcast journey). */
  showJourney: boolean;
}

/** The runs, newest first; it polls every 2 seconds while one is running, and stops once all are done. */
export function broadcastsPart(part: BroadcastsPart): Html {
  const running = part.runs.some((run) => run.status === 'running');
  const poll = `${part.pollPath}?v=${encodeURIComponent(part.version)}`;
  return html`<div
    id="broadcasts"
    data-testid="broadcasts"
    ${running ? html`hx-get="${poll}" hx-trigger="every 2s" hx-swap="outerHTML"` : ''}
  >
    ${
      part.runs.length === 0
        ? html`<p class="muted" data-testid="no-broadcasts">No broadcast has run yet.</p>`
        : html`<table>
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th>Progress</th>
                <th class="number">Targeted</th>
                <th class="number">Entered</th>
                <th class="number">Not entered</th>
                <th class="number">Sent</th>
                <th>Skipped</th>
              </tr>
            </thead>
            <tbody>
              ${part.runs.map((run) => broadcastRow(run, part.showJourney))}
            </tbody>
          </table>`
    }
  </div>`;
}

function broadcastRow(run: BroadcastProgress, showJourney: boolean): Html {
  const through = run.entered + run.notEntered;
  return html`<tr data-testid="broadcast-run" data-journey="${run.journeyId}" data-run="${run.runId}">
    <td>
      ${
        showJourney
          ? html`<a href="/journeys/${encodeURIComponent(run.journeyId)}">${run.journeyId}</a><br />`
          : ''
      }
      <strong>${run.runId.replace('T', ' ')}</strong><br />
      <span class="muted">${run.zone === 'customer' ? "each customer's time" : run.zone}</span>
    </td>
    <td>
      <span class="badge ${run.status === 'running' ? 'active' : 'ok'}">${run.status}</span>
    </td>
    <td>
      ${
        run.targeted === undefined
          ? html`<progress data-testid="broadcast-progress" aria-label="finding the members"></progress>
              <span class="muted">finding the members</span>`
          : html`<progress
                data-testid="broadcast-progress"
                max="${Math.max(run.targeted, 1)}"
                value="${run.targeted === 0 ? 1 : Math.min(through, run.targeted)}"
              >
                ${percent(run.share)}
              </progress>
              <span class="muted">${through} of ${run.targeted} (${percent(run.share)})</span>`
      }
      <br /><span class="muted"
        >due
        ${run.lastAt === run.firstAt ? formatTime(run.firstAt) : `${formatTime(run.firstAt)} to ${formatTime(run.lastAt)}`}</span
      >
    </td>
    <td class="number" data-testid="broadcast-targeted">
      ${run.targeted ?? '…'}${
        run.unreadable === 0
          ? ''
          : html`<br /><span class="muted" data-testid="broadcast-unreadable"
                >${run.unreadable} profiles unreadable</span
              >`
      }
    </td>
    <td class="number" data-testid="broadcast-entered">${run.entered}</td>
    <td class="number" data-testid="broadcast-not-entered">
      ${run.notEntered}${reasons(run.notEnteredByReason)}
    </td>
    <td class="number" data-testid="broadcast-sent">${run.sent}</td>
    <td data-testid="broadcast-skipped">
      ${run.skipped === 0 ? '0' : html`${run.skipped}${reasons(run.skippedByReason)}`}
    </td>
  </tr>`;
}

/** Each reason under the figure, one a line, most first: "capped 2", "opted-out 1". */
function reasons(byReason: Partial<Record<string, number>>): Html | string {
  const entries = Object.entries(byReason)
    .flatMap(([reason, count]) => (count === undefined || count === 0 ? [] : [[reason, count] as const]))
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b));
  if (entries.length === 0) return '';
  return html`${entries.map(([reason, count]) => html`<br /><span class="muted">${reason} ${count}</span>`)}`;
}
