/**
 * The panel's HTTP side, without a browser: what it refuses, what it
 * escapes, how the live parts answer, and how previews are fenced off.
 */
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { eventCatalog } from '../shared/events/catalog.ts';
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

  it('finds customers by phone, ignoring spaces, and goes straight to a single match', async () => {
    await engine.put('customer.profile.updated', 'panel-phone', { phone: '+5511912345678' });
    const answer = await get('/customers?q=%2B55%2011%20912345678');
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/customers/panel-phone');
    const none = await (await get('/customers?q=nobody-like-this')).text();
    expect(none).toContain('No customer matches');
  });

  it('answers an unknown customer or page with a 404 that says what was missing', async () => {
    const customer = await get('/customers/never-seen');
    expect(customer.status).toBe(404);
    expect(await customer.text()).toContain('No customer &quot;never-seen&quot; is stored.');
    expect((await get('/nowhere')).status).toBe(404);
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
      detail: JSON.stringify(eventCatalog['support.call.completed'].example),
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

  it('moves the local clock from the page and comes back', async () => {
    const before = Date.parse(engine.host.clock.now().toISOString());
    const answer = await postForm('/clock', { seconds: '3600', back: '/journeys' });
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/journeys');
    expect(engine.host.clock.now().getTime() - before).toBe(3_600_000);
    const offsite = await postForm('/clock', { seconds: '1', back: '//evil.example/' });
    expect(offsite.headers.get('location')).toBe('/customers');
  });
});

describe('the journeys page with a broken journey beside a good one', () => {
  const folder = tempFolderForSuite('waymark-panel-journeys-');
  beforeAll(() => {
    const dir = join(folder(), 'journeys');
    mkdirSync(dir);
    cpSync('journeys/settings.json', join(dir, 'settings.json'));
    cpSync('journeys/templates', join(dir, 'templates'), { recursive: true });
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
    expect(good).toContain('valid');
    expect(good).not.toContain('not running');
  });
});
