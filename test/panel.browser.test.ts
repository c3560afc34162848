/**
 * The panel in a real browser, over the local engine after the demo: the
 * pages a support agent and a marketer use, read the way they read them.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { playDemo } from '../infra/local/demo.ts';
import { launchBrowser, screenshot } from './support/browser.ts';
import { engineForSuite } from './support/local-engine.ts';

const RUN = 'ui';
const ana = `demo-ana-${RUN}`;
const fabio = `demo-fabio-${RUN}`;

describe('the panel, in Chromium', () => {
  const engine = engineForSuite();
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await playDemo(engine.host, () => undefined, RUN);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // A missing element fails in seconds, with the selector named, rather than at the test's own timeout.
    page.setDefaultTimeout(10_000);
  }, 120_000);

  afterAll(async () => {
    await browser.close();
  });

  const open = async (path: string): Promise<void> => {
    const response = await page.goto(`${engine.endpoint}${path}`);
    expect(response?.status()).toBe(200);
  };

  it('finds a customer by email and shows her events and messages in order', async () => {
    await open('/customers');
    // Part of an address reads nothing, and the page says what a search takes.
    await page.getByTestId('customer-search').fill('ana@example');
    await page.getByTestId('customer-search').press('Enter');
    expect(await page.getByTestId('search-unsearchable').textContent()).toContain(
      'not a whole email address',
    );
    expect(await page.getByTestId('search-help').textContent()).toContain(
      'Search takes a whole email address',
    );
    await page.getByTestId('customer-search').fill('Ana@Example.com');
    await page.getByTestId('customer-search').press('Enter');
    await page.waitForURL(/\/customers\/demo-ana-ui$/);
    expect(await page.getByTestId('customer-id').textContent()).toBe(ana);
    expect(await page.getByTestId('consent-email').textContent()).toBe('opted-in');

    const entries = page.getByTestId('timeline-entry');
    const kinds = await entries.evaluateAll((items) => items.map((item) => item.getAttribute('data-kind')));
    const times = await page
      .locator('[data-testid=timeline-entry] time')
      .evaluateAll((items) => items.map((item) => item.getAttribute('datetime') ?? ''));
    // Newest first, and the cart event before (below) the reminder it caused.
    const instants = times.map((time) => Date.parse(time));
    expect([...instants].sort((a, b) => b - a)).toEqual(instants);
    expect(kinds).toContain('event');
    expect(kinds).toContain('message');
    expect(kinds).toContain('conversion');
    expect(kinds.lastIndexOf('event')).toBeGreaterThan(kinds.indexOf('message'));

    const reminder = page.locator('[data-kind=message]', { hasText: 'cart-abandonment' }).first();
    await reminder.getByText('Preview').click();
    // Sandboxed with no allowances: the email's markup runs no script and has no origin of its own.
    expect(await reminder.locator('iframe.email-preview').getAttribute('sandbox')).toBe('');
    const preview = reminder.frameLocator('iframe.email-preview');
    await expect.poll(() => preview.locator('body').textContent(), { timeout: 10_000 }).toMatch(/Ana/);
    await screenshot(page, 'customer');
  });

  it('shows messages that were not sent, each with its reason', async () => {
    await open(`/customers/${fabio}`);
    const skipped = page.locator('[data-kind=skipped]').first();
    expect(await skipped.getByTestId('skip-status').textContent()).toBe('opted out');
    expect(await skipped.getByTestId('skip-reason').textContent()).toContain('the customer opted out');

    await open(`/customers/demo-hugo-${RUN}`);
    const capped = page.locator('[data-kind=skipped]').first();
    expect(await capped.getByTestId('skip-status').textContent()).toBe('capped');
    expect(await capped.getByTestId('skip-reason').textContent()).toContain(
      'Cap "sms-weekly" reached: 2 of 2',
    );
    expect(await page.locator('[data-cap=sms-weekly] [data-testid=cap-used]').textContent()).toContain(
      '2 of 2',
    );
    await screenshot(page, 'customer-capped');
  });

  it('draws a journey with counts per step', async () => {
    await open('/journeys');
    await screenshot(page, 'journeys');
    await page.locator('a[href="/journeys/cart-abandonment"]').first().click();
    await page.waitForURL(/\/journeys\/cart-abandonment$/);
    const remind = page.locator('[data-testid=graph-step][data-step=remind]');
    expect(Number(await remind.locator('[data-count=email]').textContent())).toBeGreaterThanOrEqual(1);
    expect(Number(await remind.locator('[data-count=converted]').textContent())).toBeGreaterThanOrEqual(1);
    // Below the graph, what came back for each send step's messages: the three reminder emails sent.
    const remindEmail = page.locator('[data-testid=engagement-row][data-step=remind][data-channel=email]');
    expect((await remindEmail.locator('td').nth(2).textContent())?.trim()).toBe('3');
    await screenshot(page, 'journey');
  });

  it('sends an event from Try it and shows the message it causes', async () => {
    await open(`/try?detailType=chat.session.ended&customerId=${ana}`);
    await page.getByTestId('try-send').click();
    await page.waitForURL(/\/customers\/demo-ana-ui\?sent=/);
    expect(await page.getByTestId('flash').textContent()).toContain('chat.session.ended');
    // The page asks for its live part every two seconds; the summary email arrives without a reload.
    await expect
      .poll(() => page.locator('[data-kind=message]', { hasText: 'chat-followup' }).count(), {
        timeout: 20_000,
      })
      .toBeGreaterThanOrEqual(1);
    await screenshot(page, 'try-it-result');
  });

  it('follows a customer the panel has never seen, from the event to the message not sent', async () => {
    await open('/try?detailType=chat.session.ended&customerId=walk-in-ui');
    await page.getByTestId('try-send').click();
    await page.waitForURL(/\/customers\/walk-in-ui\?sent=/);
    // No profile, so no address: the summary is recorded as not sent, with that reason, as it happens.
    await expect
      .poll(() => page.locator('[data-kind=skipped] [data-testid=skip-status]').first().textContent(), {
        timeout: 20_000,
      })
      .toBe('no address');
    expect(await page.locator('[data-kind=event]').first().textContent()).toContain('chat.session.ended');
  });

  it('lists delivered messages by channel and shows the metrics', async () => {
    await open('/outbox?channel=sms');
    const channels = await page
      .getByTestId('outbox-row')
      .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-channel')));
    expect(channels.length).toBeGreaterThan(0);
    expect(new Set(channels)).toEqual(new Set(['sms']));
    await screenshot(page, 'outbox');
    await open('/metrics');
    // From the counters: the demo's twelve messages and a webhook call (test/report/cli.test.ts), Hugo's cap.
    expect(Number((await page.getByTestId('messages-sent').textContent())?.trim())).toBeGreaterThanOrEqual(
      12,
    );
    expect((await page.getByTestId('capped-total').textContent())?.trim()).toBe('capped 1');
    // Compliance replays each customer's consent: no page reads every customer, the report does.
    expect((await page.getByTestId('compliance-violations').textContent())?.trim()).toBe('—');
    expect(await page.getByTestId('metrics-sources').textContent()).toContain('waymark report --full');
    await screenshot(page, 'metrics');
  });
});
