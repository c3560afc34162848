/** The page around every view: navigation, the time the engine is at, and the scripts. */
import { type Html, html } from '../html.ts';

export type Section = 'customers' | 'journeys' | 'segments' | 'outbox' | 'metrics' | 'try';

const SECTIONS: readonly { id: Section; label: string; href: string }[] = [
  { id: 'customers', label: 'Customers', href: '/customers' },
  { id: 'journeys', label: 'Journeys', href: '/journeys' },
  { id: 'segments', label: 'Segments', href: '/segments' },
  { id: 'outbox', label: 'Outbox', href: '/outbox' },
  { id: 'metrics', label: 'Metrics', href: '/metrics' },
  { id: 'try', label: 'Try it', href: '/try' },
];

export interface PageFrame {
  title: string;
  section: Section;
  now: Date;
  /** The local engine's clock; absent when pointed at AWS. */
  clockMode?: string;
}

export function page(frame: PageFrame, body: Html): Html {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${frame.title} · Waymark</title>
        <!-- htmx's own indicator styles would be inline, which the page's CSP refuses. -->
        <meta name="htmx-config" content='{"includeIndicatorStyles": false}' />
        <link rel="stylesheet" href="/assets/panel.css" />
        <script src="/assets/htmx.min.js" defer></script>
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">Waymark</a>
          <nav>
            ${SECTIONS.map(
              (section) =>
                html`<a
                  href="${section.href}"
                  ${section.id === frame.section ? html`aria-current="page"` : ''}
                  >${section.label}</a
                >`,
            )}
          </nav>
          <span
            class="clock"
            data-testid="clock"
            title="${frame.clockMode === undefined ? 'Time' : `Virtual clock (${frame.clockMode})`}"
            >${formatTime(frame.now.toISOString())}</span
          >
        </header>
        <main>${body}</main>
      </body>
    </html>`;
}

/** "2026-11-21 14:05:09 UTC": times as people read them, to the second, always in UTC. */
export function formatTime(time: string): string {
  const parsed = Date.parse(time);
  if (Number.isNaN(parsed)) return time;
  return `${new Date(parsed).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function errorPage(frame: PageFrame, status: number, message: string): Html {
  return page(
    frame,
    html`<section class="notice error" data-testid="error">
      <h1>
        ${status === 404 ? 'Not found' : status < 500 ? 'This request cannot be served' : 'Something went wrong'}
      </h1>
      <p>${message}</p>
    </section>`,
  );
}

/** The local engine's clock, moved from the page: a wait of a day takes a click, not a day. */
export function clockControls(back: string): Html {
  return html`<form class="inline clock-controls" method="post" action="/clock" data-testid="clock-controls">
    <span class="muted">Move the virtual clock:</span>
    <input type="hidden" name="back" value="${back}" />
    <button class="secondary" name="seconds" value="3600">+1 hour</button>
    <button class="secondary" name="seconds" value="86400">+1 day</button>
  </form>`;
}
