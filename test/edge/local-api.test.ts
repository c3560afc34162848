/**
 * The engine's own routes under hostile requests: broken %-escapes, other host names and cross-site POSTs
 * to the local API, and the unsubscribe link its emails carry (opened, one-click, forged).
 */
import { describe, expect, it } from 'vitest';
import { engineForSuite, OPTED_IN } from '../support/local-engine.ts';
import { rawRequest } from '../support/signed-request.ts';
import { jsonOf, signedFor } from './support.ts';

describe('the edge: the local API and loopback', () => {
  const engine = engineForSuite();

  it('answers a broken %-escape in a customer id with 400', async () => {
    const answer = await rawRequest(engine.endpoint, { path: '/_local/customers/%E0%A4%A/timeline' });
    expect(answer.status).toBe(400);
    expect(jsonOf(answer)).toMatchObject({ message: expect.stringContaining('%-escape') });
  });

  it('answers the local API, the AWS routes and the unsubscribe link on loopback host names only', async () => {
    for (const [path, headers] of [
      ['/_local/outbox', {}],
      ['/_local/health', {}],
      [
        '/',
        { ...signedFor('dynamodb', 'DynamoDB_20120810.Scan'), 'content-type': 'application/x-amz-json-1.0' },
      ],
      ['/unsubscribe?token=x', {}],
    ] as const) {
      const answer = await rawRequest(engine.endpoint, {
        method: path === '/' ? 'POST' : 'GET',
        path,
        headers: { ...headers, host: 'rebound.example:80' },
        body: path === '/' ? '{"TableName":"waymark"}' : undefined,
      });
      expect({ path, status: answer.status }).toEqual({ path, status: 403 });
      expect(answer.text).not.toContain('@example.com');
    }
    for (const host of ['localhost', '127.0.0.1', '127.1.2.3:9', '[::1]:4566', 'LOCALHOST:1']) {
      const answer = await rawRequest(engine.endpoint, { path: '/_local/health', headers: { host } });
      expect({ host, status: answer.status }).toEqual({ host, status: 200 });
    }
  });

  it('refuses a cross-site POST: the clock stays where it was', async () => {
    const before = await rawRequest(engine.endpoint, { path: '/_local/clock' });
    const crossSite: Record<string, string>[] = [
      { origin: 'https://evil.example', 'content-type': 'text/plain' },
      { origin: 'null', 'content-type': 'text/plain' },
      { 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' },
    ];
    for (const headers of crossSite) {
      const answer = await rawRequest(engine.endpoint, {
        method: 'POST',
        path: '/_local/clock',
        headers,
        body: JSON.stringify({ by: '30d' }),
      });
      expect(answer.status).toBe(403);
    }
    const signedCrossSite = await rawRequest(engine.endpoint, {
      method: 'POST',
      path: '/',
      headers: {
        ...signedFor('events', 'AWSEvents.PutEvents'),
        origin: 'https://evil.example',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: '{"Entries":[]}',
    });
    expect(signedCrossSite.status).toBe(403);
    expect(jsonOf(signedCrossSite)).toMatchObject({ __type: 'AccessDeniedException' });
    const after = await rawRequest(engine.endpoint, { path: '/_local/clock' });
    expect(jsonOf(after)).toEqual(jsonOf(before));
    // The same page (its own origin) and tools that send no Origin still move it.
    const own = await rawRequest(engine.endpoint, {
      method: 'POST',
      path: '/_local/clock',
      headers: { origin: engine.endpoint, 'sec-fetch-site': 'same-origin' },
      body: JSON.stringify({ by: '1m' }),
    });
    expect(own.status).toBe(200);
  });
});

describe('the local engine serves the unsubscribe link in its emails', () => {
  const engine = engineForSuite();

  it('the link in a local email opens a page, and its one-click POST unsubscribes', async () => {
    await engine.put('customer.profile.updated', 'edge-unsub', {
      email: 'unsub@example.com',
      timeZone: 'America/Sao_Paulo',
      consent: OPTED_IN,
    });
    await engine.put('cart.abandoned', 'edge-unsub');
    await engine.advance('2h');
    const [email] = await engine.outbox({ customerId: 'edge-unsub', channel: 'email' });
    const link = /https?:\/\/[^\s"'<>]+\/unsubscribe\?token=[A-Za-z0-9._%-]+/.exec(
      `${email?.body ?? ''} ${email?.html ?? ''}`,
    )?.[0];
    expect(link?.startsWith(`${engine.endpoint}/unsubscribe?token=`)).toBe(true);
    const url = link ?? '';

    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('<form method="post"');

    // What a mailbox provider sends (RFC 8058): a form POST from its servers, no Origin.
    const oneClick = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.status).toBe(200);
    expect(await oneClick.text()).toContain('Unsubscribed from emails');
    expect(await engine.timeline('edge-unsub')).toContainEqual(
      expect.objectContaining({ kind: 'preference', action: 'unsubscribed', channel: 'email' }),
    );

    // Its page's own button: a browser names the page's origin, which is this endpoint.
    const button = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: engine.endpoint,
        'sec-fetch-site': 'same-origin',
      },
      body: 'confirm=unsubscribe',
    });
    expect(button.status).toBe(200);
    expect(await button.text()).toContain('You were already unsubscribed');

    const forged = await fetch(`${engine.endpoint}/unsubscribe?token=forged.token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(forged.status).toBe(400);
  });
});
