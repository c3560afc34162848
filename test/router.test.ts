/**
 * A routing target that fails: tried again a moment later, and if it keeps
 * failing, the event is kept as a dead letter on disk with the reason (as a
 * rule target's dead-letter queue keeps it on AWS), never silently dropped,
 * and routed once more at the next start.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleEvents, sampleExample } from './support/events.ts';
import type { EventEnvelope } from '../shared/events/catalog.ts';
import { DEAD_LETTERS_FILE, openIntakeJournal } from '../infra/local/intake-journal.ts';
import { coreRules, EventRouter, type LocalFunctions } from '../infra/local/router.ts';
import { withTempFolder } from './support/local-engine.ts';

const event: EventEnvelope = {
  version: '0',
  id: 'event-1',
  'detail-type': 'cart.abandoned',
  source: 'shop',
  account: '000000000000',
  time: '2026-11-18T12:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { ...sampleExample('cart.abandoned'), customerId: 'c-router' },
};

/** Functions that do nothing, but record, which fails `failures` times before it succeeds. */
function functionsFailing(failures: number): { functions: LocalFunctions; recordCalls: () => number } {
  let calls = 0;
  const ok = () => Promise.resolve(undefined);
  const functions: LocalFunctions = {
    steps: ok,
    deliver: ok,
    resume: ok,
    goals: ok,
    preferences: ok,
    finish: ok,
    record: () => {
      calls += 1;
      return calls <= failures ? Promise.reject(new Error(`store unavailable (${calls})`)) : ok();
    },
  };
  return { functions, recordCalls: () => calls };
}

function routeOnce(functions: LocalFunctions, journalDir: string) {
  return new Promise<{ routed: string[]; deadLetters: string[] }>((resolve, reject) => {
    openIntakeJournal(journalDir)
      .then((journal) => {
        const deadLetters: string[] = [];
        const router = new EventRouter({
          rules: () => coreRules('waymark', sampleEvents()),
          customerOf: (event) =>
            typeof event.detail.customerId === 'string' ? event.detail.customerId : undefined,
          functions,
          startJourney: () => undefined,
          log: () => undefined,
          stamp: () => '',
          retryDelaysMs: [1, 1],
          deadLetter: (failed, target, reason) => {
            deadLetters.push(`${target}: ${reason}`);
            journal.deadLetter({ event: failed, target, reason, time: '2026-11-18T12:00:01Z' });
          },
          routed: (routedEvent) => {
            void journal.close().then(() => resolve({ routed: [routedEvent.id], deadLetters }));
          },
        });
        router.accept(event);
      })
      .catch(reject);
  });
}

describe('routing a target that fails', () => {
  it('tries it again and succeeds without a dead letter when the failure passes', async () => {
    await withTempFolder('waymark-router-', async (dir) => {
      const { functions, recordCalls } = functionsFailing(2);
      const outcome = await routeOnce(functions, dir);
      expect(outcome).toEqual({ routed: ['event-1'], deadLetters: [] });
      expect(recordCalls()).toBe(3);
    });
  });

  it('keeps the event as a dead letter on disk, with the target and the reason, when it keeps failing', async () => {
    await withTempFolder('waymark-router-', async (dir) => {
      const { functions, recordCalls } = functionsFailing(10);
      const outcome = await routeOnce(functions, dir);
      expect(outcome.deadLetters).toEqual(['record: Error: store unavailable (3)']);
      expect(recordCalls()).toBe(3);
      const kept = readFileSync(join(dir, DEAD_LETTERS_FILE), 'utf8').trim().split('\n');
      expect(kept.map((line): unknown => JSON.parse(line))).toEqual([
        expect.objectContaining({ target: 'record', event: expect.objectContaining({ id: 'event-1' }) }),
      ]);
      // The next start routes it once more (the store that failed may be back), and the letter goes.
      const reopened = await openIntakeJournal(dir);
      expect(reopened.unrouted.map((unrouted) => unrouted.id)).toEqual(['event-1']);
      expect(existsSync(join(dir, DEAD_LETTERS_FILE))).toBe(false);
      await reopened.close();
      const again = await openIntakeJournal(dir);
      expect(again.unrouted.map((unrouted) => unrouted.id)).toEqual(['event-1']);
      await again.close();
    });
  });
});
