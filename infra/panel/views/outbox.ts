/** Outbox: every message delivered, across channels, filterable. */
import type { Channel } from '../../../shared/customer/profile.ts';
import { channelSchema } from '../../../shared/customer/profile.ts';
import { assertNever } from '../../../shared/journey/graph.ts';
import { type Html, html } from '../html.ts';
import { customerHref } from './customers.ts';
import { formatTime } from './layout.ts';

export interface DeliveredMessage {
  customerId: string;
  time: string;
  channel: Channel;
  journeyId: string;
  stepId: string;
  category: 'marketing' | 'transactional';
  headline: string;
  preview: string;
  /** Known where the sender kept a copy (locally); the history never stores addresses. */
  recipient?: string;
  /** What a webhook or function answered ("HTTP 202"). */
  response?: string;
  /** Who a webhook or function reached: "system" when it fed another system, not the customer. */
  reaches?: 'customer' | 'system';
}

export interface OutboxFilter {
  channel?: Channel;
  journeyId?: string;
  customer?: string;
}

export function outboxView(
  messages: readonly DeliveredMessage[],
  filter: OutboxFilter,
  journeyIds: readonly string[],
  totals: Readonly<Record<Channel, number>>,
  /** Set when more messages match than are shown: the newest this many. */
  cutAt: number | undefined,
): Html {
  return html`<h1>Outbox</h1>
    <p class="muted">
      Delivered:
      ${channelSchema.options.map((channel) => html`<span class="badge channel">${channel} ${totals[channel]}</span> `)}
    </p>
    <form class="inline card" method="get" action="/outbox" data-testid="outbox-filter">
      <select name="channel" aria-label="Channel">
        <option value="">every channel</option>
        ${channelSchema.options.map(
          (channel) =>
            html`<option value="${channel}" ${filter.channel === channel ? 'selected' : ''}>
              ${channel}
            </option>`,
        )}
      </select>
      <select name="journey" aria-label="Journey">
        <option value="">every journey</option>
        ${journeyIds.map(
          (id) => html`<option value="${id}" ${filter.journeyId === id ? 'selected' : ''}>${id}</option>`,
        )}
      </select>
      <input
        type="search"
        name="customer"
        value="${filter.customer ?? ''}"
        placeholder="customer id"
        aria-label="Customer"
      />
      <button type="submit">Filter</button>
    </form>
    ${
      cutAt === undefined
        ? ''
        : html`<p class="notice" data-testid="outbox-cut">
            The newest ${cutAt} matching messages; filter to see the others.
          </p>`
    }
    ${
      messages.length === 0
        ? html`<p class="notice" data-testid="outbox-empty">No delivered message matches.</p>`
        : html`<table data-testid="outbox">
            <thead>
              <tr>
                <th>Sent</th>
                <th>Channel</th>
                <th>Customer</th>
                <th>To</th>
                <th>Journey / step</th>
                <th>Message</th>
              </tr>
            </thead>
            <tbody>
              ${messages.map(
                (message) =>
                  html`<tr data-testid="outbox-row" data-channel="${message.channel}">
                    <td class="muted">${formatTime(message.time)}</td>
                    <td><span class="badge channel">${message.channel}</span></td>
                    <td><a href="${customerHref(message.customerId)}">${message.customerId}</a></td>
                    <td>${message.recipient ?? '—'}</td>
                    <td>
                      <a href="/journeys/${encodeURIComponent(message.journeyId)}">${message.journeyId}</a> /
                      ${message.stepId}
                    </td>
                    <td>${messageText(message)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }`;
}

/** What each channel sent, as a person recognises it. */
function messageText(message: DeliveredMessage): Html {
  switch (message.channel) {
    // An SMS has no headline of its own (it is the text's start): the text alone says it.
    case 'sms':
      return html`<span>${message.preview}</span>`;
    // WhatsApp's headline names the approved template, its preview lists the parameters.
    case 'email':
    case 'push':
    case 'whatsapp':
      return html`<strong>${message.headline}</strong><br /><span class="muted">${message.preview}</span>`;
    // A call, not a message: the body it carried and what the other side answered.
    case 'webhook':
    case 'function':
      return html`<strong>${message.headline}</strong>
        ${message.reaches === 'system' ? html`<span class="badge">to a system</span>` : ''}
        ${message.response === undefined ? '' : html`<span class="badge ok" data-testid="outbox-response">${message.response}</span>`}
        <br /><code class="muted">${message.preview}</code>`;
    default:
      return assertNever(message.channel);
  }
}
