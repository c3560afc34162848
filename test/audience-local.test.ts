/**
 * Audiences on the local engine, through its endpoint with real SDK clients:
 * a broadcast reaches each member of its segment at 10:00 on their own
 * clock, records the ones it may not send to with the reason, defers SMS
 * in quiet hours, enters nobody twice; a segment entry starts its journey
 * once per entry.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { audienceProject, oneSendJourney } from './support/audience.ts';
import {
  entrancesIn,
  OPTED_IN,
  startTestEngine,
  type TestEngine,
  withTempFolder,
} from './support/local-engine.ts';

const START = new Date('2026-11-18T12:00:00.000Z');

function project(dir: string): void {
  audienceProject(
    dir,
    [
      oneSendJourney('black-friday', { segment: 'tagged', at: '2026-11-20T10:00', timeZone: 'customer' }),
      // Half an hour after black-friday, the same local day: over the one-a-day cap set below.
      oneSendJourney('flash-sale', { segment: 'tagged', at: '2026-11-20T10:30', timeZone: 'customer' }),
      oneSendJourney(
        'late-sms',
        { segment: 'tagged', at: '2026-11-21T22:00', timeZone: 'Europe/Lisbon' },
        'sms',
      ),
    ],
    ['gold-welcome'],
  );
  const settings = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'));
  settings.caps = [{ id: 'one-marketing-a-day', channels: 'any', limit: 1, window: 'calendarDay' }];
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings));
}

async function profile(
  engine: TestEngine,
  customerId: string,
  fields: Record<string, unknown>,
): Promise<void> {
  await engine.put('customer.profile.updated', customerId, {
    email: `${customerId}@example.com`,
    phone: '+5511900003333',
    consent: OPTED_IN,
    tags: { add: ['newsletter'] },
    ...fields,
  });
}

describe("a broadcast to a segment, at 10:00 in each customer's zone", () => {
  it('reaches each opted-in member once at their 10:00, records the opted-out, defers SMS in quiet hours', async () => {
    await withTempFolder('waymark-audience-', async (dir) => {
      project(dir);
      const engine = await startTestEngine({ journeysDir: dir, start: START });
      try {
        expect(engine.host.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
        await profile(engine, 'c-tokyo', { timeZone: 'Asia/Tokyo' });
        await profile(engine, 'c-lisbon', { timeZone: 'Europe/Lisbon' });
        await profile(engine, 'c-saopaulo', { timeZone: 'America/Sao_Paulo' });
        await profile(engine, 'c-nozone', {});
        await profile(engine, 'c-optedout', {
          timeZone: 'Europe/Lisbon',
          consent: { email: 'opted-out', sms: 'opted-out' },
        });
        await engine.put('customer.profile.updated', 'c-untagged', {
          email: 'u@example.com',
          consent: OPTED_IN,
        });
        await engine.advance('4d');
        const emails = (await engine.outbox({ channel: 'email' })).filter(
          (message) => message.journeyId === 'black-friday',
        );
        expect(emails.map((message) => [message.customerId, message.time]).sort()).toEqual([
          ['c-lisbon', '2026-11-20T10:00:00.000Z'],
          // No zone of their own: the settings' zone, America/Sao_Paulo.
          ['c-nozone', '2026-11-20T13:00:00.000Z'],
          ['c-saopaulo', '2026-11-20T13:00:00.000Z'],
          ['c-tokyo', '2026-11-20T01:00:00.000Z'],
        ]);
        const skipped = (await engine.timeline('c-optedout')).filter((entry) => entry.kind === 'skipped');
        expect(skipped).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ journeyId: 'black-friday', reason: expect.stringContaining('opted') }),
          ]),
        );
        const capped = await Promise.all(
          ['c-tokyo', 'c-lisbon', 'c-saopaulo', 'c-nozone'].map(async (customerId) =>
            (await engine.timeline(customerId)).filter(
              (entry) => entry.kind === 'skipped' && entry.journeyId === 'flash-sale',
            ),
          ),
        );
        for (const entries of capped)
          expect(entries).toEqual([expect.objectContaining({ status: 'capped' })]);
        // 22:00 in Lisbon, but quiet hours (SMS 21:00-08:00) are each customer's own: Tokyo waits for its
        // 08:00, Lisbon for its 08:00 the next day, São Paulo (19:00 there) is sent at once.
        const sms = (await engine.outbox({ channel: 'sms' })).filter(
          (message) => message.journeyId === 'late-sms',
        );
        expect(sms.map((message) => [message.customerId, message.time]).sort()).toEqual([
          ['c-lisbon', '2026-11-22T08:00:00.000Z'],
          ['c-nozone', '2026-11-21T22:00:00.000Z'],
          ['c-saopaulo', '2026-11-21T22:00:00.000Z'],
          ['c-tokyo', '2026-11-21T23:00:00.000Z'],
        ]);
      } finally {
        await engine.close();
      }
    });
  }, 60_000);
});

describe('a journey that starts when a customer enters a segment', () => {
  it('gold-welcome starts once per entry: not again while gold, again after leaving and coming back', async () => {
    await withTempFolder('waymark-entry-', async (dir) => {
      project(dir);
      const engine = await startTestEngine({ journeysDir: dir, start: START });
      try {
        const welcomes = async (): Promise<number> =>
          (await engine.outbox({ customerId: 'c-gold' })).filter(
            (message) => message.journeyId === 'gold-welcome',
          ).length;
        await engine.put('customer.profile.updated', 'c-gold', {
          email: 'gold@example.com',
          consent: OPTED_IN,
          attributes: { loyaltyTier: 'silver' },
        });
        await engine.advance('1m');
        expect(await welcomes()).toBe(0);
        await engine.put('customer.profile.updated', 'c-gold', { attributes: { loyaltyTier: 'gold' } });
        await engine.advance('1m');
        expect(await welcomes()).toBe(1);
        // Still gold: an update that changes something else enters nobody.
        await engine.put('customer.profile.updated', 'c-gold', { attributes: { firstName: 'Ana' } });
        await engine.advance('1m');
        expect(await welcomes()).toBe(1);
        await engine.put('customer.profile.updated', 'c-gold', { attributes: { loyaltyTier: 'silver' } });
        await engine.put('customer.profile.updated', 'c-gold', { attributes: { loyaltyTier: 'gold' } });
        await engine.advance('1m');
        expect(await welcomes()).toBe(2);
        // An entry event made by someone else names no entry record wrote: it starts nothing.
        const forged = await engine.eventbridge.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: 'waymark',
                Source: 'waymark.audience',
                DetailType: 'waymark.segment.entered',
                Detail: JSON.stringify({ customerId: 'c-gold', segment: 'gold', entryId: 'forged-1' }),
              },
            ],
          }),
        );
        await engine.advance('1m');
        expect(await welcomes()).toBe(2);
        const refused = (await engine.timeline('c-gold')).filter(
          (entry) => entry.kind === 'journey' && entry.action === 'not-entered',
        );
        const forgedId = forged.Entries?.[0]?.EventId;
        expect(forgedId).toEqual(expect.any(String));
        expect(refused).toEqual([
          expect.objectContaining({
            journeyId: 'gold-welcome',
            eventId: forgedId,
            reason: expect.stringContaining('no such segment entry'),
          }),
        ]);
        // Each entry is in the timeline, as is the forged event, received and refused.
        const entries = (await engine.timeline('c-gold')).filter(
          (entry) => entry.kind === 'event' && entry.detailType === 'waymark.segment.entered',
        );
        expect(entries).toHaveLength(3);
        // The two genuine ones entered gold-welcome; the forged one, refused, did not.
        const entered = entrancesIn(await engine.timeline('c-gold')).filter(
          (entrance) => entrance.journeyId === 'gold-welcome',
        );
        expect(entered).toHaveLength(2);
        expect(entered.map((entrance) => entrance.eventId)).not.toContain(forgedId);
      } finally {
        await engine.close();
      }
    });
  }, 60_000);
});
