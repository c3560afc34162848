/** Try it: send one event for a customer, as their systems would, and watch the journey move. */
import { type Html, html } from '../html.ts';

export interface TryItForm {
  customerId: string;
  detailType: string;
  source: string;
  detail: string;
}

export interface TryItChoice {
  detailType: string;
  description: string;
  /** Where its detail keeps the customer id: `customerId`, `account.id`. */
  customerIdField: string;
  /** Journeys this event starts. */
  starts: readonly string[];
}

export function tryItView(
  form: TryItForm,
  choices: readonly TryItChoice[],
  problems: readonly string[],
): Html {
  const chosen = choices.find((choice) => choice.detailType === form.detailType);
  return html`<h1>Try it</h1>
    <p class="muted">
      Sends the event to the bus exactly as a producer would (PutEvents); the journeys it matches start, and
      the customer page shows what follows.
    </p>
    ${
      problems.length === 0
        ? ''
        : html`<div class="notice error" data-testid="try-problems">
            <strong>The event was not sent:</strong>
            <ul>
              ${problems.map((problem) => html`<li>${problem}</li>`)}
            </ul>
          </div>`
    }
    <form class="card" method="post" action="/try" data-testid="try-form">
      <label for="detailType">Event</label>
      <select
        id="detailType"
        name="detailType"
        hx-get="/try"
        hx-target="body"
        hx-include="[name=customerId]"
        hx-push-url="true"
      >
        ${choices.map(
          (choice) =>
            html`<option
              value="${choice.detailType}"
              ${choice.detailType === form.detailType ? 'selected' : ''}
            >
              ${choice.detailType}${choice.starts.length === 0 ? '' : ` (starts ${choice.starts.join(', ')})`}
            </option>`,
        )}
      </select>
      ${chosen === undefined ? '' : html`<p class="muted">${chosen.description}</p>`}
      <label for="customerId">Customer id</label>
      <input id="customerId" name="customerId" value="${form.customerId}" required />
      <label for="source">Source</label>
      <input id="source" name="source" value="${form.source}" required />
      <label for="detail">
        Detail (JSON; its ${chosen?.customerIdField ?? 'customerId'} is set from the field above)
      </label>
      <textarea id="detail" name="detail" spellcheck="false">${form.detail}</textarea>
      <p><button type="submit" data-testid="try-send">Send event</button></p>
    </form>`;
}
