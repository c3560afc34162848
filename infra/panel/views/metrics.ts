/** Metrics across channels: funnels, conversion, attribution, speed, compliance, coordination, send rates, what was held back. */
import { duration, figure, percent } from '../../../shared/report/format.ts';
import type { Report } from '../../../shared/report/types.ts';
import { type Html, html } from '../html.ts';
import { engagementByChannel } from './engagement.ts';
import { formatTime } from './layout.ts';

/** Where the figures that need every customer read are: the page reads counters only. */
const FULL_REPORT = html`<code>npx waymark report --full</code>`;

export function metricsView(report: Report): Html {
  const sent = report.channels.reduce((total, channel) => total + channel.sent, 0);
  const conversions = report.journeys.reduce((total, journey) => total + journey.conversions, 0);
  const { compliance, firstMessage } = report;
  const customers = report.sources.customers === undefined ? '' : `${report.sources.customers} customers, `;
  return html`<h1>Metrics</h1>
    <p class="muted" data-testid="metrics-sources">
      ${customers}${report.sources.historyEntries} history entries, ${report.sources.executions} executions,
      as of ${formatTime(report.generatedAt)}.
      ${
        report.basis === 'counters'
          ? html`Counted as the entries were written; figures that need each customer read (trigger to first
            message, compliance, coordination, send rates reached) are in ${FULL_REPORT}.`
          : ''
      }
    </p>
    ${
      report.sources.executionsLimited.length === 0
        ? ''
        : html`<p class="notice" data-testid="executions-limited">
            Only the newest executions of ${report.sources.executionsLimited.join(', ')} were read: their
            entered and waiting counts are partial, while sent and not-sent counts cover the whole history.
          </p>`
    }
    <div class="grid">
      <section class="card">
        <h2>Messages sent</h2>
        <div class="figure" data-testid="messages-sent">${sent}</div>
      </section>
      <section class="card">
        <h2>Conversions</h2>
        <div class="figure">${conversions}</div>
      </section>
      <section class="card">
        <h2>Trigger to first message</h2>
        ${
          firstMessage === undefined
            ? html`<div class="figure muted" data-testid="first-message">—</div>
                <p class="muted">Timed per execution from each customer's history: ${FULL_REPORT}.</p>`
            : html`<div class="figure" data-testid="first-message">
                  ${duration(firstMessage.p50Seconds)} <span class="muted">p50</span> ·
                  ${duration(firstMessage.p95Seconds)} <span class="muted">p95</span>
                </div>
                <p class="muted">${firstMessage.samples} executions that sent a message.</p>`
        }
      </section>
      <section class="card">
        <h2>Preference compliance</h2>
        ${
          compliance === undefined
            ? html`<div class="figure muted" data-testid="compliance-violations">—</div>
                <p class="muted">
                  Each message checked against the customer's consent history (must be 0): ${FULL_REPORT}.
                </p>`
            : html`<div
                  class="figure ${compliance.violations === 0 ? 'good' : 'bad'}"
                  data-testid="compliance-violations"
                >
                  ${compliance.violations}
                </div>
                <p class="muted">
                  messages to opted-out or suppressed addresses, of ${compliance.messagesChecked} checked
                  against the consent history (must be 0).
                </p>`
        }
      </section>
    </div>

    <h2>Journeys</h2>
    ${report.journeys.map(
      (journey) =>
        html`<section class="card" data-testid="funnel" data-journey="${journey.journeyId}">
          <h3>
            <a href="/journeys/${encodeURIComponent(journey.journeyId)}">${journey.name}</a>
            <span class="muted">· converted ${percent(journey.conversionRate)} of those who entered</span>
          </h3>
          <table>
            <tbody>
              ${journey.funnel.map(
                (stage) =>
                  html`<tr>
                    <td class="stage">${stage.label}</td>
                    <td class="number">${stage.count}</td>
                    <td class="bar-cell">
                      <meter min="0" max="1" value="${stage.ofEntered ?? 1}">
                        ${percent(stage.ofEntered)}
                      </meter>
                    </td>
                    <td class="number muted">${percent(stage.ofEntered)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
          <p class="muted">
            active ${journey.active} · completed ${journey.completed} · exited ${journey.exited} · failed
            ${journey.failed} · stopped ${journey.stopped} · not entered ${journey.notEntered}
            ${
              journey.firstMessage === undefined
                ? ''
                : html` · first message p50 ${duration(journey.firstMessage.p50Seconds)}, p95
                  ${duration(journey.firstMessage.p95Seconds)}`
            }
          </p>
        </section>`,
    )}

    <h2>Conversion by channel</h2>
    <table data-testid="channels">
      <thead>
        <tr>
          <th>Channel</th>
          <th class="number">Sent</th>
          <th class="number">Last touch</th>
          <th class="number">Linear</th>
          <th class="number">Last-touch rate</th>
          <th class="number">Linear rate</th>
        </tr>
      </thead>
      <tbody>
        ${report.channels.map(
          (channel) =>
            html`<tr data-channel="${channel.channel}">
              <td><span class="badge channel">${channel.channel}</span></td>
              <td class="number">${channel.sent}</td>
              <td class="number">${channel.lastTouch}</td>
              <td class="number">${figure(channel.linear)}</td>
              <td class="number">${percent(channel.lastTouchRate)}</td>
              <td class="number">${percent(channel.linearRate)}</td>
            </tr>`,
        )}
      </tbody>
    </table>

    <h2>Engagement by channel</h2>
    ${engagementByChannel(report.engagement.channels, report.engagement.unmatched)}

    <h2>Attribution: last touch beside linear multi-touch</h2>
    <p class="muted">
      Last touch gives a conversion wholly to the last message before it; linear splits it equally over every
      message in the attribution window.
    </p>
    <table data-testid="attribution">
      <thead>
        <tr>
          <th>Journey</th>
          <th>Step</th>
          <th>Channel</th>
          <th class="number">Sent</th>
          <th class="number">Last touch</th>
          <th class="number">Linear</th>
        </tr>
      </thead>
      <tbody>
        ${report.attribution.map(
          (row) =>
            html`<tr>
              <td>${row.journeyId}</td>
              <td>${row.stepId}</td>
              <td><span class="badge channel">${row.channel}</span></td>
              <td class="number">${row.sent}</td>
              <td class="number">${row.lastTouch}</td>
              <td class="number">${figure(row.linear)}</td>
            </tr>`,
        )}
      </tbody>
    </table>

    ${coordinationSection(report)} ${sendRatesSection(report)}

    <h2>Held back: caps, quiet hours and other reasons</h2>
    <p>
      <span class="badge capped" data-testid="capped-total">capped ${report.notSent.byStatus.capped}</span>
      <span class="badge deferred" data-testid="deferred-total"
        >quiet hours ${report.notSent.byStatus.deferred}</span
      >
      <span class="badge opted-out">opted out ${report.notSent.byStatus['opted-out']}</span>
      <span class="badge no-address">no address ${report.notSent.byStatus['no-address']}</span>
      <span class="badge failed">failed ${report.notSent.byStatus.failed}</span>
      <span class="muted"
        >· ${report.notSent.deferredThenSent} deferred messages went out once quiet hours ended</span
      >
    </p>
    <table data-testid="not-sent">
      <thead>
        <tr>
          <th>Journey</th>
          <th>Channel</th>
          <th class="number">Capped</th>
          <th class="number">Quiet hours</th>
          <th class="number">Opted out</th>
          <th class="number">No address</th>
          <th class="number">Failed</th>
        </tr>
      </thead>
      <tbody>
        ${report.notSent.rows.map(
          (row) =>
            html`<tr>
              <td>${row.journeyId}</td>
              <td>${row.channel ?? '—'}</td>
              <td class="number">${row.capped}</td>
              <td class="number">${row.deferred}</td>
              <td class="number">${row.optedOut}</td>
              <td class="number">${row.noAddress}</td>
              <td class="number">${row.failed}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${
      Object.keys(report.notSent.byCap).length === 0
        ? ''
        : html`<p class="muted">
            By cap:
            ${Object.entries(report.notSent.byCap)
              .map(([capId, count]) => `${capId} ${count}`)
              .join(', ')}
          </p>`
    }
    ${
      compliance === undefined || compliance.examples.length === 0
        ? ''
        : html`<h2>Messages that broke a preference</h2>
            <table data-testid="violations">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Customer</th>
                  <th>Journey / step</th>
                  <th>Channel</th>
                  <th>Rule</th>
                </tr>
              </thead>
              <tbody>
                ${compliance.examples.map(
                  (violation) =>
                    html`<tr>
                      <td>${violation.time}</td>
                      <td>${violation.customerId}</td>
                      <td>${violation.journeyId} / ${violation.stepId}</td>
                      <td>${violation.channel}</td>
                      <td>${violation.rule}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
    }`;
}

/** Per customer and customer-day: only a read of every customer counts these. */
function coordinationSection(report: Report): Html {
  const { coordination } = report;
  const heldBack = html`<section class="card">
    <h3>Held back to coordinate</h3>
    <div class="figure" data-testid="coordination-held-back">
      ${report.notSent.byStatus.capped} <span class="muted">capped</span> ·
      ${report.notSent.byStatus.deferred} <span class="muted">quiet hours</span>
    </div>
    <p class="muted">messages kept within the shared frequency caps and quiet hours, counted below.</p>
  </section>`;
  if (coordination === undefined) {
    return html`<section data-testid="coordination">
      <h2>Coordination across channels</h2>
      <p class="muted">
        Messages per customer and per customer-day (the customer's own day) are counted from each customer's
        history: ${FULL_REPORT}.
      </p>
      <div class="grid">${heldBack}</div>
    </section>`;
  }
  const count = (value: number | null): string => (value === null ? '—' : figure(value));
  const utcNote =
    coordination.customersInUtc === 0
      ? ''
      : `${coordination.customersInUtc} customers without one are counted in UTC.`;
  const busiest = coordination.busiest;
  const busiestNote =
    busiest === null
      ? ''
      : html`The most:
          <a href="/customers/${encodeURIComponent(busiest.customerId)}">${busiest.customerId}</a> on
          ${busiest.day}.`;
  return html`<section data-testid="coordination">
    <h2>Coordination across channels</h2>
    <p class="muted">
      One conversation, not a pile of messages: counted per customer and per customer-day, the customer's own
      day in the profile's time zone. ${utcNote}
    </p>
    <div class="grid">
      <section class="card">
        <h3>Customers messaged</h3>
        <div class="figure" data-testid="customers-messaged">${coordination.customersMessaged}</div>
        <p class="muted">
          ${count(coordination.messagesPerCustomer)} messages each on average, ${coordination.messages} in
          all.
        </p>
      </section>
      <section class="card">
        <h3>Most to one customer in a day</h3>
        <div class="figure" data-testid="max-per-day">${count(coordination.maxPerCustomerDay)}</div>
        <p class="muted">
          p95 ${count(coordination.p95PerCustomerDay)} over ${coordination.customerDays} customer-days with a
          message. ${busiestNote}
        </p>
      </section>
      <section class="card">
        <h3>Days with 2+ journeys</h3>
        <div class="figure" data-testid="multi-journey-days">${coordination.multiJourneyDays}</div>
        <p class="muted">
          customer-days with messages from two or more journeys; ${coordination.multiChannelDays} on two or
          more channels.
        </p>
      </section>
      ${heldBack}
    </div>
  </section>`;
}

/** The rate each channel reached beside the configured one, and the messages waiting for a slot now. */
function sendRatesSection(report: Report): Html {
  const waiting = html`<p>
    <span class="badge deferred" data-testid="waiting-for-slot"
      >waiting for a send slot now ${report.waitingForSlot}</span
    >
    <span class="muted">· ${report.notSent.byStatus['rate-limited']} sends waited for a slot in all</span>
  </p>`;
  if (report.sendRates === undefined) {
    return html`<section data-testid="send-rates">
      <h2>Send rates</h2>
      <p class="muted">
        The most messages sent in any one second, every journey together, is found among every message's time:
        ${FULL_REPORT}.
      </p>
      ${waiting}
    </section>`;
  }
  return html`<section data-testid="send-rates">
    <h2>Send rates</h2>
    <p class="muted">
      The most messages sent in any one second, every journey together: a window that may start at any moment,
      not only on the clock's seconds. Configured is settings.sendRates (messages a second).
    </p>
    <table data-testid="send-rates-table">
      <thead>
        <tr>
          <th>Channel</th>
          <th class="number">Configured</th>
          <th class="number">Peak in one second</th>
          <th>At</th>
        </tr>
      </thead>
      <tbody>
        ${report.sendRates.map(
          (row) =>
            html`<tr data-channel="${row.channel}">
              <td><span class="badge channel">${row.channel}</span></td>
              <td class="number">${row.configured === undefined ? '—' : figure(row.configured)}</td>
              <td class="number" data-testid="peak-per-second">${row.peakPerSecond}</td>
              <td>
                ${row.peakAt === undefined ? '—' : html`<time datetime="${row.peakAt}">${toMillisecond(row.peakAt)}</time>`}
              </td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${waiting}
  </section>`;
}

/** The window is under a second long: its start is shown to the millisecond, unlike the page's other times. */
function toMillisecond(time: string): string {
  const parsed = Date.parse(time);
  if (Number.isNaN(parsed)) return time;
  return `${new Date(parsed).toISOString().slice(0, 23).replace('T', ' ')} UTC`;
}
