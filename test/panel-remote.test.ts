/**
 * The panel over AWS APIs only (`waymark panel`), pointed at the local engine's endpoint: the
 * table through DynamoDB, the executions through Step Functions, Try it through PutEvents. It
 * must show what the engine's own panel shows, which is what it would show of a deployed stage.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePanelRequest, servePanel } from '../infra/cli/panel.ts';
import { playDemo } from '../infra/local/demo.ts';
import { sampleExample } from './support/events.ts';
import { engineForSuite, OPTED_IN } from './support/local-engine.ts';

/** Each step's counts as the graph shows them: "remind email" → "2". */
function graphCounts(page: string): Record<string, string> {
  const counts: Record<string, string> = {};
  const steps = [...page.matchAll(/data-step="([^"]+)"/g)];
  steps.forEach((step, index) => {
    const part = page.slice(step.index, steps[index + 1]?.index ?? page.length);
    for (const [, name, value] of part.matchAll(/data-count="([^"]+)"[^>]*>(\d+)</g)) {
      counts[`${step[1] ?? ''} ${name ?? ''}`] = value ?? '';
    }
  });
  return counts;
}

describe('waymark panel over AWS APIs', () => {
  const engine = engineForSuite();
  let remote: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    await playDemo(engine.host, () => undefined, 'rm');
    const request = parsePanelRequest(['--endpoint', engine.endpoint, '--port', '0']);
    if (request === 'help') throw new Error('unexpected help');
    remote = await servePanel(request);
  }, 60_000);
  afterAll(() => remote.close());

  const text = async (base: string, path: string): Promise<string> => {
    const response = await fetch(`${base}${path}`);
    expect(response.status).toBe(200);
    return response.text();
  };

  it('draws each journey with the same counts as the engine itself', async () => {
    for (const journeyId of ['cart-abandonment', 'support-call-followup', 'chat-followup']) {
      const own = graphCounts(await text(engine.endpoint, `/journeys/${journeyId}`));
      const overApis = graphCounts(await text(remote.url, `/journeys/${journeyId}`));
      expect(Object.keys(own).length).toBeGreaterThan(0);
      if (journeyId === 'cart-abandonment')
        expect(own).toMatchObject({ 'remind email': '3', 'nudge push': '1' });
      expect(overApis).toEqual(own);
    }
  });

  it('shows a customer, and where an open journey is, from the Step Functions history', async () => {
    await engine.put('customer.profile.updated', 'remote-open', {
      email: 'open@example.com',
      consent: OPTED_IN,
    });
    await engine.put('cart.abandoned', 'remote-open');
    const page = await text(remote.url, '/customers/remote-open');
    expect(page).toContain('open@example.com');
    const active = page.slice(page.indexOf('data-testid="active-journey"'));
    expect(active).toContain('data-journey="cart-abandonment"');
    expect(active).toContain('wait-an-hour');
  });

  it("shows the metrics from the counters, as the engine does, with the demo cap, as of the engine's time", async () => {
    const page = await text(remote.url, '/metrics');
    const sent = (html: string): string | undefined => /data-testid="messages-sent">\s*(\d+)/.exec(html)?.[1];
    expect(sent(page)).toBe(sent(await text(engine.endpoint, '/metrics')));
    // The engine's clock is virtual (days ahead after the demo): the panel follows it, not the machine's.
    const asOf = /as of (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC/.exec(page)?.[1] ?? '';
    expect(
      Math.abs(Date.parse(`${asOf.replace(' ', 'T')}Z`) - engine.host.clock.now().getTime()),
    ).toBeLessThan(10_000);
    expect(page).toContain('capped 1');
    // Compliance replays each customer's consent: not behind a page, in `waymark report --full`.
    expect(page).toMatch(/data-testid="compliance-violations"[^>]*>\s*—[\s\S]*waymark report --full/);
  });

  it('puts a Try it event on the bus the engine reads', async () => {
    const answer = await fetch(`${remote.url}/try`, {
      method: 'POST',
      body: new URLSearchParams({
        customerId: 'remote-try',
        detailType: 'social.engagement',
        source: 'panel-test',
        detail: JSON.stringify(sampleExample('social.engagement')),
      }),
      redirect: 'manual',
    });
    expect(answer.status).toBe(303);
    await fetch(`${engine.endpoint}/_local/clock`, { method: 'POST', body: '{}' });
    const events = (await engine.timeline('remote-try')).filter((entry) => entry.kind === 'event');
    expect(events.map((entry) => entry.source)).toEqual(['panel-test']);
  });

  it("still shows a journey removed from the folder, from its customers' records", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waymark-removed-'));
    cpSync('journeys/settings.json', join(dir, 'settings.json'));
    cpSync('journeys/templates', join(dir, 'templates'), { recursive: true });
    cpSync('journeys/chat-followup.json', join(dir, 'chat-followup.json'));
    const request = parsePanelRequest(['--endpoint', engine.endpoint, '--port', '0', '--journeys', dir]);
    if (request === 'help') throw new Error('unexpected help');
    const narrow = await servePanel(request);
    try {
      const page = await text(narrow.url, '/journeys/cart-abandonment');
      expect(page).toContain('not in journeys/ any more');
      expect(page).toMatch(/<td>remind<\/td>\s*<td class="number">\d+<\/td>\s*<td class="number">3<\/td>/);
    } finally {
      await narrow.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when only the newest executions were read, so entered and waiting are partial', async () => {
    const request = parsePanelRequest(['--endpoint', engine.endpoint, '--port', '0', '--limit', '1']);
    if (request === 'help') throw new Error('unexpected help');
    const narrow = await servePanel(request);
    try {
      expect(await text(narrow.url, '/journeys/cart-abandonment')).toContain(
        'data-testid="executions-limited"',
      );
      expect(await text(narrow.url, '/metrics')).toContain('Only the newest executions of cart-abandonment');
      expect(await text(remote.url, '/metrics')).not.toContain('executions-limited');
    } finally {
      await narrow.close();
    }
  });

  it('refuses a command line that cannot name what to read', () => {
    expect(() => parsePanelRequest(['--aws', '--table', 't'])).toThrow('--aws needs --stage');
    expect(() => parsePanelRequest(['--stage', 'prod'])).toThrow('add --aws');
  });
});
