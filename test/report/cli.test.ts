/**
 * `waymark report` against the local engine after the demo: the figures a person would check
 * first, read the way a user reads them (the command, over the edge endpoint).
 */
import { createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../infra/cli/main.ts';
import { playDemo } from '../../infra/local/demo.ts';
import type { FullReport, Report } from '../../shared/report/types.ts';
import { captureIo } from '../support/io.ts';
import { engineForSuite } from '../support/local-engine.ts';

async function report(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const output = captureIo();
  const code = await main(['report', ...args], output.io);
  return { code, out: output.out, err: output.err };
}

/** A port nothing listens on: taken from the system, then given back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe('waymark report on the demo', () => {
  const engine = engineForSuite();
  beforeAll(async () => {
    await playDemo(engine.host, () => undefined, 'test');
    // The counters are written in batches behind the history (the stream's stand-in): all in by now.
    await engine.host.figuresSettled();
  });

  it('prints the funnels, conversions by both attributions, the cap and the quiet-hours deferral, from the counters', async () => {
    const json = await report('--endpoint', engine.endpoint, '--json');
    expect(json.err).toBe('');
    expect(json.code).toBe(0);
    const figures: Report = JSON.parse(json.out);
    // Dated by the engine's virtual clock, not the machine's: the demo's days have passed in it.
    expect(figures.generatedAt).toBe(engine.host.clock.now().toISOString());
    const cart = figures.journeys.find((journey) => journey.journeyId === 'cart-abandonment');
    // Ana, Bruno and Gabi entered; Ana's second cart was turned away by the re-entry rule; Ana bought
    // while the journey waited for it, Gabi the day after it ended (within the attribution window).
    expect(cart).toMatchObject({
      triggered: 4,
      entered: 3,
      notEntered: 1,
      completed: 2,
      exited: 1,
      converted: 2,
    });
    expect(cart?.conversionRate).toBeCloseTo(2 / 3);
    expect(cart?.funnel.map((stage) => [stage.label, stage.count])).toEqual([
      ['Triggered', 4],
      ['Entered', 3],
      ['Received a message', 3],
      ['Sent at step "remind"', 3],
      ['Sent at step "nudge"', 2],
      // The retargeting webhook to the ads system: the local engine answers its placeholder URL itself.
      ['Sent at step "retarget"', 2],
      ['Converted', 2],
    ]);
    // Ana's order stopped her execution while it waited for it: the exit is counted there.
    expect(cart?.steps['await-order']).toMatchObject({ entered: 3, exited: 1 });
    expect(cart?.steps.remind).toMatchObject({
      entered: 3,
      converted: 1,
      sent: { email: 3, sms: 0, push: 0 },
    });
    // Bruno's SMS nudge waited for quiet hours in New York and went out when they ended: one visit.
    expect(cart?.steps.nudge).toMatchObject({
      entered: 2,
      deferred: 1,
      sent: { email: 0, sms: 1, push: 1 },
    });
    // Gabi's order: the last touch is her push nudge. The retargeting webhook after it fed the ads system,
    // not her: it is no touch.
    expect(cart?.steps.retarget).toMatchObject({ converted: 0, sent: { webhook: 2 } });
    expect(cart?.steps.nudge).toMatchObject({ converted: 1 });
    // Last touch gives Gabi's order to that one message; linear shares it out, her reminder email included.
    const gabiTouches = 2;
    expect(figures.channels.find((row) => row.channel === 'email')).toMatchObject({ lastTouch: 1 });
    expect(figures.channels.find((row) => row.channel === 'email')?.linear).toBeCloseTo(1 + 1 / gabiTouches);
    expect(figures.channels.find((row) => row.channel === 'push')).toMatchObject({
      lastTouch: 1,
    });
    expect(figures.channels.find((row) => row.channel === 'push')?.linear).toBeCloseTo(1 / gabiTouches);
    // Counted as the entries were written: nothing that needs each customer read.
    expect(figures.basis).toBe('counters');
    expect(figures.compliance).toBeUndefined();
    expect(cart?.firstMessage).toBeUndefined();
    // Hugo's third survey of the day hit the weekly SMS cap.
    // Bruno's nudge waited for quiet hours in New York, and two of Hugo's surveys for those in São Paulo.
    expect(figures.notSent.byStatus).toMatchObject({ deferred: 3, 'opted-out': 1, capped: 1 });
    expect(figures.notSent.byCap).toEqual({ 'sms-weekly': 1 });
    // The two of those not held back by the cap went out once quiet hours ended.
    expect(figures.notSent.deferredThenSent).toBe(2);
    // Fabio turned push off: the chat reminder was not sent, and that is counted at its step.
    const chat = figures.journeys.find((journey) => journey.journeyId === 'chat-followup');
    expect(chat?.steps.reminder).toMatchObject({ entered: 1, notSent: 1 });

    const table = await report('--endpoint', engine.endpoint);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^cart-abandonment\s+4\s+3\s+0\s+2\s+1\s+0\s+0\s+2\s+66\.7%$/m);
    expect(table.out).toMatch(/^cart-abandonment\s+sms\s+0\s+1\s+0\s+0\s+0$/m);
    expect(table.out).toMatch(/^support-call-followup\s+sms\s+1\s+2\s+0\s+0\s+0$/m);
    expect(table.out).toContain('read every customer: waymark report --full');
    expect(table.out).not.toContain('violation(s) in');
  });

  it('with --full reads every customer: the same journeys, and time to first message, compliance, coordination, send rates', async () => {
    const counted: Report = JSON.parse((await report('--endpoint', engine.endpoint, '--json')).out);
    const json = await report('--endpoint', engine.endpoint, '--full', '--json');
    expect(json.err).toBe('');
    expect(json.code).toBe(0);
    const figures: FullReport = JSON.parse(json.out);
    expect(figures.basis).toBe('full');
    // The same counting over the same entries, whether kept as they came or done now from the whole table.
    expect(figures.journeys.map(({ firstMessage: _, ...journey }) => journey)).toEqual(counted.journeys);
    expect(figures.engagement).toEqual(counted.engagement);
    expect(figures.notSent).toEqual(counted.notSent);
    const cart = figures.journeys.find((journey) => journey.journeyId === 'cart-abandonment');
    // Each reminder went out an hour after its cart: timed from the cart event, which lists the journey it starts.
    expect(cart?.firstMessage).toMatchObject({
      samples: 3,
      p50Seconds: 3600,
      p95Seconds: 3600,
      fromTriggerEvent: 3,
    });
    // A call that fed the ads system is no message to the customer: compliance and coordination leave it out.
    expect(figures.compliance.messagesChecked).toBe(12);
    expect(figures.compliance.violations).toBe(0);

    // Coordination: the eight customers got twelve messages over eleven customer-days (each in the
    // profile's zone). Carla's case summary (email) and survey (SMS) went out together, the busiest
    // day, and the only one on two channels. Hugo's two surveys fell on separate São Paulo days (the
    // second waited out the night), Bruno's and Gabi's reminder and nudge a day apart. No customer
    // heard from two journeys on one day. What caps and quiet hours held back is the not-sent count.
    expect(figures.coordination).toMatchObject({
      customersMessaged: 8,
      messages: 12,
      messagesPerCustomer: 1.5,
      customerDays: 11,
      maxPerCustomerDay: 2,
      p95PerCustomerDay: 2,
      multiJourneyDays: 0,
      multiChannelDays: 1,
      customersInUtc: 0,
      busiest: { customerId: 'demo-carla-test', messages: 2, journeys: 1, channels: 2 },
      heldBack: { capped: 1, deferred: 3 },
    });
    expect(figures.coordination.messages).toBe(figures.compliance.messagesChecked);

    const table = await report('--endpoint', engine.endpoint, '--full');
    expect(table.code).toBe(0);
    expect(table.out).toContain('0 violation(s) in');
    expect(table.out).toMatch(/^most messages to one customer in one day\s+2$/m);
    expect(table.out).toMatch(/^customer-days with 2\+ journeys\s+0$/m);
    // The rate each channel reached, beside settings.sendRates, in the JSON and as a table.
    expect(figures.sendRates.map((row) => row.channel)).toEqual([
      'email',
      'sms',
      'push',
      'whatsapp',
      'webhook',
      'function',
    ]);
    expect(figures.sendRates[0]?.peakPerSecond).toBeGreaterThan(0);
    expect(table.out).toMatch(
      /^Send rates.*\nchannel\s+configured\s+peak in one second\s+at\n-+.*\nemail\s+\S+\s+[1-9]\d*\s+\d{4}-/m,
    );
  });

  it('waymark figures --recount rebuilds the counters from the history: the report reads the same figures', async () => {
    const before = await report('--endpoint', engine.endpoint, '--json');
    const output = captureIo();
    const code = await main(['figures', '--recount', '--endpoint', engine.endpoint], output.io);
    expect(output.err).toBe('');
    expect(code).toBe(0);
    expect(output.out).toMatch(
      /^Recounted \d+ history entries of \d+ customers in table waymark: \d+ counter items written/,
    );
    const after = await report('--endpoint', engine.endpoint, '--json');
    const { generatedAt: _, ...figures }: Report = JSON.parse(after.out);
    const { generatedAt: __, ...counted }: Report = JSON.parse(before.out);
    expect(figures).toEqual(counted);
  });

  it('says in one line that no engine answers, and exits non-zero', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const result = await report('--endpoint', endpoint);
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toBe(
      `waymark report: no local engine at ${endpoint}; start it with npm start (or give --endpoint)\n`,
    );
  });

  it('refuses --aws without a table', async () => {
    const result = await report('--aws');
    expect(result.code).toBe(2);
    expect(result.err).toContain('--aws needs --table');
  });
});
