/** Journeys: each file with its status and problems; one journey drawn with live counts per step. */
import { formatProblem } from '../../../shared/journey/problem.ts';
import { layoutJourney } from '../graph-layout.ts';
import type { Journey } from '../../../shared/journey/schema.ts';
import type { EngagementRow, JourneyReport, StepCounts } from '../../../shared/report/types.ts';
import { type Html, html } from '../html.ts';
import type { PanelJourneyFile } from '../sources.ts';
import { engagementByStep } from './engagement.ts';
import { journeyGraphSvg } from './journey-graph.ts';
import { clockControls } from './layout.ts';
import { describeTrigger } from '../../../shared/journey/trigger.ts';

export interface JourneyTotals {
  entered: number;
  active: number;
  converted: number;
}

export function journeyListView(
  files: readonly PanelJourneyFile[],
  totals: ReadonlyMap<string, JourneyTotals>,
): Html {
  return html`<h1>Journeys</h1>
    <table data-testid="journeys">
      <thead>
        <tr>
          <th>Journey</th>
          <th>Status</th>
          <th>Trigger</th>
          <th class="number">Entered</th>
          <th class="number">Active</th>
          <th class="number">Converted</th>
          <th>Problems</th>
        </tr>
      </thead>
      <tbody>
        ${files.map((file) => {
          const journey = file.journey;
          const figures = journey === undefined ? undefined : totals.get(journey.id);
          return html`<tr data-testid="journey-row" data-file="${file.file}">
            <td>
              ${
                journey === undefined
                  ? html`<strong>${file.file}</strong>`
                  : html`<a href="/journeys/${encodeURIComponent(journey.id)}"
                        ><strong>${journey.name}</strong></a
                      ><br /><span class="muted">${journey.id} · ${file.file}</span>`
              }
            </td>
            <td>${statusBadge(file)}</td>
            <td>${journey === undefined ? '—' : describeTrigger(journey.trigger)}</td>
            <td class="number">${figures?.entered ?? 0}</td>
            <td class="number">${figures?.active ?? 0}</td>
            <td class="number">${figures?.converted ?? 0}</td>
            <td>${problemList(file)}</td>
          </tr>`;
        })}
      </tbody>
    </table>`;
}

export interface JourneyPage {
  file: PanelJourneyFile;
  journey: Journey;
  counts: ReadonlyMap<string, StepCounts>;
  /** Delivered, opened, clicked and bounced per send step and channel. */
  engagement: readonly EngagementRow[];
  totals: JourneyTotals;
  version: string;
  clockMovable: boolean;
  /** Only the newest executions were read (Step Functions), so entered and waiting are partial. */
  executionsLimited: boolean;
}

export function journeyView(view: JourneyPage): Html {
  const { journey } = view;
  return html`<h1>${journey.name} <span class="muted">${journey.id}</span></h1>
    <section class="card">
      <dl class="facts">
        <dt>Status</dt>
        <dd>${statusBadge(view.file)}</dd>
        <dt>File</dt>
        <dd>journeys/${view.file.file}</dd>
        <dt>Starts on</dt>
        <dd>
          ${describeTrigger(journey.trigger)}${'filter' in journey.trigger && journey.trigger.filter !== undefined ? ' (with a filter)' : ''}
        </dd>
        <dt>Exits on</dt>
        <dd>
          ${
            journey.exitOn.length === 0
              ? '—'
              : journey.exitOn.map((exit) => `${exit.event}${exit.goal ? ' (goal)' : ''}`).join(', ')
          }
        </dd>
        ${
          journey.description === undefined
            ? ''
            : html`<dt>About</dt>
                <dd>${journey.description}</dd>`
        }
      </dl>
      ${
        view.file.problems.length === 0
          ? ''
          : html`<h2>Problems</h2>
              ${problemList(view.file)}`
      }
    </section>
    ${view.clockMovable ? clockControls(`/journeys/${encodeURIComponent(journey.id)}`) : ''}
    ${liveJourney(view)}`;
}

export function liveJourney(view: JourneyPage): Html {
  const poll = `/journeys/${encodeURIComponent(view.journey.id)}/live?v=${encodeURIComponent(view.version)}`;
  return html`<div id="live" hx-get="${poll}" hx-trigger="every 2s" hx-swap="outerHTML">
    <p>
      <span class="badge">entered ${view.totals.entered}</span>
      <span class="badge active">active ${view.totals.active}</span>
      <span class="badge ok">converted ${view.totals.converted}</span>
    </p>
    ${
      view.executionsLimited
        ? html`<p class="notice" data-testid="executions-limited">
            Only the newest executions were read: entered and waiting are partial; sent and not sent are
            complete.
          </p>`
        : ''
    }
    <div class="graph-wrap" data-testid="journey-graph">
      ${journeyGraphSvg(view.journey, layoutJourney(view.journey), view.counts)}
    </div>
    <h2>Engagement</h2>
    ${engagementByStep(view.engagement)}
  </div>`;
}

function statusBadge(file: PanelJourneyFile): Html {
  if (file.journey === undefined) return html`<span class="badge error">does not load</span>`;
  const status = file.journey.status;
  return html`<span class="badge ${status}">${status}</span>
    ${file.running ? '' : html`<span class="badge error" title="Fix its errors to run it">not running</span>`}`;
}

function problemList(file: PanelJourneyFile): Html {
  if (file.problems.length === 0) return html`<span class="badge ok">valid</span>`;
  return html`<ul class="problems" data-testid="problems">
    ${file.problems.map(
      (problem) =>
        html`<li>
          <span class="badge ${problem.severity === 'error' ? 'error' : 'warn'}">${problem.severity}</span>
          <code>${problem.path}</code>${problem.line > 0 ? ` (line ${problem.line})` : ''}: ${problem.message}
          ${problem.hint === undefined ? '' : html`<br /><span class="muted">${problem.hint}</span>`}
          <span hidden>${formatProblem(problem)}</span>
        </li>`,
    )}
  </ul>`;
}

/** A journey known only from the data (its file was removed or renamed): its figures, step by step. */
export function recordedJourneyView(
  journey: JourneyReport,
  engagement: readonly EngagementRow[],
  brokenFile: string | undefined,
): Html {
  return html`<h1>${journey.journeyId}</h1>
    ${
      brokenFile === undefined
        ? html`<p class="notice" data-testid="journey-not-in-folder">
            This journey is not in journeys/ any more (removed or renamed); its customers' records remain.
          </p>`
        : html`<p class="notice error" data-testid="journey-does-not-load">
            journeys/${brokenFile} does not load: its problems are listed on <a href="/journeys">Journeys</a>.
            Its customers' records remain.
          </p>`
    }
    <p>
      <span class="badge">entered ${journey.entered}</span>
      <span class="badge active">active ${journey.active}</span>
      <span class="badge ok">converted ${journey.converted}</span>
    </p>
    <table>
      <thead>
        <tr>
          <th>Step</th>
          <th class="number">Entered</th>
          <th class="number">Sent</th>
          <th class="number">Capped</th>
          <th class="number">Quiet hours</th>
          <th class="number">Not sent</th>
          <th class="number">Exited</th>
        </tr>
      </thead>
      <tbody>
        ${journey.stepOrder.map((stepId) => {
          const counts = journey.steps[stepId];
          return counts === undefined
            ? ''
            : html`<tr>
                <td>${stepId}</td>
                <td class="number">${counts.entered}</td>
                <td class="number">${Object.values(counts.sent).reduce((sum, sent) => sum + sent, 0)}</td>
                <td class="number">${counts.capped}</td>
                <td class="number">${counts.deferred}</td>
                <td class="number">${counts.notSent}</td>
                <td class="number">${counts.exited}</td>
              </tr>`;
        })}
      </tbody>
    </table>
    <h2>Engagement</h2>
    ${engagementByStep(engagement)}`;
}
