/**
 * The panel's audiences: the Segments page (each segment's size now and the
 * journeys that start from it) and a broadcast run's progress on its
 * journey's page, a bar that follows the run while it runs and stops asking
 * once it is done. Over the local engine; the run and its members' history
 * are written with the store code the audience and steps functions use, and
 * the progress is read from the run counters the figures keep (no Scan).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberExecutionName } from '../shared/audience/members.ts';
import type { HistoryEntryOf } from '../shared/customer/history.ts';
import { openBroadcastRun, updateBroadcastRun } from '../shared/store/broadcasts.ts';
import type { StoreContext } from '../shared/store/context.ts';
import { appendHistory, appendJourneyEntry } from '../shared/store/history.ts';
import { launchBrowser, screenshot } from './support/browser.ts';
import { engineForSuite, OPTED_IN, tempFolderForSuite } from './support/local-engine.ts';
import { audienceProject, oneSendJourney } from './support/audience.ts';

const JOURNEY = 'weekly-newsletter';
const RUN = '2026-11-23T10:00';

function executionOf(customerId: string): string {
  return `arn:aws:states:us-east-1:000000000000:execution:${JOURNEY}:${memberExecutionName(RUN, customerId)}`;
}

async function entered(store: StoreContext, customerId: string): Promise<void> {
  const entry: HistoryEntryOf<'journey'> = {
    kind: 'journey',
    time: '2026-11-23T10:00:01Z',
    journeyId: JOURNEY,
    executionId: executionOf(customerId),
    action: 'entered',
  };
  await appendJourneyEntry(store, customerId, entry, 'start');
}

async function sent(store: StoreContext, customerId: string): Promise<void> {
  await appendHistory(
    store,
    customerId,
    {
      kind: 'message',
      time: '2026-11-23T10:00:02Z',
      journeyId: JOURNEY,
      executionId: executionOf(customerId),
      stepId: 'newsletter',
      channel: 'email',
      category: 'marketing',
      messageId: `m-${customerId}`,
      headline: 'This week',
      preview: 'This week at the shop',
    },
    'message',
  );
}

async function skipped(
  store: StoreContext,
  customerId: string,
  status: HistoryEntryOf<'skipped'>['status'],
): Promise<void> {
  await appendHistory(
    store,
    customerId,
    {
      kind: 'skipped',
      time: '2026-11-23T10:00:02Z',
      journeyId: JOURNEY,
      executionId: executionOf(customerId),
      stepId: 'newsletter',
      status,
      reason: `${status}: for the test`,
      channel: 'email',
    },
    'skip',
  );
}

/** A row of the broadcasts part by its test id: its cells' text, spaces squeezed. */
function cell(page: string, testId: string): string {
  const match = new RegExp(`data-testid="${testId}"[^>]*>([\\s\\S]*?)</td>`).exec(page);
  return (match?.[1] ?? '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('the panel: segments and broadcast progress', () => {
  const engine = engineForSuite();
  let store: StoreContext;

  const get = (path: string): Promise<Response> => fetch(`${engine.endpoint}${path}`, { redirect: 'manual' });
  const text = async (path: string): Promise<string> => {
    const response = await get(path);
    expect(response.status).toBe(200);
    return response.text();
  };

  beforeAll(async () => {
    store = engine.host.runtime.store;
    const subscriber = (tier: string) => ({
      email: 'someone@example.com',
      timeZone: 'Europe/Lisbon',
      consent: OPTED_IN,
      tags: { add: ['newsletter'] },
      attributes: { loyaltyTier: tier },
    });
    await engine.put('customer.profile.updated', 'aud-ana', subscriber('gold'));
    await engine.put('customer.profile.updated', 'aud-bia', subscriber('silver'));
    await engine.put('customer.profile.updated', 'aud-caio', { tags: { add: ['newsletter'] } });
    // A run of four members: two entered, one sent, one held by quiet hours.
    await openBroadcastRun(store, {
      journeyId: JOURNEY,
      runId: RUN,
      segment: 'newsletter',
      zone: 'customer',
      startedAt: '2026-11-22T20:00:00.000Z',
      firstAt: '2026-11-22T20:00:00.000Z',
      lastAt: '2026-11-24T22:00:00.000Z',
    });
    await updateBroadcastRun(store, JOURNEY, RUN, { targeted: 4, started: 2 });
    await entered(store, 'm-1');
    await sent(store, 'm-1');
    await entered(store, 'm-2');
    await skipped(store, 'm-2', 'deferred');
  });

  it('lists each segment with its size now and the journeys that start from it, under its own tab', async () => {
    // Act
    const page = await text('/segments');

    // Assess
    expect(page).toMatch(/<a\s+href="\/segments"\s+aria-current="page"\s*>Segments<\/a/);
    const row = (id: string): string =>
      page.split('<tr').find((candidate) => candidate.includes(`data-segment="${id}"`)) ?? '';
    expect(cell(row('newsletter'), 'segment-size')).toBe('2');
    expect(cell(row('gold'), 'segment-size')).toBe('1');
    expect(row('newsletter')).toContain('href="/journeys/weekly-newsletter"');
    expect(row('newsletter')).toContain('recurring broadcast');
    expect(row('gold')).toContain('on entering');
    expect(row('lapsed')).toContain('none');
    // The broadcasts of every journey, the running one following itself.
    expect(page).toContain('data-testid="broadcast-run"');
    expect(page).toContain('hx-get="/segments/broadcasts?v=');
  });

  it("shows a broadcast run's progress on its journey's page, and asks again only while it runs", async () => {
    // Act
    const page = await text(`/journeys/${JOURNEY}`);

    // Assess: 2 of 4 members through the entry step; the deferred one is still waiting.
    expect(page).toContain('<h2>Broadcasts</h2>');
    expect(page).toMatch(/<progress\s+data-testid="broadcast-progress"\s+max="4"\s+value="2"/);
    expect(cell(page, 'broadcast-targeted')).toBe('4');
    expect(cell(page, 'broadcast-entered')).toBe('2');
    expect(cell(page, 'broadcast-sent')).toBe('1');
    expect(cell(page, 'broadcast-skipped')).toBe('1 deferred 1');
    const poll = /hx-get="(\/journeys\/weekly-newsletter\/broadcasts\?v=[^"]+)"/.exec(page)?.[1];
    expect(poll).toBeDefined();
    expect((await get(poll ?? '')).status).toBe(204);

    // Act: a third member enters and is skipped as opted out.
    await entered(store, 'm-3');
    await skipped(store, 'm-3', 'opted-out');
    const changed = await get(poll ?? '');

    // Assess
    expect(changed.status).toBe(200);
    const part = await changed.text();
    expect(part).toMatch(/max="4"\s+value="3"/);
    expect(cell(part, 'broadcast-skipped')).toBe('2 deferred 1 opted-out 1');

    // Act: the run ends.
    await updateBroadcastRun(store, JOURNEY, RUN, { status: 'done', finishedAt: '2026-11-24T22:00:05.000Z' });
    const done = await text(poll ?? '');

    // Assess: the part no longer asks for itself.
    expect(done).toContain('>done<');
    expect(done).not.toContain('hx-get');
    await updateBroadcastRun(store, JOURNEY, RUN, { status: 'running' });
  });

  it("reads a broadcast journey's page and the runs parts from counters, with no Scan", async () => {
    // Prepare: count the store client's DynamoDB requests while the pages are read.
    const commands: string[] = [];
    let counting = false;
    const name = `broadcastPageRequests${Math.random()}`;
    store.db.middlewareStack.add(
      (next, context) => (args) => {
        if (counting) commands.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize', name },
    );
    await engine.host.engine.idle();
    await engine.host.figuresSettled();

    // Act
    counting = true;
    try {
      const page = await text(`/journeys/${JOURNEY}`);
      expect(page).toContain('data-testid="broadcast-run"');
      await text(`/journeys/${JOURNEY}/broadcasts`);
      await text('/segments/broadcasts');
    } finally {
      counting = false;
      store.db.middlewareStack.remove(name);
    }

    // Assess
    expect(commands.length).toBeGreaterThan(0);
    expect(commands.filter((command) => command.startsWith('Scan'))).toEqual([]);
    expect(commands.every((command) => command.startsWith('Query'))).toBe(true);
  });

  it('shows no broadcasts on a journey started by events, and has no progress to poll for it', async () => {
    // Act
    const page = await text('/journeys/cart-abandonment');
    const poll = await get('/journeys/cart-abandonment/broadcasts');

    // Assess
    expect(page).not.toContain('<h2>Broadcasts</h2>');
    expect(poll.status).toBe(404);
  });

  describe('in Chromium', () => {
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      browser = await launchBrowser();
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.setDefaultTimeout(10_000);
    });
    afterAll(async () => {
      await browser.close();
    });

    it('moves the progress bar as members enter, without reloading the page', async () => {
      // Prepare
      const response = await page.goto(`${engine.endpoint}/journeys/${JOURNEY}`);
      expect(response?.status()).toBe(200);
      const bar = page.getByTestId('broadcast-progress');
      const before = Number(await bar.getAttribute('value'));

      // Act
      await entered(store, 'm-4');

      // Assess: htmx swaps the part in within a poll or two.
      await expect.poll(() => bar.getAttribute('value'), { timeout: 10_000 }).toBe(String(before + 1));
      expect(await page.getByTestId('broadcast-entered').textContent()).toContain(String(before + 1));
      await screenshot(page, 'broadcast-progress');
    });

    it('opens the Segments page from the navigation', async () => {
      // Act
      await page.getByRole('link', { name: 'Segments' }).click();

      // Assess
      await page.waitForURL(/\/segments$/);
      await expect.poll(() => page.getByTestId('segment-row').count()).toBe(3);
      await screenshot(page, 'segments');
    });
  });
});

describe('the panel: a broadcast the local engine runs', () => {
  const folder = tempFolderForSuite('waymark-panel-broadcast-');
  const engine = engineForSuite(() => {
    const dir = folder();
    audienceProject(dir, [
      oneSendJourney('promo', { segment: 'tagged', at: '2026-11-19T10:00', timeZone: 'Europe/Lisbon' }),
    ]);
    return { journeysDir: dir, start: new Date('2026-11-18T12:00:00.000Z') };
  });

  it('counts the members the run entered, sent to, and skipped with the reason, and stops polling when done', async () => {
    // Prepare: two members who may receive it, one opted out of email, one outside the segment.
    for (const [customerId, consent] of [
      ['run-ana', OPTED_IN],
      ['run-bia', OPTED_IN],
      ['run-caio', { email: 'opted-out' }],
    ] as const)
      await engine.put('customer.profile.updated', customerId, {
        email: `${customerId}@example.com`,
        timeZone: 'Europe/Lisbon',
        consent,
        tags: { add: ['newsletter'] },
      });
    await engine.put('customer.profile.updated', 'run-dora', { email: 'd@example.com', consent: OPTED_IN });

    // Act
    await engine.advance('1d');
    const page = await (await fetch(`${engine.endpoint}/journeys/promo`)).text();

    // Assess
    expect(page).toContain('data-testid="broadcast-run" data-journey="promo" data-run="2026-11-19T10:00"');
    expect(page).toMatch(/<progress\s+data-testid="broadcast-progress"\s+max="3"\s+value="3"/);
    expect(cell(page, 'broadcast-targeted')).toBe('3');
    expect(cell(page, 'broadcast-entered')).toBe('3');
    expect(cell(page, 'broadcast-sent')).toBe('2');
    expect(cell(page, 'broadcast-skipped')).toBe('1 opted-out 1');
    expect(page).toContain('>done<');
    expect(page).not.toContain('/journeys/promo/broadcasts?v=');
  });
});
