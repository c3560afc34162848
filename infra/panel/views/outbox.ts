/** Outbox: every message delivered, across channels, filterable. */
import type { Channel } from '../../../shared/customer/profile.ts';
import { channelSchema } from '../../../shared/customer/profile.ts';
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

/** An SMS has no headline of its own (it is the text's start): the text alone says it. */
function messageText(message: DeliveredMessage): Html {
  return message.channel === 'sms'
    ? html`<span>${message.preview}</span>`
    : html`<strong>${message.headline}</strong><br /><span class="muted">${message.preview}</span>`;
}
