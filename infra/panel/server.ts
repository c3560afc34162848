/**
 * The panel: server-rendered pages (htmx swaps the live parts), one request
 * handler any HTTP host can mount. Reads go through the store code the
 * functions use; "Try it" goes through the bus as any producer would.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { channelSchema, type Channel, perChannel } from '../../shared/customer/profile.ts';
import { capUsage } from '../../shared/delivery/caps.ts';
import { type CustomerOverview, readCustomerOverview } from '../../shared/store/overview.ts';
import { searchCustomers } from '../../shared/store/customer-search.ts';
import { describeRefusal, requestRefusal } from '../local/request-guard.ts';
import { html } from './html.ts';
import { type PanelFigures, readFigures } from './figures.ts';
import type { PanelSources } from './sources.ts';
import { customerView, customerHref, liveCustomer, type CustomerPage } from './views/customers.ts';
import { customerSearchView } from './views/customer-search.ts';
import {
  journeyListView,
  journeyView,
  liveJourney,
  recordedJourneyView,
  type JourneyPage,
} from './views/journeys.ts';
import { metricsView } from './views/metrics.ts';
import { type DeliveredMessage, outboxView } from './views/outbox.ts';
import { readSentMessages } from '../../shared/store/sent-messages.ts';
import { errorMessage } from '../../shared/text/error-message.ts';
import { isBroadcastTrigger } from '../../shared/journey/trigger.ts';
import {
  broadcastJourneyIds,
  broadcastsLive,
  broadcastsOf,
  readBroadcasts,
  segmentsPage,
} from './audiences.ts';
import { broadcastsPart } from './views/segments.ts';
import {
  type Assets,
  BadRequest,
  fingerprint,
  loadAssets,
  notFound,
  pageReply,
  problemPage,
  readForm,
  type Reply,
  write,
} from './reply.ts';
import { advanceClock, formFromQuery, sendTryIt, tryIt } from './try-it.ts';

export type PanelHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

const SEARCH_LIMIT = 50;
/** Timeline entries a customer page shows before "show the whole history": a long-time customer has thousands. */
const TIMELINE_LIMIT = 200;
const OUTBOX_LIMIT = 500;
/** Days of messages the outbox page looks back over. */
const OUTBOX_DAYS = 7;

export function createPanel(sources: PanelSources): PanelHandler {
  const assets = loadAssets();
  return async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://panel.local');
    let reply: Reply;
    try {
      reply = refusal(request) ?? (await route(sources, assets, request, url));
    } catch (error) {
      reply =
        error instanceof BadRequest
          ? problemPage(sources, error.status, error.message)
          : problemPage(sources, 500, errorMessage(error));
    }
    write(response, reply);
  };
}

/** A request the panel will not serve, whatever it asks for; undefined: serve it. */
function refusal(request: IncomingMessage): Reply | undefined {
  // The same rules as the local engine's edge: loopback host names only, nothing changed from another site.
  const refused = requestRefusal(request);
  return refused === undefined
    ? undefined
    : { kind: 'text', status: 403, body: describeRefusal(refused, 'The panel') };
}

/** A path segment as written, or a 400 naming it when its %-escapes are broken. */
function segment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new BadRequest(400, `"${text}" is not a valid part of a path (a broken %-escape).`);
  }
}

async function route(
  sources: PanelSources,
  assets: Assets,
  request: IncomingMessage,
  url: URL,
): Promise<Reply> {
  const path = url.pathname;
  const method = request.method ?? 'GET';
  if (method === 'GET' && path === '/') return { kind: 'redirect', location: '/customers' };
  if (method === 'GET' && path === '/assets/htmx.min.js')
    return { kind: 'asset', type: 'text/javascript', body: assets.htmx };
  if (method === 'GET' && path === '/assets/panel.css')
    return { kind: 'asset', type: 'text/css', body: assets.css };
  if (method === 'GET' && path === '/customers') return customerSearch(sources, url);
  const customer = /^\/customers\/([^/]+)(\/live|\/messages\/([^/]+))?$/.exec(path);
  if (method === 'GET' && customer?.[1] !== undefined) {
    const customerId = segment(customer[1]);
    if (customer[3] !== undefined) return messagePreview(sources, customerId, segment(customer[3]));
    return customerPage(sources, customerId, url, customer[2] === '/live');
  }
  if (method === 'GET' && path === '/journeys') return journeyList(sources);
  const broadcasts = /^\/journeys\/([^/]+)\/broadcasts$/.exec(path);
  if (method === 'GET' && broadcasts?.[1] !== undefined)
    return broadcastsLive(sources, [segment(broadcasts[1])], url, false);
  const journey = /^\/journeys\/([^/]+)(\/live)?$/.exec(path);
  if (method === 'GET' && journey?.[1] !== undefined) {
    return journeyPage(sources, segment(journey[1]), url, journey[2] === '/live');
  }
  if (method === 'GET' && path === '/segments') return segmentsPage(sources);
  if (method === 'GET' && path === '/segments/broadcasts')
    return broadcastsLive(sources, broadcastJourneyIds(sources), url, true);
  if (method === 'GET' && path === '/outbox') return outbox(sources, url);
  if (method === 'GET' && path === '/metrics') return metrics(sources);
  if (method === 'GET' && path === '/try')
    return tryIt(sources, formFromQuery(sources, url.searchParams), []);
  if (method === 'POST' && path === '/try') return sendTryIt(sources, await readForm(request));
  if (method === 'POST' && path === '/clock') return advanceClock(sources, await readForm(request));
  return notFound(sources, `No page at ${path}.`);
}

// ---- customers ------------------------------------------------------------------------------------------------

async function customerSearch(sources: PanelSources, url: URL): Promise<Reply> {
  const query = (url.searchParams.get('q') ?? '').trim();
  // By id, whole email or phone only: never a Scan (shared/store/customer-search.ts).
  const found = await searchCustomers(sources.store, query, SEARCH_LIMIT);
  // An exact id goes straight to the customer, even one with events but no profile yet; so does the
  // one customer an address finds, as a support agent would want.
  if (found.kind === 'customer') return { kind: 'redirect', location: customerHref(found.customerId) };
  const [only, ...others] = found.kind === 'matches' ? found.matches : [];
  if (only !== undefined && others.length === 0) {
    return { kind: 'redirect', location: customerHref(only.customerId) };
  }
  return pageReply(sources, 'customers', 'Customers', customerSearchView(query, found, SEARCH_LIMIT));
}

async function customerPage(
  sources: PanelSources,
  customerId: string,
  url: URL,
  live: boolean,
): Promise<Reply> {
  const stored = await readCustomerOverview(sources.store, customerId);
  // Just sent from Try it, a new customer is not stored yet: the page waits for them instead of a 404.
  const waiting = url.searchParams.has('sent') || live;
  if (stored === undefined && !waiting) return notFound(sources, `No customer "${customerId}" is stored.`);
  const overview: CustomerOverview = stored ?? {
    customerId,
    customer: { found: false },
    history: [],
    journeys: [],
  };
  const executions = await sources.customerExecutions(overview);
  const read = overview.customer;
  const now = sources.now();
  const view: CustomerPage = {
    overview,
    executions,
    // Without a (readable) profile the ledger is empty, and every cap is unused.
    capUsage: capUsage(
      read.found === true ? read.customer.ledger : { version: 0, sends: [] },
      sources.settings.caps,
      now,
      (read.found === true ? read.customer.profile.timeZone : undefined) ?? sources.settings.timeZone,
    ),
    version: fingerprint([
      read.found === true ? [read.customer.profileVersion, read.customer.ledger.version] : read.found,
      overview.history.map((entry) => entry.sortKey),
      executions.map((execution) => [execution.executionId, execution.status, execution.current ?? '']),
    ]),
    ...optionalFlash(url),
    clockMovable: sources.clock !== undefined,
    timelineLimit: url.searchParams.has('all') ? undefined : TIMELINE_LIMIT,
  };
  if (live) {
    return url.searchParams.get('v') === view.version
      ? { kind: 'unchanged' }
      : { kind: 'page', status: 200, body: liveCustomer(view) };
  }
  return pageReply(sources, 'customers', customerId, customerView(view));
}

function optionalFlash(url: URL): { flash?: string } {
  const sent = url.searchParams.get('sent');
  return sent === null ? {} : { flash: `Event sent: ${sent}. What it starts appears below as it happens.` };
}

async function messagePreview(sources: PanelSources, customerId: string, messageId: string): Promise<Reply> {
  const content = sources.sentContent(messageId);
  if (content?.html !== undefined) return { kind: 'preview', body: content.html };
  // No copy of the body (on AWS the history keeps the headline and a preview only).
  const overview = await readCustomerOverview(sources.store, customerId);
  const message = overview?.history
    .map((stored) => stored.entry)
    .find((entry) => entry.kind === 'message' && entry.messageId === messageId);
  if (message?.kind !== 'message') return notFound(sources, `No message ${messageId} for ${customerId}.`);
  return {
    kind: 'preview',
    body: html`<!doctype html><meta charset="utf-8" />
      <h3>${message.headline}</h3>
      <p>${content?.text ?? message.preview}</p>
      <p style="color:#777">The full body was not kept; this is the preview from the customer history.</p>`
      .text,
  };
}

// ---- journeys ---------------------------------------------------------------------------------------------------

async function journeyList(sources: PanelSources): Promise<Reply> {
  const figures = await readFigures(sources);
  return pageReply(sources, 'journeys', 'Journeys', journeyListView(sources.journeyFiles, figures.totals));
}

async function journeyPage(
  sources: PanelSources,
  journeyId: string,
  url: URL,
  live: boolean,
): Promise<Reply> {
  const file = sources.journeyFiles.find((candidate) => candidate.journey?.id === journeyId);
  const figures = await readFigures(sources);
  if (file?.journey === undefined) {
    // Removed or renamed in the folder, its customers' records remain: their figures still show.
    const recorded = figures.report.journeys.find((journey) => journey.journeyId === journeyId);
    // A file named after the journey that does not load: most likely this journey, broken by an edit.
    const brokenFile = sources.journeyFiles.find(
      (candidate) => candidate.journey === undefined && candidate.file === `${journeyId}.json`,
    );
    if (recorded === undefined)
      return notFound(sources, `No journey "${journeyId}" in journeys/ or in the data.`);
    return pageReply(
      sources,
      'journeys',
      journeyId,
      recordedJourneyView(recorded, figures.engagement.get(journeyId) ?? [], brokenFile?.file),
    );
  }
  const counts = figures.steps.get(journeyId) ?? new Map();
  const engagement = figures.engagement.get(journeyId) ?? [];
  const view: JourneyPage = {
    file,
    journey: file.journey,
    counts,
    engagement,
    totals: figures.totals.get(journeyId) ?? { entered: 0, active: 0, converted: 0 },
    version: fingerprint([[...counts.entries()], engagement, figures.totals.get(journeyId) ?? null]),
    clockMovable: sources.clock !== undefined,
    executionsLimited: figures.report.sources.executionsLimited.includes(journeyId),
  };
  if (live) {
    return url.searchParams.get('v') === view.version
      ? { kind: 'unchanged' }
      : { kind: 'page', status: 200, body: liveJourney(view) };
  }
  // A broadcast journey's page ends with its runs' progress.
  const runs = isBroadcastTrigger(file.journey.trigger)
    ? html`<h2>Broadcasts</h2>
        ${broadcastsPart(broadcastsOf(await readBroadcasts(sources, [journeyId]), journeyId, false))}`
    : '';
  return pageReply(sources, 'journeys', file.journey.name, html`${journeyView(view)}${runs}`);
}

// ---- outbox and metrics -------------------------------------------------------------------------------------------

async function outbox(sources: PanelSources, url: URL): Promise<Reply> {
  const channel = channelSchema.safeParse(url.searchParams.get('channel'));
  const journeyId = url.searchParams.get('journey') ?? '';
  const customer = (url.searchParams.get('customer') ?? '').trim();
  const filter = {
    ...(channel.success ? { channel: channel.data } : {}),
    ...(journeyId === '' ? {} : { journeyId }),
    ...(customer === '' ? {} : { customer }),
  };
  // The newest messages from the index of sent messages, a week back at most; the totals from the
  // counters: never a Scan, whatever the number of customers.
  const read = await readSentMessages(sources.store, {
    limit: OUTBOX_LIMIT,
    days: OUTBOX_DAYS,
    now: sources.now(),
    keep: ({ customerId, entry }) =>
      (filter.channel === undefined || entry.channel === filter.channel) &&
      (filter.journeyId === undefined || entry.journeyId === filter.journeyId) &&
      (filter.customer === undefined || customerId.includes(filter.customer)),
  });
  const shown: DeliveredMessage[] = read.messages.map(({ customerId, entry }) => {
    const recipient = sources.sentContent(entry.messageId)?.recipient;
    return { ...entry, customerId, ...(recipient === undefined ? {} : { recipient }) };
  });
  const totals: Record<Channel, number> = perChannel(() => 0);
  for (const steps of (await readFigures(sources)).steps.values()) {
    for (const counts of steps.values()) {
      for (const channel of channelSchema.options) totals[channel] += counts.sent[channel];
    }
  }
  const matching = read.more ? shown.length + 1 : shown.length;
  const journeyIds = sources.journeyFiles.flatMap((file) =>
    file.journey === undefined ? [] : [file.journey.id],
  );
  return pageReply(
    sources,
    'outbox',
    'Outbox',
    outboxView(shown, filter, journeyIds, totals, matching > OUTBOX_LIMIT ? OUTBOX_LIMIT : undefined),
  );
}

async function metrics(sources: PanelSources): Promise<Reply> {
  const figures: PanelFigures = await readFigures(sources);
  return pageReply(sources, 'metrics', 'Metrics', metricsView(figures.report));
}
