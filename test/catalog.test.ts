/**
 * The sample project's event catalog as everything reads it: the built-in profile update and the
 * event files in journeys/events/, each detail checked against its JSON Schema.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { customerProfileSchema, exampleProfile } from '../shared/customer/profile.ts';
import { eventEnvelopeSchema, eventTypes, parseEventDetail } from '../shared/events/catalog.ts';
import { sampleEvents, sampleExample } from './support/events.ts';

const fixturesDir = new URL('./events/', import.meta.url);
const catalog = sampleEvents();
const types = eventTypes(catalog);

function readFixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(name, fixturesDir), 'utf8'));
}

describe('event catalog', () => {
  it('lists every event type the samples use: the built-in ones (profile update, audience events) and one per event file', () => {
    expect(types).toEqual(
      [
        'cart.abandoned',
        'order.placed',
        'support.call.completed',
        'social.engagement',
        'chat.session.ended',
        'chat.session.started',
        'customer.profile.updated',
        'retargeting.audience.requested',
        'waymark.audience.broadcast',
        'waymark.segment.entered',
      ].sort(),
    );
    for (const builtIn of [
      'customer.profile.updated',
      'waymark.audience.broadcast',
      'waymark.segment.entered',
    ])
      expect(catalog.events.get(builtIn)?.origin, builtIn).toEqual({ kind: 'built-in' });
    expect(catalog.events.get('order.placed')?.origin).toEqual({
      kind: 'file',
      file: expect.stringMatching(/journeys\/events\/order\.placed\.json$/),
    });
  });

  it.each(types)('%s: the example parses and keeps every field', (type) => {
    const example = sampleExample(type);
    expect(parseEventDetail(catalog, type, example)).toEqual({ ok: true, detail: example });
  });

  it.each(types)('%s: the fixture is a valid envelope carrying the catalog example', (type) => {
    const envelope = eventEnvelopeSchema.parse(readFixture(`${type}.json`));
    expect(envelope['detail-type']).toBe(type);
    expect(envelope.version).toBe('0');
    expect(envelope.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(envelope.detail).toEqual(sampleExample(type));
    expect(parseEventDetail(catalog, envelope['detail-type'], envelope.detail).ok).toBe(true);
  });

  it('has no fixture for an event type the catalog does not know', () => {
    const stray = readdirSync(fixturesDir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.slice(0, -'.json'.length))
      .filter((type) => !catalog.events.has(type));
    expect(stray).toEqual([]);
  });

  it.each(types)('%s: a detail without customerId is rejected at customerId', (type) => {
    const { customerId: _omitted, ...rest } = sampleExample(type);
    const result = parseEventDetail(catalog, type, rest);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toContainEqual(expect.objectContaining({ path: ['customerId'] }));
  });

  it('rejects an empty customerId', () => {
    const result = parseEventDetail(catalog, 'chat.session.started', { customerId: '', sessionId: 'chat-1' });
    expect(result).toEqual({
      ok: false,
      problems: [{ path: ['customerId'], message: expect.stringContaining('too short') }],
    });
  });

  it('rejects an unknown event type and names the known ones', () => {
    const result = parseEventDetail(catalog, 'cart.forgotten', { customerId: 'cust-1001' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const [problem] = result.problems;
    expect(problem?.message).toContain('"cart.forgotten"');
    for (const type of types) expect(problem?.message).toContain(type);
  });

  it('does not treat Object.prototype keys as event types', () => {
    expect(catalog.events.has('toString')).toBe(false);
    expect(parseEventDetail(catalog, 'constructor', { customerId: 'cust-1001' }).ok).toBe(false);
  });

  it('reports nested problems with their full path, through a $ref', () => {
    const example = sampleExample('cart.abandoned');
    const items = Array.isArray(example.items) ? example.items : [];
    const result = parseEventDetail(catalog, 'cart.abandoned', {
      ...example,
      currency: 'brl',
      items: [{ ...items[0], quantity: 0 }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.problems.map((problem) => problem.path);
    expect(paths).toContainEqual(['currency']);
    expect(paths).toContainEqual(['items', 0, 'quantity']);
  });

  it('rejects an empty cart', () => {
    const result = parseEventDetail(catalog, 'cart.abandoned', {
      ...sampleExample('cart.abandoned'),
      items: [],
    });
    expect(result.ok).toBe(false);
  });

  it('rejects a link that is not a web address', () => {
    const result = parseEventDetail(catalog, 'chat.session.ended', {
      ...sampleExample('chat.session.ended'),
      continueUrl: 'javascript:alert(1)',
    });
    expect(result.ok).toBe(false);
  });

  it('accepts fields a producer added beyond the schema: producers may send more than journeys use', () => {
    const detail = { customerId: 'cust-1001', sessionId: 'chat-1', widgetVersion: '3.2.0' };
    expect(parseEventDetail(catalog, 'chat.session.started', detail)).toEqual({ ok: true, detail });
  });

  it('never throws, even for a non-object detail', () => {
    expect(parseEventDetail(catalog, 'order.placed', null).ok).toBe(false);
    expect(parseEventDetail(catalog, 'order.placed', 'order-1').ok).toBe(false);
  });

  it('rejects a profile update with a bad time zone', () => {
    const result = parseEventDetail(catalog, 'customer.profile.updated', {
      customerId: 'cust-1001',
      timeZone: 'America/Sao Paulo',
    });
    expect(result.ok).toBe(false);
  });
});

describe('customer profile', () => {
  it('parses the example profile unchanged', () => {
    expect(customerProfileSchema.parse(exampleProfile)).toEqual(exampleProfile);
  });

  it('carries every attribute the email templates use', () => {
    expect(Object.keys(exampleProfile.attributes)).toEqual(
      expect.arrayContaining(['firstName', 'lastName', 'loyaltyTier', 'lastSupportCallAt', 'supportTone']),
    );
  });

  it('fills in consent, attributes and tags for a minimal profile', () => {
    expect(customerProfileSchema.parse({ customerId: 'cust-2' })).toEqual({
      customerId: 'cust-2',
      consent: {
        email: 'unknown',
        sms: 'unknown',
        push: 'unknown',
        whatsapp: 'unknown',
        webhook: 'unknown',
        function: 'unknown',
      },
      attributes: {},
      tags: [],
    });
  });

  it('rejects an unknown time zone with a message naming it', () => {
    const result = customerProfileSchema.safeParse({ ...exampleProfile, timeZone: 'Mars/Olympus_Mons' });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['timeZone'],
        message:
          'Unknown time zone "Mars/Olympus_Mons": expected an IANA time zone name such as "America/Sao_Paulo"',
      }),
    ]);
  });

  it('rejects an empty time zone', () => {
    expect(customerProfileSchema.safeParse({ customerId: 'cust-2', timeZone: '' }).success).toBe(false);
  });

  it.each(['11987654321', '+0511987654321', '+55 11 98765-4321', '+12345'])('rejects phone %s', (phone) => {
    const result = customerProfileSchema.safeParse({ ...exampleProfile, phone });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['phone']);
    expect(result.error?.issues[0]?.message).toContain('E.164');
  });

  it('rejects a push endpoint with neither endpointArn nor token', () => {
    const result = customerProfileSchema.safeParse({ customerId: 'cust-2', push: { platform: 'apns' } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('A push endpoint needs an endpointArn or a token');
  });

  it('accepts a push endpoint with only a device token', () => {
    const result = customerProfileSchema.safeParse({
      customerId: 'cust-2',
      push: { platform: 'apns', token: 'a1b2c3d4' },
    });
    expect(result.success).toBe(true);
  });

  it.each(['pt_BR', 'pt-br', 'portuguese'])('rejects locale %s', (locale) => {
    expect(customerProfileSchema.safeParse({ customerId: 'cust-2', locale }).success).toBe(false);
  });

  it.each(['en', 'en-US', 'pt-BR', 'zh-Hant-TW', 'es-419'])('accepts locale %s', (locale) => {
    expect(customerProfileSchema.safeParse({ customerId: 'cust-2', locale }).success).toBe(true);
  });
});
