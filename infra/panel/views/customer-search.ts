/** Customers: search by id, whole email address or phone number (shared/store/customer-search.ts). */
import type { CustomerMatch, CustomerSearch } from '../../../shared/store/customer-search.ts';
import { type Html, html } from '../html.ts';
import { customerHref } from './customers.ts';
import { formatTime } from './layout.ts';

export function customerSearchView(query: string, found: CustomerSearch, limit: number): Html {
  return html`<h1>Customers</h1>
    <form class="inline card" method="get" action="/customers" role="search">
      <input
        type="search"
        name="q"
        value="${query}"
        placeholder="customer id, whole email or phone number"
        aria-label="Search customers"
        data-testid="customer-search"
        autofocus
      />
      <button type="submit">Search</button>
    </form>
    <p class="muted" data-testid="search-help">${SEARCH_HELP}</p>
    ${searchResult(query, found, limit)}`;
}

/** Why a part of a name or address finds nothing: said on the page, so nobody waits for a match. */
const SEARCH_HELP =
  'Search takes a whole email address (any case), a phone number with its country code (+44 20 7946 0000) ' +
  'or a customer id. Parts of a name or an address are not searched: that would read every customer.';

function searchResult(query: string, found: CustomerSearch, limit: number): Html | string {
  switch (found.kind) {
    case 'empty':
      return '';
    case 'customer':
      // The page redirects to the customer; shown only if a host renders it anyway.
      return html`<p><a href="${customerHref(found.customerId)}">${found.customerId}</a></p>`;
    case 'unsearchable':
      return html`<p class="notice" data-testid="search-unsearchable">
        No customer has the id "${query}", and it is not a whole email address or phone number, so nothing
        else was searched.
      </p>`;
    case 'no-index':
      return html`<p class="notice" data-testid="search-no-index">
        This table has no ${found.indexName} index, so customers cannot be found by ${found.by} here. Deploy
        the stage (or, for a table of your own, add the index: docs/data-model.md), then run
        <code>waymark index-addresses</code>.
      </p>`;
    case 'matches':
      return found.matches.length === 0
        ? html`<p class="notice" data-testid="no-customers">No customer has the ${found.by} "${query}".</p>`
        : matchTable(found.matches, found.more, limit);
  }
}

function matchTable(matches: readonly CustomerMatch[], more: boolean, limit: number): Html {
  return html`<table data-testid="customer-results">
      <thead>
        <tr>
          <th>Customer</th>
          <th>Email</th>
          <th>Phone</th>
          <th>Profile updated</th>
        </tr>
      </thead>
      <tbody>
        ${matches.map(
          (match) =>
            html`<tr>
              <td><a href="${customerHref(match.customerId)}">${match.customerId}</a></td>
              <td>${match.email ?? '—'}</td>
              <td>${match.phone ?? '—'}</td>
              <td class="muted">${match.updatedAt === undefined ? '—' : formatTime(match.updatedAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${more ? html`<p class="muted">Showing the first ${limit} customers with this address.</p>` : ''}`;
}
