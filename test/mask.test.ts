import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS } from '../infra/local/constants.ts';
import { startLocalHost } from '../infra/local/host.ts';
import { sampleExample } from './support/events.ts';
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

describe('identifiers a client chose, shown in a console', () => {
  it('writes a newline or any control character as a visible escape, so an id cannot forge a log line', () => {
    const forged = maskIdentifier('cust-1\nINJECTED LOG LINE');
    expect(forged).toBe('cust-1\\nINJECTED LOG LINE');
    for (const id of [
      'a\rb',
      'a\u0000b',
      'a\u007fb',
      'a\u0085b',
      'a\u2028b',
      'a\u2029b',
      'a\tb',
      'a\u202eb',
    ]) {
      const shown = maskIdentifier(id);
      expect(shown).toMatch(/^a\\(?:[rtn]|u[0-9a-f]{4})b$/);
    }
  });

  it('keeps terminal escape sequences out of the console', () => {
    const shown = maskIdentifier('\u001b[2J\u001b[31mcust-2\u001b[0m');
    expect(shown).not.toContain('\u001b');
    expect(shown).toBe('\\u001b[2J\\u001b[31mcust-2\\u001b[0m');
  });

  it('masks the email address in an id that also carries a forged line, and shows the newline as \\n', () => {
    expect(maskIdentifier('bob@example.com\nINJECTED LOG LINE')).toBe('b***@example.com\\nINJECTED LOG LINE');
  });

  it('masks an email address or an international phone number inside a longer id', () => {
    expect(maskIdentifier('ana.souza@example.com (old account)')).toBe('a***@example.com (old account)');
    // With one "@" and no space, the whole id counts as the address: nothing of its local part shows.
    expect(maskIdentifier('user:ana.souza@example.com')).toBe('u***@example.com');
    expect(maskIdentifier('sms:+5511987654321:primary')).toBe('sms:+55*******4321:primary');
    // A run of digits without its "+" is as likely an order number as a phone number.
    expect(maskIdentifier('order-5511987654321')).toBe('order-5511987654321');
  });

  it('cuts an id past 64 characters with …, after masking, so no part of an address shows', () => {
    const long = maskIdentifier(`x${'y'.repeat(9_999)}`);
    expect(long).toHaveLength(65);
    expect(long.endsWith('…')).toBe(true);
    expect(maskIdentifier('c'.repeat(64))).toBe('c'.repeat(64));
    const addressAtTheCut = maskIdentifier(`${'p'.repeat(60)} joao.pereira@example.com`);
    expect(addressAtTheCut).not.toContain('joao');
    expect(addressAtTheCut.endsWith('…')).toBe(true);
    // Escapes count as shown: 10,000 newlines do not become 20,000 characters.
    expect(maskIdentifier('\n'.repeat(10_000)).length).toBeLessThanOrEqual(65);
  });
});

/** What the engine prints while it routes one chat.session.ended per customer id and starts their journeys. */
async function consoleLines(customerIds: readonly string[]): Promise<string[]> {
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
        Entries: customerIds.map((customerId) => ({
          EventBusName: 'waymark',
          Source: 'test',
          DetailType: 'chat.session.ended',
          Detail: JSON.stringify({
            ...sampleExample('chat.session.ended'),
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
  return lines;
}

describe("the local engine's console", () => {
  it('shows customer ids that are an email or a phone number masked, in routing and journey lines alike', async () => {
    const console = (await consoleLines(['ana.souza@example.com', '+5511987654321'])).join('\n');
    // Routed, and each started its journey: the lines that name the customer are there.
    expect(console).toContain('event chat.session.ended (a***@example.com) →');
    expect(console).toContain('event chat.session.ended (+55*******4321) →');
    expect(console).toMatch(/chat-followup \[a\*\*\*@example\.com\]: started/);
    expect(console).toMatch(/chat-followup \[\+55\*{7}4321\]: started/);
    expect(console).not.toContain('ana.souza');
    expect(console).not.toContain('987654321');
  });

  it('prints no line an id forged, no terminal escape and no id of 10,000 characters', async () => {
    const lines = await consoleLines([
      'bob@example.com\nINJECTED LOG LINE',
      '\u001b[2J\u001b[31mred-customer',
      `long-${'z'.repeat(10_000)}`,
    ]);
    // Each id was routed and started a journey: its lines are there, escaped and cut.
    const console = lines.join('\n');
    expect(console).toContain('event chat.session.ended (b***@example.com\\nINJECTED LOG LINE) →');
    expect(console).toMatch(/chat-followup \[\\u001b\[2J\\u001b\[31mred-customer\]: started/);
    expect(console).toMatch(/chat-followup \[long-z+…\]: started/);
    for (const line of lines) {
      expect(line.split('\n').filter((part) => part.startsWith('INJECTED'))).toEqual([]);
      expect(line).not.toContain('\u001b');
      expect(line).not.toContain('z'.repeat(100));
    }
  });
});
