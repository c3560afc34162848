/**
 * Send rates as a user sees them: messages of several journeys share a channel's rate, a journey's
 * own rate only lowers it, and a message held by quiet hours then waits for its slot. The local
 * engine runs the compiled journeys on a manual clock, so every wait is the state machine's
 * (rateWait, then withSlot) and every send time is exact.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { executionPosition } from '../infra/local/panel-sources.ts';
import { isWaitingForSlot } from '../shared/report/send-rates.ts';
import { slotSpacingMicros } from '../shared/delivery/send-rates.ts';
import { OPTED_IN, startTestEngine, type TestEngine, withTempFolder } from './support/local-engine.ts';

const engines: TestEngine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
});

const THANKS = (sendRate: number | undefined, category: 'marketing' | 'transactional') => ({
  $schema: './journey.schema.json',
  id: 'order-thanks',
  name: 'Thank you for your order',
  version: 1,
  status: 'active',
  trigger: { event: 'order.placed' },
  entry: { reentry: 'always' },
  ...(sendRate === undefined ? {} : { sendRate }),
  start: 'thanks',
  steps: {
    thanks: { type: 'send', channel: 'email', template: 'order-thanks', category, next: 'done' },
    done: { type: 'end' },
  },
});

/** The sample project with these settings changes and the order-thanks journey, in `dir`. */
function project(dir: string, settings: Record<string, unknown>, thanks: ReturnType<typeof THANKS>): string {
  const journeys = join(dir, 'journeys');
  cpSync('journeys', journeys, { recursive: true });
  const sample: Record<string, unknown> = JSON.parse(readFileSync('journeys/settings.json', 'utf8'));
  writeFileSync(join(journeys, 'settings.json'), JSON.stringify({ ...sample, ...settings }));
  mkdirSync(join(journeys, 'templates', 'order-thanks'));
  const template = (file: string, text: string): void =>
    writeFileSync(join(journeys, 'templates', 'order-thanks', file), text);
  template('email.subject.liquid', 'Thank you for order {{ event.orderId }}');
  template('email.text.liquid', 'We are packing it. Unsubscribe: {{ unsubscribeUrl }}');
  template('email.html.liquid', '<p>We are packing it.</p><a href="{{ unsubscribeUrl }}">Unsubscribe</a>');
  writeFileSync(join(journeys, 'order-thanks.json'), JSON.stringify(thanks));
  return journeys;
}

async function engineFor(journeysDir: string, start: Date): Promise<TestEngine> {
  const engine = await startTestEngine({ journeysDir, start });
  engines.push(engine);
  return engine;
}

async function customers(engine: TestEngine, prefix: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, index) => `${prefix}-${index}`);
  for (const id of ids) {
    await engine.put('customer.profile.updated', id, { email: `${id}@example.com`, consent: OPTED_IN });
  }
  return ids;
}

/** Send times of every email in the outbox, in milliseconds, sorted. */
async function emailTimes(engine: TestEngine): Promise<number[]> {
  const messages = await engine.outbox({ channel: 'email' });
  return messages.map((message) => Date.parse(message.time)).sort((a, b) => a - b);
}

/** The most sends in any one-second window [t, t + 1000). */
function peakPerSecond(times: readonly number[]): number {
  let peak = 0;
  let first = 0;
  for (let last = 0; last < times.length; last += 1) {
    while ((times[last] ?? 0) - (times[first] ?? 0) >= 1000) first += 1;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}

describe('send rates', () => {
  it('hold across concurrent executions of several journeys, and a journey rate above them raises nothing', async () => {
    await withTempFolder('waymark-rates-', async (dir) => {
      const start = new Date('2026-11-18T12:00:00.000Z');
      const engine = await engineFor(
        project(dir, { sendRates: { email: 2 } }, THANKS(100, 'transactional')),
        start,
      );
      const chatters = await customers(engine, 'chat', 6);
      const buyers = await customers(engine, 'buyer', 4);
      for (const id of chatters) await engine.put('chat.session.ended', id, { resolved: false });
      for (const id of buyers) await engine.put('order.placed', id);
      // Nine wait for their slot in the state machine, and the panel's figures can tell.
      const positions = engine.host.engine.listExecutions().map(executionPosition);
      expect(positions.filter((position) => isWaitingForSlot(position))).toHaveLength(9);
      for (let second = 0; second < 8; second += 1) await engine.advance('1s');

      const times = await emailTimes(engine);
      expect(times).toHaveLength(10);
      expect(peakPerSecond(times)).toBe(2);
      // Ten messages at two a second, each slot 1.025 s / 2 after the last (the 25 ms a send may run
      // late without two of them falling in one second): the last 4.6 s after the first.
      expect((times[9] ?? 0) - (times[0] ?? 0)).toBe(Math.ceil((9 * slotSpacingMicros(2)) / 1000));
      // Every message but the first waited for its slot, recorded as such, and none failed.
      const statuses = (await Promise.all([...chatters, ...buyers].map((id) => engine.timeline(id)))).flatMap(
        (timeline) => timeline.map((entry) => entry.status).filter((status) => status !== undefined),
      );
      expect(statuses.filter((status) => status === 'rate-limited')).toHaveLength(9);
      expect(statuses.filter((status) => status !== 'rate-limited')).toEqual([]);
    });
  });

  it('a journey rate lowers the channel rate for that journey only', async () => {
    await withTempFolder('waymark-rates-', async (dir) => {
      const start = new Date('2026-11-18T12:00:00.000Z');
      const engine = await engineFor(
        project(dir, { sendRates: { email: 10 } }, THANKS(1, 'transactional')),
        start,
      );
      const buyers = await customers(engine, 'buyer', 4);
      const chatters = await customers(engine, 'chat', 4);
      for (const id of buyers) await engine.put('order.placed', id);
      for (const id of chatters) await engine.put('chat.session.ended', id, { resolved: false });
      for (let second = 0; second < 5; second += 1) await engine.advance('1s');

      const messages = await engine.outbox({ channel: 'email' });
      const thanks = messages
        .filter((message) => message.journeyId === 'order-thanks')
        .map((message) => Date.parse(message.time));
      const chats = messages
        .filter((message) => message.journeyId === 'chat-followup')
        .map((message) => Date.parse(message.time));
      expect(thanks).toHaveLength(4);
      expect(peakPerSecond(thanks.sort((a, b) => a - b))).toBe(1);
      // The chat summaries keep the channel's 10 a second: all four within the first second.
      expect(chats).toHaveLength(4);
      expect(Math.max(...chats) - start.getTime()).toBeLessThan(1000);
    });
  });

  it('a message held by quiet hours then waits for its send slot', async () => {
    await withTempFolder('waymark-rates-', async (dir) => {
      // 23:00 UTC, inside the email quiet hours: marketing waits for 08:00, then goes one a second.
      const start = new Date('2026-11-18T23:00:00.000Z');
      const settings = {
        timeZone: 'UTC',
        sendRates: { email: 1 },
        quietHours: { email: { start: '21:00', end: '08:00' }, sms: null, push: null },
      };
      const engine = await engineFor(project(dir, settings, THANKS(undefined, 'marketing')), start);
      const buyers = await customers(engine, 'night', 3);
      for (const id of buyers) await engine.put('order.placed', id);
      expect(await emailTimes(engine)).toEqual([]);
      await engine.advance('9h');
      for (let second = 0; second < 4; second += 1) await engine.advance('1s');

      const opens = Date.parse('2026-11-19T08:00:00.000Z');
      const spacing = slotSpacingMicros(1) / 1000;
      expect(await emailTimes(engine)).toEqual([opens, opens + spacing, opens + 2 * spacing]);
      const timeline = await engine.timeline('night-2');
      expect(timeline.map((entry) => entry.status).filter((status) => status !== undefined)).toEqual([
        'deferred',
        'rate-limited',
      ]);
    });
  });
});
