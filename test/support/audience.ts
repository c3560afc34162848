/**
 * Journeys folders for audience tests: the samples' settings, templates,
 * events and segments, a "tagged" segment (tag "newsletter", whatever the
 * consent), and only the journeys under test, so the samples' own schedules
 * add nothing.
 */
import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type Channel = 'email' | 'sms' | 'push';

/** A journey that sends one message (marketing unless told) to whoever the trigger starts it for. */
export function oneSendJourney(
  id: string,
  trigger: Record<string, unknown>,
  channel: Channel = 'email',
  template = channel === 'sms' ? 'newsletter-nudge' : 'weekly-newsletter',
  category: 'marketing' | 'transactional' = 'marketing',
): Record<string, unknown> {
  return {
    id,
    name: id,
    version: 1,
    status: 'active',
    trigger,
    values: { offerCode: 'BF30', offerText: '30% off today' },
    start: 'send',
    steps: {
      send: { type: 'send', channel, template, category, next: 'done' },
      done: { type: 'end' },
    },
  };
}

/** Copies journeys/ to `dir` without its journeys (but those named in `keep`), then writes `journeys`. */
export function audienceProject(
  dir: string,
  journeys: readonly Record<string, unknown>[],
  keep: readonly string[] = [],
): void {
  cpSync('journeys', dir, { recursive: true });
  for (const file of readdirSync(dir)) {
    const isJourney = file.endsWith('.json') && !file.endsWith('.schema.json') && file !== 'settings.json';
    if (isJourney && !keep.includes(file.slice(0, -'.json'.length))) rmSync(join(dir, file));
  }
  writeFileSync(
    join(dir, 'segments', 'tagged.json'),
    JSON.stringify({
      id: 'tagged',
      name: 'Tagged for the newsletter',
      when: { field: 'profile.tags', contains: 'newsletter' },
    }),
  );
  for (const journey of journeys)
    writeFileSync(join(dir, `${String(journey.id)}.json`), JSON.stringify(journey));
}

/** A journey on cart.abandoned with the cart sample's values: `steps` from `start`, and an end step "done". */
export function cartJourney(
  id: string,
  start: string,
  steps: Record<string, Record<string, unknown>>,
): Record<string, unknown> {
  return {
    id,
    name: id,
    version: 1,
    status: 'active',
    trigger: { event: 'cart.abandoned' },
    values: { offerCode: 'CART10', offerText: '10% off', cartUrl: { from: 'event.cartUrl' } },
    start,
    steps: { ...steps, done: { type: 'end' } },
  };
}
