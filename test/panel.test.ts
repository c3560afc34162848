/**
 * The panel's HTTP side, without a browser: what it refuses, what it
 * escapes, how the live parts answer, and how previews are fenced off.
 */
import { cpSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordSesEngagement } from '../shared/runtime/engagement.ts';
import { appendHistory } from '../shared/store/history.ts';
import { chatSummaryMail, type SentMail, sesEngagementEvent } from './report/engine-fixtures.ts';
import { sampleExample } from './support/events.ts';
import { engineForSuite, OPTED_IN, tempFolderForSuite } from './support/local-engine.ts';

describe('the panel over HTTP', () => {
  const engine = engineForSuite();

  const get = (path: string): Promise<Response> => fetch(`${engine.endpoint}${path}`, { redirect: 'manual' });
  const postForm = (path: string, fields: Record<string, string>): Promise<Response> =>
    fetch(`${engine.endpoint}${path}`, {
      method: 'POST',
      body: new URLSearchParams(fields),
      redirect: 'manual',
    });

  it('shows what a customer system wrote as text, never as markup', async () => {
    await engine.put('customer.profile.updated', 'panel-escape', {
      email: 'esc@example.com',
      consent: OPTED_IN,
      attributes: { firstName: '<script>alert(1)</script>' },
    });
    const page = await (await get('/customers/panel-escape')).text();
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('<script>alert(1)');
  });

  it('shows a profile update with an invalid field as partly applied, and one with nothing valid as not usable', async () => {
    await engine.put('customer.profile.updated', 'panel-partly', {
      email: 'partly@example.com',
      consent: { email: 'opted-out' },
      phone: '(11) 98765-4321',
    });
    await engine.put('customer.profile.updated', 'panel-partly', { consent: { email: 'nope' } });
    const page = await (await get('/customers/panel-partly')).text();
    expect(page).toContain('partly applied');
    expect(page).toContain('not usable');
    expect(page).toContain('detail.phone');
  });

  it('finds customers by phone, ignoring spaces, and goes straight to a single match', async () => {
    await engine.put('customer.profile.updated', 'panel-phone', { phone: '+5511912345678' });
    const answer = await get('/customers?q=%2B55%2011%20912345678');
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/customers/panel-phone');
    const none = await (await get('/customers?q=nobody-like-this')).text();
    expect(none).toContain('not a whole email address or phone number');
  });

  it('finds customers by a whole email in any case through the index, and says a part is not searched', async () => {
    for (const id of ['panel-twin-a', 'panel-twin-b'])
      await engine.put('customer.profile.updated', id, { email: 'Twins@Example.com', consent: OPTED_IN });
    const both = await get('/customers?q=%20twins%40EXAMPLE.com');
    expect(both.status).toBe(200);
    const page = await both.text();
    expect(page).toContain('data-testid="customer-results"');
    expect(page).toContain('/customers/panel-twin-a');
    expect(page).toContain('/customers/panel-twin-b');
    const part = await (await get('/customers?q=twins')).text();
    expect(part).toContain('data-testid="search-unsearchable"');
    expect(part).toContain('Search takes a whole email address');
    expect(part).not.toContain('panel-twin-a');
    const nobody = await (await get('/customers?q=nobody%40example.com')).text();
    expect(nobody).toContain('No customer has the email');
  });

  it('answers an unknown customer or page with a 404 that says what was missing', async () => {
    const customer = await get('/customers/never-seen');
    expect(customer.status).toBe(404);
    expect(await customer.text()).toContain('No customer &quot;never-seen&quot; is stored.');
    expect((await get('/nowhere')).status).toBe(404);
    expect((await get('/journeys/never-a-journey')).status).toBe(404);
  });

  it('refuses a Try it event that is not JSON or breaks the catalog, and sends nothing', async () => {
    const notJson = await postForm('/try', {
      customerId: 'panel-try',
      detailType: 'chat.session.ended',
      source: 'test',
      detail: '{"sessionId": ',
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.text()).toContain('Detail is not JSON');

    const wrong = await postForm('/try', {
      customerId: 'panel-try',
      detailType: 'cart.abandoned',
      source: 'test',
      detail: JSON.stringify({ cartId: 'c-1', items: [], total: -3, currency: 'usd', cartUrl: 'x' }),
    });
    expect(wrong.status).toBe(400);
    const text = await wrong.text();
    expect(text).toContain('currency');
    expect(text).toContain('total');
    expect(await engine.timeline('panel-try')).toEqual([]);
  });

  it('sends a Try it event through the bus and returns to the customer', async () => {
    const answer = await postForm('/try', {
      customerId: 'panel-sent',
      detailType: 'support.call.completed',
      source: 'support.phone',
      detail: JSON.stringify(sampleExample('support.call.completed')),
    });
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toMatch(/^\/customers\/panel-sent\?sent=support\.call\.completed/);
    // Let the engine act on what the bus accepted before looking.
    await fetch(`${engine.endpoint}/_local/clock`, { method: 'POST', body: '{}' });
    const events = (await engine.timeline('panel-sent')).filter((entry) => entry.kind === 'event');
    expect(events.map((entry) => entry.source)).toEqual(['support.phone']);
  });

  it('answers a live part with 204 until something changes', async () => {
    await engine.put('customer.profile.updated', 'panel-live', {
      email: 'live@example.com',
      consent: OPTED_IN,
    });
    const page = await (await get('/customers/panel-live')).text();
    const poll = /hx-get="([^"]+)"/.exec(page)?.[1]?.replace(/&amp;/g, '&');
    expect(poll).toBeDefined();
    expect((await get(poll ?? '')).status).toBe(204);
    await engine.put('chat.session.ended', 'panel-live');
    const changed = await get(poll ?? '');
    expect(changed.status).toBe(200);
    expect(await changed.text()).toContain('chat.session.ended');
  });

  it('shows a customer just sent from Try it, before anything about them is stored, and fills in', async () => {
    const waiting = await get('/customers/panel-brand-new?sent=chat.session.ended%20e-1');
    expect(waiting.status).toBe(200);
    const page = await waiting.text();
    expect(page).toContain('No profile yet');
    const poll = /hx-get="([^"]+)"/.exec(page)?.[1]?.replace(/&amp;/g, '&') ?? '';
    expect((await get(poll)).status).toBe(204);
    await engine.put('chat.session.ended', 'panel-brand-new');
    expect(await (await get(poll)).text()).toContain('chat.session.ended');
  });

  it('refuses forms from other sites, other host names, and paths it cannot read', async () => {
    const crossSite = await fetch(`${engine.endpoint}/clock`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
      body: new URLSearchParams({ seconds: '3600' }),
      redirect: 'manual',
    });
    expect(crossSite.status).toBe(403);
    // fetch will not set Host; a raw request does, as a browser does for a rebound name.
    const rebound = await new Promise<number>((resolve, reject) => {
      const { port } = new URL(engine.endpoint);
      request(
        { host: '127.0.0.1', port, path: '/customers', headers: { host: 'evil.example' } },
        (answer) => {
          answer.resume();
          resolve(answer.statusCode ?? 0);
        },
      )
        .on('error', reject)
        .end();
    });
    expect(rebound).toBe(403);
    const broken = await get('/customers/%E0%A4%A');
    expect(broken.status).toBe(400);
    expect(await broken.text()).toContain('broken %-escape');
  });

  it('finds a customer by exact id even before a profile exists', async () => {
    await engine.put('chat.session.ended', 'panel-no-profile');
    const answer = await get('/customers?q=panel-no-profile');
    expect(answer.headers.get('location')).toBe('/customers/panel-no-profile');
  });

  it('shows the newest 200 timeline entries of a long history, and the whole of it on request', async () => {
    for (let batch = 0; batch < 21; batch += 1) {
      await engine.eventbridge.send(
        new PutEventsCommand({
          Entries: Array.from({ length: 10 }, (_, index) => ({
            EventBusName: 'waymark',
            Source: 'support.chat',
            DetailType: 'chat.session.started',
            Detail: JSON.stringify({
              ...sampleExample('chat.session.started'),
              customerId: 'panel-long',
              sessionId: `s-${batch}-${index}`,
            }),
          })),
        }),
      );
    }
    await fetch(`${engine.endpoint}/_local/clock`, { method: 'POST', body: '{}' });
    const entries = (page: string): number => page.split('data-testid="timeline-entry"').length - 1;
    const newest = await (await get('/customers/panel-long')).text();
    expect(entries(newest)).toBe(200);
    expect(newest).toContain('The newest 200 of 210.');
    const whole = await (await get('/customers/panel-long?all=1')).text();
    expect(entries(whole)).toBe(210);
    expect(whole).not.toContain('timeline-more');
  });

  it('fences an email preview off: sandboxed, no scripts, its own origin', async () => {
    await engine.put('customer.profile.updated', 'panel-mail', {
      email: 'mail@example.com',
      consent: OPTED_IN,
    });
    await engine.put('chat.session.ended', 'panel-mail');
    const [message] = await engine.outbox({ customerId: 'panel-mail', channel: 'email' });
    expect(message).toBeDefined();
    const preview = await get(
      `/customers/panel-mail/messages/${encodeURIComponent(message?.messageId ?? '')}`,
    );
    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-security-policy')).toMatch(/^sandbox;.*default-src 'none'/);
    expect(await preview.text()).toBe(message?.html);
  });

  it('shows the sends waiting for a slot on the metrics page, and where the rate each channel reached is', async () => {
    const page = await (await get('/metrics')).text();
    const section = page.slice(page.indexOf('data-testid="send-rates"'));
    expect(section).toMatch(/data-testid="waiting-for-slot"\s*>waiting for a send slot now 0</);
    // The busiest second needs every message's time: read from the whole table, not behind a page.
    expect(section).toContain('waymark report --full');
    expect(section).not.toContain('send-rates-table');
  });

  it('moves the local clock from the page and comes back', async () => {
    const before = Date.parse(engine.host.clock.now().toISOString());
    const answer = await postForm('/clock', { seconds: '3600', back: '/journeys' });
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/journeys');
    expect(engine.host.clock.now().getTime() - before).toBe(3_600_000);
    for (const back of [
      '//evil.example/',
      '/\\evil.example/',
      'https://evil.example/',
      '/a\r\nSet-Cookie: x=1',
    ]) {
      const offsite = await postForm('/clock', { seconds: '3600', back });
      expect(offsite.headers.get('location')).toBe('/customers');
    }
    // Only the steps the page offers: a typo must not throw the clock years ahead, for good.
    const far = await postForm('/clock', { seconds: '1000000000000', back: '/journeys' });
    expect(far.status).toBe(400);
    expect(await far.text()).toContain('The clock moves by 3600 or 86400 seconds');
  });
});

describe('the journeys page with a broken journey beside a good one', () => {
  const folder = tempFolderForSuite('waymark-panel-journeys-');
  beforeAll(() => {
    const dir = join(folder(), 'journeys');
    mkdirSync(dir);
    cpSync('journeys/settings.json', join(dir, 'settings.json'));
    cpSync('journeys/templates', join(dir, 'templates'), { recursive: true });
    cpSync('journeys/events', join(dir, 'events'), { recursive: true });
    cpSync('journeys/chat-followup.json', join(dir, 'chat-followup.json'));
    cpSync('test/journeys/broken/channel-typo.json', join(dir, 'channel-typo.json'));
  });
  const engine = engineForSuite(() => ({ journeysDir: join(folder(), 'journeys') }));

  it('says plainly which file is broken, where and why, and that it is not running', async () => {
    const page = await (await fetch(`${engine.endpoint}/journeys`)).text();
    const row = (file: string): string =>
      page.split('<tr').find((candidate) => candidate.includes(`data-file="${file}"`)) ?? '';
    const broken = row('channel-typo.json');
    expect(broken).toContain('does not load');
    expect(broken).toContain('$.steps.remind.channel');
    expect(broken).toMatch(/line \d+/);
    expect(broken).toContain('&quot;email&quot;');
    const good = row('chat-followup.json');
    expect(good).toContain('<span class="badge ok">valid</span>');
    expect(good).not.toContain('not running');
  });
});

describe('engagement on the panel', () => {
  const engine = engineForSuite();
  const page = async (path: string): Promise<string> => {
    const answer = await fetch(`${engine.endpoint}${path}`);
    expect(answer.status).toBe(200);
    return answer.text();
  };
  /** The part of a page from an element with this test id to the end of its row or list item. */
  const part = (text: string, marker: string, end: string): string => {
    const start = text.indexOf(marker);
    expect(start).toBeGreaterThanOrEqual(0);
    return text.slice(start, text.indexOf(end, start));
  };

  it("shows a send step's delivered, open and click rates, and a click in the customer's timeline", async () => {
    const ana = await chatSummaryMail(engine, 'panel-eng-ana');
    const bruno = await chatSummaryMail(engine, 'panel-eng-bruno');
    const time = engine.host.clock.now().toISOString();
    const record = (id: string, mail: SentMail, what: Parameters<typeof sesEngagementEvent>[3]) =>
      recordSesEngagement(engine.host.runtime, sesEngagementEvent(id, time, mail, what));
    await record('panel-ses-1', ana, { eventType: 'Delivery' });
    await record('panel-ses-2', bruno, { eventType: 'Delivery' });
    // Ana's click with no open recorded (images blocked) still counts her as having opened it.
    await record('panel-ses-3', ana, {
      eventType: 'Click',
      link: 'https://shop.example/chat/continue?token=secret',
    });

    const journey = await page('/journeys/chat-followup');
    const row = part(
      journey,
      'data-testid="engagement-row" data-step="summary" data-channel="email"',
      '</tr>',
    );
    const cell = (action: string): string =>
      part(row, `data-action="${action}"`, '</td>').replace(/\s+/g, ' ');
    expect(part(row, '<td class="number">', '</td>')).toBe('<td class="number">2');
    expect(cell('delivered')).toContain('100.0% <span class="muted">(2)</span>');
    expect(cell('opened')).toContain('50.0% <span class="muted">(1)</span>');
    expect(cell('clicked')).toContain('50.0% <span class="muted">(1)</span>');
    expect(cell('bounced')).toContain('0.0%');

    // The live part changes with the rates alone: Bruno opens his email, and nothing else moves.
    const poll = /hx-get="([^"]+)"/.exec(journey)?.[1]?.replace(/&amp;/g, '&') ?? '';
    expect((await fetch(`${engine.endpoint}${poll}`)).status).toBe(204);
    await record('panel-ses-4', bruno, { eventType: 'Open' });
    const live = await fetch(`${engine.endpoint}${poll}`);
    expect(live.status).toBe(200);
    expect(
      part(await live.text(), 'data-step="summary" data-channel="email"', '</tr>').replace(/\s+/g, ' '),
    ).toContain('data-action="opened" title="2 of 2 messages opened" > 100.0%');
    // Every journey together, per channel, on the metrics page.
    const channels = part(await page('/metrics'), 'data-testid="engagement-channels"', '</table>');
    expect(part(channels, 'data-channel="email"', '</tr>').replace(/\s+/g, ' ')).toContain(
      'data-action="clicked" title="1 of 2 messages clicked" > 50.0%',
    );

    const timeline = await page('/customers/panel-eng-ana');
    const click = part(timeline, 'data-testid="engagement-action">clicked', '</li>');
    // Where the click led, without the query that could carry the customer's token.
    expect(click).toMatch(/data-testid="engagement-detail"\s*>https:\/\/shop\.example\/chat\/continue</);
    expect(timeline).not.toContain('token=secret');
    expect(click).toContain('href="/journeys/chat-followup"');
    // Newest first, and what came back for the email above the email, though both carry the same instant.
    expect(timeline.indexOf('data-kind="engagement"')).toBeLessThan(timeline.indexOf('data-kind="message"'));
  });

  it('offers every channel in the outbox filter and shows a webhook call with its answer', async () => {
    const time = engine.host.clock.now().toISOString();
    await appendHistory(
      engine.host.runtime.store,
      'panel-eng-hook',
      {
        kind: 'message',
        time,
        journeyId: 'cart-abandonment',
        executionId: 'panel-eng-hook-1',
        stepId: 'retarget',
        channel: 'webhook',
        category: 'marketing',
        messageId: 'panel-eng-hook-call',
        headline: 'webhook call',
        preview: '{"audience":"cart-abandoners"}',
        response: 'HTTP 202',
        reaches: 'system',
      },
      'message#panel-eng-hook',
    );
    const outbox = await page('/outbox?channel=webhook');
    for (const channel of ['email', 'sms', 'push', 'whatsapp', 'webhook', 'function']) {
      expect(outbox).toContain(`<option value="${channel}"`);
    }
    expect(outbox).toMatch(/<option value="webhook" selected>/);
    const row = part(outbox, 'data-testid="outbox-row" data-channel="webhook"', '</tr>');
    expect(row).toContain('<strong>webhook call</strong>');
    expect(row).toContain('<span class="badge">to a system</span>');
    expect(row).toMatch(/data-testid="outbox-response"\s*>HTTP 202</);
    expect(row).toContain('{&quot;audience&quot;:&quot;cart-abandoners&quot;}');
    expect(outbox).not.toContain('data-channel="email"');
  });
});
