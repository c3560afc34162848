/** A customer: one customer across every channel (the search is views/customer-search.ts). */
import { channelSchema } from '../../../shared/customer/profile.ts';
import {
  compareTimelineEntries,
  type HistoryEntry,
  type HistoryEntryOf,
} from '../../../shared/customer/history.ts';
import type { EngagementAction } from '../../../shared/journey/engagement-condition.ts';
import { consentChangedAt } from '../../../shared/customer/profile-update.ts';
import { appliedProfileUpdate } from '../../../shared/customer/profile-update-read.ts';
import { assertNever } from '../../../shared/journey/graph.ts';
import type { CapUsage } from '../../../shared/delivery/caps.ts';
import type { ExecutionPosition } from '../../../shared/report/types.ts';
import type { CustomerRecord } from '../../../shared/store/customers.ts';
import type { CustomerOverview } from '../../../shared/store/overview.ts';
import { type Html, html } from '../html.ts';
import { clockControls, formatTime } from './layout.ts';
import { sortableTime } from '../../../shared/store/table.ts';

export function customerHref(customerId: string): string {
  return `/customers/${encodeURIComponent(customerId)}`;
}

export interface CustomerPage {
  overview: CustomerOverview;
  capUsage: readonly CapUsage[];
  executions: readonly ExecutionPosition[];
  /** A short fingerprint of what the live part shows; the page asks again only for a change. */
  version: string;
  flash?: string;
  /** Only a local engine's clock can be moved. */
  clockMovable: boolean;
  /** The newest entries shown; undefined: all of them (asked for with ?all=1). */
  timelineLimit: number | undefined;
}

export function customerView(view: CustomerPage): Html {
  const { overview } = view;
  return html`<h1>Customer <span data-testid="customer-id">${overview.customerId}</span></h1>
    ${view.flash === undefined ? '' : html`<p class="notice ok" data-testid="flash">${view.flash}</p>`}
    ${view.clockMovable ? clockControls(customerHref(overview.customerId)) : ''} ${liveCustomer(view)}`;
}

/**
 * Everything that changes while journeys run (the profile and consent an event updates, the caps a
 * message uses, the journeys, the timeline): asked for again every two seconds, swapped only on change.
 */
export function liveCustomer(view: CustomerPage): Html {
  const { overview } = view;
  const read = overview.customer;
  const all = view.timelineLimit === undefined ? '&all=1' : '';
  const poll = `${customerHref(overview.customerId)}/live?v=${encodeURIComponent(view.version)}${all}`;
  return html`<div id="live" hx-get="${poll}" hx-trigger="every 2s" hx-swap="outerHTML">
    <div class="grid">
      <section class="card" data-testid="profile">
        <h2>Profile</h2>
        ${
          read.found === true
            ? profileFacts(read.customer)
            : read.found === false
              ? html`<p class="muted">No profile yet: only events and journey records are stored.</p>`
              : html`<p class="notice error">${read.reason}</p>`
        }
      </section>
      <section class="card" data-testid="consent">
        <h2>Consent</h2>
        ${read.found === true ? consentTable(read.customer) : html`<p class="muted">Unknown on every channel.</p>`}
      </section>
      <section class="card" data-testid="caps">
        <h2>Frequency caps</h2>
        ${capTable(view.capUsage)}
      </section>
    </div>
    <section class="card" data-testid="active-journeys">
      <h2>Active journeys</h2>
      ${activeJourneys(view.executions)}
    </section>
    <section class="card">
      <h2>Timeline <span class="muted">(${overview.history.length} entries, every channel)</span></h2>
      ${timeline(
        overview.customerId,
        overview.history.map((stored) => stored.entry),
        view.timelineLimit,
      )}
    </section>
  </div>`;
}

function profileFacts(customer: CustomerRecord): Html {
  const profile = customer.profile;
  const attributes = Object.entries(profile.attributes);
  return html`<dl class="facts">
    <dt>Email</dt>
    <dd data-testid="profile-email">${profile.email ?? '—'}</dd>
    <dt>Phone</dt>
    <dd>${profile.phone ?? '—'}</dd>
    <dt>Push</dt>
    <dd>${profile.push === undefined ? '—' : `${profile.push.platform} device`}</dd>
    <dt>Time zone</dt>
    <dd>${profile.timeZone ?? 'the project default'}</dd>
    <dt>Locale</dt>
    <dd>${profile.locale ?? '—'}</dd>
    <dt>Tags</dt>
    <dd>
      ${profile.tags.length === 0 ? '—' : profile.tags.map((tag) => html`<span class="badge">${tag}</span> `)}
    </dd>
    ${attributes.map(
      ([name, value]) =>
        html`<dt>${name}</dt>
          <dd>${typeof value === 'string' ? value : JSON.stringify(value)}</dd>`,
    )}
    <dt>Updated</dt>
    <dd>${profile.updatedAt === undefined ? '—' : formatTime(profile.updatedAt)}</dd>
  </dl>`;
}

function consentTable(customer: CustomerRecord): Html {
  return html`<table>
    <tbody>
      ${channelSchema.options.map((channel) => {
        const suppression = customer.suppressions[channel];
        const changedAt = consentChangedAt(customer.fieldStamps, channel);
        return html`<tr data-channel="${channel}">
          <th>${channel}</th>
          <td>
            <span class="badge ${customer.profile.consent[channel]}" data-testid="consent-${channel}"
              >${customer.profile.consent[channel]}</span
            >
            ${
              suppression === undefined
                ? ''
                : html`<span class="badge suppressed">suppressed after a ${suppression.kind}</span>`
            }
          </td>
          <td class="muted">${changedAt === undefined ? '' : `since ${formatTime(changedAt)}`}</td>
        </tr>`;
      })}
    </tbody>
  </table>`;
}

function capTable(usage: readonly CapUsage[]): Html {
  if (usage.length === 0) return html`<p class="muted">No caps in settings.json.</p>`;
  return html`<table>
    <tbody>
      ${usage.map(
        (cap) =>
          html`<tr data-cap="${cap.capId}">
            <td>
              ${cap.capId}<br /><span class="muted"
                >${cap.channels === 'any' ? 'any channel' : cap.channels.join(', ')} ·
                ${windowName(cap.window)}</span
              >
            </td>
            <td class="number" data-testid="cap-used" title="since ${formatTime(cap.windowStart)}">
              <span class="badge ${cap.used >= cap.limit ? 'capped' : 'ok'}"
                >${cap.used} of ${cap.limit}</span
              >
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function windowName(window: CapUsage['window']): string {
  if (window === 'calendarDay') return 'today';
  if (window === 'calendarWeek') return 'this week';
  return `last ${window.rolling}`;
}

function activeJourneys(executions: readonly ExecutionPosition[]): Html {
  const running = executions.filter((execution) => execution.status === 'running');
  if (running.length === 0)
    return html`<p class="muted" data-testid="no-active-journeys">In no journey now.</p>`;
  return html`<table>
    <thead>
      <tr>
        <th>Journey</th>
        <th>Current step</th>
        <th>Since</th>
      </tr>
    </thead>
    <tbody>
      ${running.map(
        (execution) =>
          html`<tr data-testid="active-journey" data-journey="${execution.journeyId}">
            <td><a href="/journeys/${encodeURIComponent(execution.journeyId)}">${execution.journeyId}</a></td>
            <td><span class="badge">${execution.current ?? 'starting'}</span></td>
            <td class="muted">${formatTime(execution.startedAt)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function timeline(customerId: string, entries: readonly HistoryEntry[], limit: number | undefined): Html {
  if (entries.length === 0) return html`<p class="muted">Nothing yet.</p>`;
  // Newest first: what happened last is what someone on a call needs first.
  const newestFirst = [...entries].sort(timelineOrder).reverse();
  const shown = limit === undefined ? newestFirst : newestFirst.slice(0, limit);
  // An engagement entry names its message by id: the message's headline says which one it was.
  const messages = new Map<string, HistoryEntryOf<'message'>>();
  for (const entry of entries) if (entry.kind === 'message') messages.set(entry.messageId, entry);
  return html`<ol class="timeline" data-testid="timeline">
      ${shown.map((entry) => timelineItem(customerId, entry, messages))}
    </ol>
    ${
      shown.length < newestFirst.length
        ? html`<p class="muted" data-testid="timeline-more">
            The newest ${shown.length} of ${newestFirst.length}.
            <a href="${customerHref(customerId)}?all=1">Show the whole history</a>
          </p>`
        : ''
    }`;
}

/**
 * compareTimelineEntries, with what came back for a message after the message at the same instant: a
 * webhook's delivery is written with the message's own time, and its stored key sorts it first.
 */
function timelineOrder(a: HistoryEntry, b: HistoryEntry): number {
  return compareTimelineEntries(a, b) || Number(a.kind === 'engagement') - Number(b.kind === 'engagement');
}

type MessagesById = ReadonlyMap<string, HistoryEntryOf<'message'>>;

function timelineItem(customerId: string, entry: HistoryEntry, messages: MessagesById): Html {
  return html`<li class="${entry.kind}" data-testid="timeline-entry" data-kind="${entry.kind}">
    <time datetime="${sortableTime(entry.time)}">${formatTime(entry.time)}</time>
    <div class="what">${describeEntry(customerId, entry, messages)}</div>
  </li>`;
}

function describeEntry(customerId: string, entry: HistoryEntry, messages: MessagesById): Html {
  switch (entry.kind) {
    case 'event':
      return html`<span class="headline"><span class="badge">${entry.source}</span> ${entry.detailType}</span>
        <span class="muted">${eventSummary(entry.detail)}</span>
        ${
          entry.problems === undefined
            ? ''
            : html`<span class="badge error"
                  >${appliedProfileUpdate(entry) === undefined ? 'not usable' : 'partly applied'}</span
                >
                <span>${entry.problems.join('; ')}</span>`
        }
        ${
          entry.starts === undefined
            ? ''
            : html`<span class="muted" data-testid="event-starts"
                >starts
                ${entry.starts.map((journeyId, index) => html`${index === 0 ? '' : ', '}${journeyLink(journeyId)}`)}</span
              >`
        }
        <details>
          <summary class="muted">Event detail</summary>
          <pre class="json">${JSON.stringify(entry.detail, null, 2)}</pre>
        </details>`;
    case 'message':
      return html`<span class="headline"
          ><span class="badge channel">${entry.channel}</span>
          <span class="badge sent">sent</span>
          ${entry.channel === 'sms' ? entry.preview : entry.headline}</span
        >
        ${entry.channel === 'sms' ? '' : html`<span class="muted">${entry.preview}</span>`}
        <span class="muted"
          >${journeyStep(entry.journeyId, entry.stepId)} ·
          ${entry.category}${
            entry.reaches === 'system' ? ' · to another system, not the customer' : ''
          }${entry.response === undefined ? '' : ` · answered ${entry.response}`}${
            entry.completes === true ? ' · the journey completed' : ''
          }</span
        >
        ${
          entry.channel === 'email'
            ? html`<details data-testid="email-preview">
                <summary>Preview</summary>
                <iframe
                  class="email-preview"
                  sandbox=""
                  loading="lazy"
                  title="${entry.headline}"
                  src="${customerHref(customerId)}/messages/${encodeURIComponent(entry.messageId)}"
                ></iframe>
              </details>`
            : ''
        }`;
    case 'skipped':
      return html`<span class="headline"
          >${entry.channel === undefined ? '' : html`<span class="badge channel">${entry.channel}</span> `}<span
            class="badge ${entry.status}"
            data-testid="skip-status"
            >${skipLabel(entry.status)}</span
          >
          not sent</span
        >
        <span data-testid="skip-reason">${entry.reason}</span>
        <span class="muted"
          >${journeyStep(entry.journeyId, entry.stepId)}${
            entry.resumeAt === undefined ? '' : ` · tries again at ${formatTime(entry.resumeAt)}`
          }</span
        >`;
    case 'journey':
      return html`<span class="headline"
          >${journeyActionLabel(entry.action)} ${journeyLink(entry.journeyId)}</span
        >
        ${entry.stepId === undefined ? '' : html`<span class="muted">at ${entry.stepId}</span>`}
        ${entry.reason === undefined ? '' : html`<span class="muted">${entry.reason}</span>`}`;
    case 'conversion': {
      const linear = entry.linear.map(
        (touch) => `${touch.channel} ${touch.stepId} ${Math.round(touch.weight * 100)}%`,
      );
      return html`<span class="headline"
          ><span class="badge ok">converted</span> ${journeyLink(entry.journeyId)} on
          ${entry.detailType}</span
        >
        <span class="muted"
          >Last touch:
          ${entry.lastTouch === null ? 'none' : `${entry.lastTouch.channel} ${entry.lastTouch.stepId}`} ·
          linear: ${linear.length === 0 ? 'none' : linear.join(', ')}</span
        >`;
    }
    case 'preference':
      return html`<span class="headline"
          ><span class="badge channel">${entry.channel}</span>
          <span class="badge warn">${entry.action}</span></span
        >
        <span class="muted">${entry.reason}</span>`;
    case 'engagement':
      return describeEngagement(entry, messages.get(entry.messageId));
    default:
      return assertNever(entry);
  }
}

/** "clicked https://shop.example/cart", "opened", "bounced (Permanent)", with the message it was about. */
function describeEngagement(
  entry: HistoryEntryOf<'engagement'>,
  message: HistoryEntryOf<'message'> | undefined,
): Html {
  const { label, tone } = engagementLabel(entry.action);
  const about =
    message === undefined ? '' : `${message.channel === 'sms' ? message.preview : message.headline} · `;
  return html`<span class="headline"
      ><span class="badge channel">${entry.channel}</span>
      <span class="badge ${tone}" data-testid="engagement-action">${label}</span>${
        entry.detail === undefined
          ? ''
          : html` <span data-testid="engagement-detail"
              >${entry.action === 'bounced' ? `(${entry.detail})` : entry.detail}</span
            >`
      }</span
    >
    <span class="muted">${about}${journeyStep(entry.journeyId, entry.stepId)}</span>`;
}

function engagementLabel(action: EngagementAction): { label: string; tone: 'ok' | 'error' } {
  switch (action) {
    case 'delivered':
      return { label: 'delivered', tone: 'ok' };
    case 'opened':
      return { label: 'opened', tone: 'ok' };
    case 'clicked':
      return { label: 'clicked', tone: 'ok' };
    case 'bounced':
      return { label: 'bounced', tone: 'error' };
    case 'complained':
      return { label: 'marked as spam', tone: 'error' };
    default:
      return assertNever(action);
  }
}

function skipLabel(status: Extract<HistoryEntry, { kind: 'skipped' }>['status']): string {
  switch (status) {
    case 'capped':
      return 'capped';
    case 'deferred':
      return 'quiet hours';
    case 'rate-limited':
      return 'waiting for a send slot';
    case 'opted-out':
      return 'opted out';
    case 'no-address':
      return 'no address';
    case 'failed':
      return 'failed';
    default:
      return assertNever(status);
  }
}

function journeyActionLabel(action: Extract<HistoryEntry, { kind: 'journey' }>['action']): string {
  switch (action) {
    case 'entered':
      return 'Entered';
    case 'not-entered':
      return 'Not entered';
    case 'completed':
      return 'Completed';
    case 'failed':
      return 'Failed in';
    case 'exited':
      return 'Exited';
    case 'stopped':
      return 'Stopped in';
    case 'step-failed':
      return 'A step failed in';
    case 'profile-updated':
      return 'Profile updated by';
    default:
      return assertNever(action);
  }
}

function journeyLink(journeyId: string): Html {
  return html`<a href="/journeys/${encodeURIComponent(journeyId)}">${journeyId}</a>`;
}

function journeyStep(journeyId: string, stepId: string): Html {
  return html`${journeyLink(journeyId)} / ${stepId}`;
}

/** The few detail fields that say what the event was about; the rest is one click away. */
function eventSummary(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .filter(
      ([name, value]) => name !== 'customerId' && ['string', 'number', 'boolean'].includes(typeof value),
    )
    .slice(0, 4)
    .map(([name, value]) => `${name}: ${String(value)}`)
    .join(' · ');
}
