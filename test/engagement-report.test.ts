/**
 * Engagement in the report (shared/report/engagement.ts): delivered, opened, clicked, bounced and
 * complained per journey step and channel, and per channel, counted per message from hand-built
 * histories; then as `waymark report` prints it, from the figures and from a local engine's data.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../infra/cli/main.ts';
import { formatReport } from '../infra/cli/report-format.ts';
import { journeySchema } from '../shared/journey/schema.ts';
import { buildReport } from '../shared/report/report.ts';
import type { Report } from '../shared/report/types.ts';
import { recordSesEngagement } from '../shared/runtime/engagement.ts';
import { sampleEvents } from './support/events.ts';
import { captureIo } from './support/io.ts';
import { engineForSuite } from './support/local-engine.ts';
import { chatSummaryMail, sesEngagementEvent, type SentMail } from './report/engine-fixtures.ts';
import { customer, engagement, message } from './report/fixtures.ts';

const journey = journeySchema.parse({
  id: 'promo',
  name: 'Spring promo',
  version: 1,
  status: 'active',
  trigger: { event: 'cart.abandoned' },
  exitOn: [],
  start: 'mail',
  steps: {
    mail: { type: 'send', channel: 'email', template: 't', category: 'marketing', next: 'nudge' },
    nudge: { type: 'send', channel: ['push', 'sms'], template: 't', category: 'marketing', next: 'sync' },
    sync: {
      type: 'send',
      channel: 'webhook',
      endpoint: 'ads',
      reaches: 'system',
      template: 't',
      category: 'marketing',
      next: 'done',
    },
    done: { type: 'end' },
  },
});

const inPromo = (executionId: string, messageId: string) => ({ journeyId: 'promo', executionId, messageId });
const anaMail = message(10, 'mail', 'email', inPromo('e-ana', 'ana-mail'));
const anaPush = message(20, 'nudge', 'push', inPromo('e-ana', 'ana-push'));
const anaSync = message(30, 'sync', 'webhook', { ...inPromo('e-ana', 'ana-sync'), reaches: 'system' });
const brunoMail = message(10, 'mail', 'email', inPromo('e-bruno', 'bruno-mail'));
const brunoSms = message(20, 'nudge', 'sms', inPromo('e-bruno', 'bruno-sms'));
const brunoSync = message(30, 'sync', 'webhook', { ...inPromo('e-bruno', 'bruno-sync'), reaches: 'system' });
const carlaMail = message(10, 'mail', 'email', inPromo('e-carla', 'carla-mail'));
const doraMail = message(10, 'mail', 'email', inPromo('e-dora', 'dora-mail'));

const customers = [
  // Ana: delivered, opened three times, clicked twice; her push reports nothing back; her webhook answered.
  customer('ana', [
    anaMail,
    engagement(11, anaMail, 'delivered'),
    engagement(12, anaMail, 'opened'),
    engagement(13, anaMail, 'opened'),
    engagement(14, anaMail, 'clicked', 'https://shop.example/spring'),
    engagement(15, anaMail, 'opened'),
    engagement(16, anaMail, 'clicked', 'https://shop.example/spring'),
    anaPush,
    anaSync,
    engagement(30, anaSync, 'delivered'),
  ]),
  // Bruno: a click with no open recorded (images blocked); his SMS delivered; his webhook answered.
  customer('bruno', [
    brunoMail,
    engagement(11, brunoMail, 'delivered'),
    engagement(14, brunoMail, 'clicked', 'https://shop.example/spring'),
    brunoSms,
    engagement(21, brunoSms, 'delivered'),
    brunoSync,
    engagement(30, brunoSync, 'delivered'),
  ]),
  // Carla: a hard bounce, which implies nothing else: not delivered.
  customer('carla', [carlaMail, engagement(11, carlaMail, 'bounced', 'Permanent')]),
  // Dora: an open, and no Delivery event (lost, or the configuration set does not publish it).
  customer('dora', [doraMail, engagement(40, doraMail, 'opened')]),
  // Eve: an open naming Ana's message id, which Eve was never sent: it belongs to no message of hers.
  customer('eve', [engagement(50, anaMail, 'opened')]),
];

const report = buildReport({
  customers,
  events: sampleEvents(),
  journeys: [journey],
  executions: [],
  now: new Date('2026-03-03T00:00:00.000Z'),
});

const rowOf = (stepId: string, channel: string) =>
  report.engagement.rows.find((row) => row.stepId === stepId && row.channel === channel);

describe('engagement per step and channel', () => {
  it('counts each message once per action, a click as an open, and any sign of the customer as delivered', () => {
    expect(rowOf('mail', 'email')).toEqual({
      journeyId: 'promo',
      stepId: 'mail',
      channel: 'email',
      sent: 4,
      // Ana, Bruno, Dora (her open says it arrived); not Carla's bounce.
      // Ana (three opens, one message), Bruno (his click), Dora.
      engaged: { delivered: 3, opened: 3, clicked: 2, bounced: 1, complained: 0 },
      rates: { delivered: 0.75, opened: 0.75, clicked: 0.5, bounced: 0.25, complained: 0 },
    });
  });

  it('gives no rate for what a channel does not report, and 0% for what it does', () => {
    expect(rowOf('nudge', 'push')).toMatchObject({
      sent: 1,
      rates: { delivered: null, opened: null, clicked: null, bounced: null, complained: null },
    });
    expect(rowOf('nudge', 'sms')).toMatchObject({
      sent: 1,
      engaged: { delivered: 1, opened: 0 },
      rates: { delivered: 1, opened: null, clicked: null },
    });
    // A webhook's success is its delivery, written when the call answered.
    expect(rowOf('sync', 'webhook')).toMatchObject({ sent: 2, rates: { delivered: 1, opened: null } });
  });

  it('lists the rows in graph order, then channels in their order, and sums them per channel', () => {
    expect(report.engagement.rows.map((row) => `${row.stepId}/${row.channel}`)).toEqual([
      'mail/email',
      'nudge/sms',
      'nudge/push',
      'sync/webhook',
    ]);
    const email = report.engagement.channels.find((row) => row.channel === 'email');
    expect(email).toMatchObject({ sent: 4, engaged: { delivered: 3, opened: 3, clicked: 2, bounced: 1 } });
    expect(report.engagement.channels.map((row) => [row.channel, row.sent])).toEqual([
      ['email', 4],
      ['sms', 1],
      ['push', 1],
      ['whatsapp', 0],
      ['webhook', 2],
      ['function', 0],
    ]);
    const whatsapp = report.engagement.channels.find((row) => row.channel === 'whatsapp');
    expect(whatsapp?.rates).toEqual({
      delivered: null,
      opened: null,
      clicked: null,
      bounced: null,
      complained: null,
    });
  });

  it("counts engagement with no message of the customer's apart, in no rate", () => {
    // Eve's open, and the delivery it implies: each action once per message, as the rates count.
    expect(report.engagement.unmatched).toBe(2);
  });

  it('takes a complaint as delivered, and as nothing more', () => {
    const mail = message(10, 'mail', 'email', inPromo('e-fabio', 'fabio-mail'));
    const complained = buildReport({
      customers: [customer('fabio', [mail, engagement(20, mail, 'complained')])],
      events: sampleEvents(),
      journeys: [journey],
      executions: [],
      now: new Date('2026-03-03T00:00:00.000Z'),
    });
    expect(complained.engagement.rows).toEqual([
      expect.objectContaining({
        engaged: { delivered: 1, opened: 0, clicked: 0, bounced: 0, complained: 1 },
      }),
    ]);
  });
});

describe('engagement as `waymark report` prints it', () => {
  const text = formatReport(report, [journey]);

  it('prints each step and channel with its counts and rates, "-" where the channel does not report', () => {
    expect(text).toMatch(
      /^Engagement by step\njourney\s+step\s+channel\s+sent\s+delivered\s+opened\s+clicked\s+bounced\s+complained\n/m,
    );
    expect(text).toMatch(
      /^promo\s+mail\s+email\s+4\s+3 \(75\.0%\)\s+3 \(75\.0%\)\s+2 \(50\.0%\)\s+1 \(25\.0%\)\s+0 \(0\.0%\)$/m,
    );
    // SMS reports deliveries, never opens or clicks.
    expect(text).toMatch(/^promo\s+nudge\s+sms\s+1\s+1 \(100\.0%\)\s+-\s+-\s/m);
    expect(text).toMatch(/^promo\s+nudge\s+push\s+1\s+-\s+-\s+-\s+-\s+-$/m);
    expect(text).toMatch(/^promo\s+sync\s+webhook\s+2\s+2 \(100\.0%\)\s+-\s+-\s+-\s+-$/m);
    expect(text).toContain('2 engagement actions name a message not in the history; they are in no rate.');
  });

  it('prints the channel totals for the channels that sent, and the webhook column in the steps', () => {
    const byChannel = text.slice(text.indexOf('Engagement by channel'), text.indexOf('Trigger to first'));
    expect(byChannel).toMatch(/^email\s+4\s+3 \(75\.0%\)\s+3 \(75\.0%\)\s+2 \(50\.0%\)/m);
    expect(byChannel).not.toMatch(/^whatsapp\s/m);
    expect(text).toMatch(
      /^step\s+type\s+entered\s+waiting\s+for a slot\s+email\s+sms\s+push\s+webhook\s+capped/m,
    );
  });
});

describe('engagement from a local engine, read by `waymark report`', () => {
  const engine = engineForSuite();

  it('prints the open and click rates of the summary email from SES events', async () => {
    const ana = await chatSummaryMail(engine, 'report-ana');
    const bruno = await chatSummaryMail(engine, 'report-bruno');
    const time = engine.host.clock.now().toISOString();
    const record = (id: string, mail: SentMail, what: Parameters<typeof sesEngagementEvent>[3]) =>
      recordSesEngagement(engine.host.runtime, sesEngagementEvent(id, time, mail, what));
    await record('ses-1', ana, { eventType: 'Delivery' });
    await record('ses-2', bruno, { eventType: 'Delivery' });
    await record('ses-3', ana, { eventType: 'Open' });
    await record('ses-4', ana, { eventType: 'Click', link: 'https://shop.example/chat?token=secret' });
    // A redelivered event (the same id) is written once.
    expect(await record('ses-4', ana, { eventType: 'Click', link: 'https://shop.example/chat' })).toEqual({
      status: 'duplicate',
      action: 'clicked',
    });

    const output = captureIo();
    expect(await main(['report', '--endpoint', engine.endpoint, '--json'], output.io)).toBe(0);
    const figures: Report = JSON.parse(output.out);
    const summary = figures.engagement.rows.find((row) => row.journeyId === 'chat-followup');
    expect(summary).toMatchObject({
      stepId: 'summary',
      channel: 'email',
      sent: 2,
      engaged: { delivered: 2, opened: 1, clicked: 1, bounced: 0 },
      rates: { delivered: 1, opened: 0.5, clicked: 0.5, bounced: 0 },
    });

    const table = captureIo();
    expect(await main(['report', '--endpoint', engine.endpoint], table.io)).toBe(0);
    expect(table.out).toMatch(
      /^chat-followup\s+summary\s+email\s+2\s+2 \(100\.0%\)\s+1 \(50\.0%\)\s+1 \(50\.0%\)\s+0 \(0\.0%\)/m,
    );
  });
});
