/**
 * A webhook under a power cut: `waymark local` is killed (SIGKILL) while the
 * receiver holds the request open. After the restart the step runs again and
 * calls once more with the same Idempotency-Key, so a receiver that keeps its
 * keys acts once; the history ends with one message, never two.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../shared/channels/webhook-signature.ts';
import { audienceProject, cartJourney } from './support/audience.ts';
import { startEngineProcess } from './support/engine-process.ts';
import { sampleExample } from './support/events.ts';
import { withTempFolder } from './support/local-engine.ts';
import { startWebhookReceiver } from './support/webhook-receiver.ts';

const SECRET_VARIABLE = 'WAYMARK_CRASH_HOOK_SECRET';
const SECRET = 'crash-hook-secret-51c2';

async function timelineOf(endpoint: string, customerId: string): Promise<Record<string, unknown>[]> {
  const response = await fetch(`${endpoint}/_local/customers/${customerId}/timeline`);
  const body: unknown = await response.json();
  if (typeof body !== 'object' || body === null || !('entries' in body) || !Array.isArray(body.entries)) {
    throw new Error('a timeline has entries');
  }
  return body.entries.filter(
    (entry): entry is Record<string, unknown> => typeof entry === 'object' && entry !== null,
  );
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a webhook when the engine is killed mid-request', () => {
  it('is called again after the restart with the same key, and recorded once', async () => {
    // The first request is held open (the engine dies before any answer); later ones are accepted.
    const receiver = await startWebhookReceiver([{ status: 202, delayMs: 60_000 }, { status: 202 }]);
    process.env[SECRET_VARIABLE] = SECRET;
    try {
      await withTempFolder('waymark-crash-webhook-', async (folder) => {
        const journeys = join(folder, 'journeys');
        const dataDir = join(folder, 'data');
        mkdirSync(journeys);
        audienceProject(journeys, [
          cartJourney('hook', 'call', {
            call: {
              type: 'send',
              channel: 'webhook',
              endpoint: 'receiver',
              reaches: 'system',
              template: 'cart-retarget',
              category: 'marketing',
              next: 'done',
            },
          }),
        ]);
        const settingsFile = join(journeys, 'settings.json');
        const settings: Record<string, unknown> = JSON.parse(readFileSync(settingsFile, 'utf8'));
        settings.webhooks = {
          receiver: { url: `${receiver.url}/hooks/cart`, secret: SECRET_VARIABLE, timeoutSeconds: 20 },
        };
        writeFileSync(settingsFile, JSON.stringify(settings));

        const first = await startEngineProcess(dataDir, journeys);
        const eventbridge = new EventBridgeClient({
          region: 'us-east-1',
          endpoint: first.endpoint,
          credentials: { accessKeyId: 'crash', secretAccessKey: 'crash' },
        });
        await eventbridge.send(
          new PutEventsCommand({
            Entries: [
              {
                EventBusName: 'waymark',
                Source: 'shop.web',
                DetailType: 'cart.abandoned',
                Detail: JSON.stringify({ ...sampleExample('cart.abandoned'), customerId: 'c-crash' }),
              },
            ],
          }),
        );
        await until(() => Promise.resolve(receiver.received.length === 1), 'the first request');
        await first.kill();

        const second = await startEngineProcess(dataDir, journeys);
        try {
          await until(() => Promise.resolve(receiver.received.length >= 2), 'the request after the restart');
          // The call is the journey's last step: its message entry says the journey completed.
          await until(
            async () =>
              (await timelineOf(second.endpoint, 'c-crash')).some(
                (entry) => entry.kind === 'message' && entry.completes === true,
              ),
            'the journey to complete',
          );
          const [held, again] = receiver.received;
          expect(again?.headers['idempotency-key']).toBe(held?.headers['idempotency-key']);
          expect(again?.body).toBe(held?.body);
          expect(
            verifyWebhookSignature(
              SECRET,
              again?.body ?? '',
              String(again?.headers['waymark-signature']),
              new Date(),
            ),
          ).toBe(true);
          const timeline = await timelineOf(second.endpoint, 'c-crash');
          expect(timeline.filter((entry) => entry.kind === 'message')).toEqual([
            expect.objectContaining({
              channel: 'webhook',
              stepId: 'call',
              response: 'HTTP 202',
              completes: true,
            }),
          ]);
          expect(timeline.filter((entry) => entry.kind === 'journey')).toEqual([]);
          // Nothing more goes out once it is recorded.
          await new Promise((resolve) => setTimeout(resolve, 1_000));
          expect(receiver.received).toHaveLength(2);
        } finally {
          await second.kill();
        }
      });
    } finally {
      delete process.env[SECRET_VARIABLE];
      await receiver.close();
    }
  }, 120_000);
});
