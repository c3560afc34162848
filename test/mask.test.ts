import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../infra/local/constants.ts';
import { startLocalHost } from '../infra/local/host.ts';
import { eventCatalog } from '../shared/events/catalog.ts';
import { maskIdentifier } from '../shared/text/mask.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

describe('identifiers in logs', () => {
  it('masks an id that is an email address, keeping its first character and its domain', () => {
    expect(maskIdentifier('ana.souza@example.com')).toBe('a***@example.com');
    expect(maskIdentifier('a@example.com')).toBe('a***@example.com');
    // The first character whole, even when it takes two UTF-16 units.
    expect(maskIdentifier('😀smile@example.com')).toBe('😀***@example.com');
    expect(maskIdentifier('Élodie@exemple.fr')).toBe('É***@exemple.fr');
  });

  it('masks an id that is a phone number, keeping the country code and the last four digits', () => {
    expect(maskIdentifier('+5511987654321')).toBe('+55*******4321');
    expect(maskIdentifier('+55 (11) 98765-4321')).toBe('+55*******4321');
    expect(maskIdentifier('+1 415.555.0100')).toBe('+14*****0100');
    expect(maskIdentifier('11987654321')).toBe('11*****4321');
  });

  it("shows at most six digits of a phone number and one character of an email's local part", () => {
    for (const phone of ['+5511987654321', '+44 20 7946 0958', '(415) 555-0100']) {
      expect(maskIdentifier(phone).replace(/\D/g, '').length).toBeLessThanOrEqual(6);
    }
    expect(maskIdentifier('joao.pereira+promo@mail.example.com').split('@')[0]).toBe('j***');
  });

  it('leaves other ids as they are', () => {
    for (const id of [
      'cust-42',
      'e2e-cart',
      'C-1001',
      '12345',
      'order#7',
      '',
      '@handle',
      'name@',
      '1234567890123456',
    ]) {
      expect(maskIdentifier(id)).toBe(id);
    }
  });
});

describe("the local engine's console", () => {
  it('shows customer ids that are an email or a phone number masked, in routing and journey lines alike', async () => {
    const lines: string[] = [];
    const host = await startLocalHost({
      journeysDir: 'journeys',
      port: 0,
      clock: { mode: { kind: 'manual' }, start: new Date('2026-11-18T12:00:00Z') },
      log: (line) => lines.push(line),
    });
    try {
      const eventbridge = new EventBridgeClient({
        region: 'us-east-1',
        endpoint: host.endpoint,
        credentials: LOCAL_CREDENTIALS,
      });
      await eventbridge.send(
        new PutEventsCommand({
          Entries: ['ana.souza@example.com', '+5511987654321'].map((customerId) => ({
            EventBusName: 'waymark',
            Source: 'test',
            DetailType: 'chat.session.ended',
            Detail: JSON.stringify({
              ...eventCatalog['chat.session.ended'].example,
              customerId,
              resolved: false,
            }),
          })),
        }),
      );
      await host.engine.idle();
    } finally {
      await host.close();
    }
    const console = lines.join('\n');
    // Routed, and each started its journey: the lines that name the customer are there.
    expect(console).toContain('event chat.session.ended (a***@example.com) →');
    expect(console).toContain('event chat.session.ended (+55*******4321) →');
    expect(console).toMatch(/chat-followup \[a\*\*\*@example\.com\]: started/);
    expect(console).toMatch(/chat-followup \[\+55\*{7}4321\]: started/);
    expect(console).not.toContain('ana.souza');
    expect(console).not.toContain('987654321');
  });
});
