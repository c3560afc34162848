import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { importEndpointsCommand } from '../infra/cli/import-endpoints.ts';
import { profileUpdateSchema } from '../shared/events/built-in.ts';
import { translateEndpointExport, translateEndpointLines } from '../shared/migrate/pinpoint/endpoints.ts';
import { readCustomer } from '../shared/store/customers.ts';
import { captureIo } from './support/io.ts';
import { engineForSuite, historyIn, withTempFolder } from './support/local-engine.ts';

const FIXTURE = 'test/pinpoint/endpoints/export.jsonl';
const fixture = (): string => readFileSync(FIXTURE, 'utf8');

function line(endpoint: Record<string, unknown>): string {
  return JSON.stringify({ EndpointStatus: 'ACTIVE', OptOut: 'NONE', ...endpoint });
}

describe('a Pinpoint endpoint export read into profile updates', () => {
  it('groups endpoints by User.UserId into one detail per customer that the profile event accepts', () => {
    // Act
    const result = translateEndpointExport(fixture());

    // Assess
    expect(result.customers.map((detail) => detail.customerId)).toEqual([
      'cust-ana',
      'cust-ben',
      'anon-7f3e',
      'cust-cleo',
    ]);
    for (const detail of result.customers) expect(profileUpdateSchema.parse(detail)).toEqual(detail);
    expect(result.customers[0]).toEqual({
      customerId: 'cust-ana',
      email: 'ana@example.com',
      phone: '+5511987654321',
      push: { platform: 'apns', token: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90' },
      timeZone: 'America/Sao_Paulo',
      locale: 'pt-BR',
      consent: { sms: 'opted-out' },
      attributes: {
        FirstName: 'Ana',
        LastName: 'Souza',
        Interests: ['Science', 'Music', 'Travel'],
        signupSource: 'web',
        AppVersion: '4.2.0',
        Devices: ['iPhone', 'iPad'],
      },
    });
    expect(result.endpoints).toBe(12);
  });

  it('keeps an SNS endpoint ARN as the push endpoint and a GCM opt-out as a push opt-out', () => {
    const ben = translateEndpointExport(fixture()).customers.find(
      (detail) => detail.customerId === 'cust-ben',
    );

    expect(ben?.push).toEqual({
      platform: 'fcm',
      endpointArn:
        'arn:aws:sns:us-east-1:123456789012:endpoint/GCM/shop-android/0b7e4c2a-1d3f-4e5a-9b8c-7d6e5f4a3b2c',
    });
    expect(ben?.consent).toEqual({ push: 'opted-out' });
    expect(ben?.attributes).toEqual({ FirstName: 'Ben', LoyaltyTier: 'gold' });
  });

  it('makes an endpoint without a UserId a customer of its own, named by the endpoint Id', () => {
    const anonymous = translateEndpointExport(fixture()).customers.find(
      (detail) => detail.customerId === 'anon-7f3e',
    );

    expect(anonymous).toEqual({
      customerId: 'anon-7f3e',
      phone: '+14155550100',
      timeZone: 'America/Los_Angeles',
    });
  });

  it('skips INACTIVE endpoints and channels Waymark lacks, each with its line and reason', () => {
    const { skipped, customers } = translateEndpointExport(fixture());

    expect(skipped).toEqual([
      { line: 3, reason: expect.stringContaining('Attributes.FirstName') },
      { line: 4, reason: expect.stringContaining('INACTIVE') },
      { line: 7, reason: expect.stringContaining('VOICE') },
    ]);
    // The INACTIVE endpoint's address never reaches the profile.
    expect(JSON.stringify(customers)).not.toContain('ana.old@example.com');
  });

  it("puts an endpoint's own Attributes on the profile under the name templates read, a user attribute winning", () => {
    // Arrange: the fixture's ana-ios endpoint (line 3) has Attributes.FirstName "Nana" beside her
    // User.UserAttributes.FirstName "Ana"; and a customer whose endpoints carry both kinds.
    const text = [
      line({
        Id: 'w1',
        ChannelType: 'EMAIL',
        Address: 'w@example.com',
        EffectiveDate: '2025-01-01T00:00:00Z',
        Attributes: { Plan: ['basic'], Tier: ['gold'], Segment: ['old'] },
        User: { UserId: 'w', UserAttributes: { Tier: ['gold'], Name: ['Wu'] } },
      }),
      line({
        Id: 'w2',
        ChannelType: 'SMS',
        Address: '+15005550004',
        EffectiveDate: '2025-02-01T00:00:00Z',
        Attributes: { Plan: ['pro', 'trial'], Name: ['Wu phone'], Segment: [] },
        User: { UserId: 'w' },
      }),
    ].join('\n');

    // Act
    const fromFixture = translateEndpointExport(fixture());
    const result = translateEndpointExport(text);

    // Assess: user attributes win over the endpoint's, even a newer endpoint's; a differing endpoint
    // value is reported on its line, an equal one is not; one value a string, several a list.
    expect(fromFixture.customers[0]?.attributes).toMatchObject({ FirstName: 'Ana', signupSource: 'web' });
    expect(fromFixture.skipped[0]).toEqual({
      line: 3,
      reason:
        'Attributes.FirstName "Nana" not imported: User.UserAttributes.FirstName (line 2) is on the profile ' +
        'under that name, and a user attribute wins',
    });
    expect(result.customers[0]?.attributes).toEqual({
      Tier: 'gold',
      Name: 'Wu',
      Plan: ['pro', 'trial'],
      Segment: 'old',
    });
    expect(result.skipped).toEqual([
      { line: 2, reason: expect.stringContaining('Attributes.Name "Wu phone"') },
    ]);
    expect(result.problems).toEqual([]);
  });

  it('names each broken line with its number and what was expected, and never throws', () => {
    const { problems, customers } = translateEndpointExport(fixture());

    expect(problems).toEqual([
      { line: 9, message: expect.stringMatching(/^not JSON .*expected one endpoint object per line/) },
      { line: 11, message: expect.stringMatching(/^ChannelType is missing: expected one of EMAIL, SMS/) },
      { line: 12, message: expect.stringMatching(/^Unknown ChannelType "FAX": expected one of/) },
    ]);
    // The rest of cust-cleo (a good SMS line) is still imported; the broken email and FAX lines are not.
    expect(customers.find((detail) => detail.customerId === 'cust-cleo')).toEqual({
      customerId: 'cust-cleo',
      phone: '+442071234567',
      attributes: { Nickname: 'Cle' },
    });
  });

  it('keeps an opt-out as an opt-out whatever comes after it, and never makes NONE an opt-in by default', () => {
    // Arrange: an opted-out SMS endpoint, then a newer one that is not opted out, and an inactive opted-out email.
    const text = [
      line({
        Id: 'e1',
        ChannelType: 'SMS',
        Address: '+15005550001',
        OptOut: 'ALL',
        EffectiveDate: '2025-01-01T00:00:00Z',
        User: { UserId: 'u1' },
      }),
      line({
        Id: 'e2',
        ChannelType: 'SMS',
        Address: '+15005550002',
        EffectiveDate: '2025-02-01T00:00:00Z',
        User: { UserId: 'u1' },
      }),
      line({
        Id: 'e3',
        ChannelType: 'EMAIL',
        Address: 'u1@example.com',
        EffectiveDate: '2025-02-01T00:00:00Z',
        User: { UserId: 'u1' },
      }),
      line({
        Id: 'e4',
        ChannelType: 'EMAIL',
        Address: 'u1.old@example.com',
        OptOut: 'ALL',
        EndpointStatus: 'INACTIVE',
        User: { UserId: 'u1' },
      }),
    ].join('\n');

    // Act
    const byDefault = translateEndpointExport(text);
    const optedIn = translateEndpointExport(text, { noneAs: 'opted-in' });

    // Assess: the newest SMS address is kept, the older skipped, and both opt-outs stand.
    expect(byDefault.customers).toEqual([
      {
        customerId: 'u1',
        phone: '+15005550002',
        email: 'u1@example.com',
        consent: { sms: 'opted-out', email: 'opted-out' },
      },
    ]);
    expect(byDefault.skipped).toEqual([
      { line: 1, reason: expect.stringContaining('(line 2) is newer') },
      { line: 4, reason: expect.stringContaining('its opt-out is kept') },
    ]);
    expect(optedIn.customers[0]?.consent).toEqual({ sms: 'opted-out', email: 'opted-out' });
  });

  it('records NONE as an opt-in only when asked, and only on channels with an address', () => {
    const text = line({ Id: 'e1', ChannelType: 'EMAIL', Address: 'v@example.com', User: { UserId: 'v' } });

    expect(translateEndpointExport(text).customers[0]?.consent).toBeUndefined();
    expect(translateEndpointExport(text, { noneAs: 'opted-in' }).customers[0]?.consent).toEqual({
      email: 'opted-in',
    });
  });

  it('reports values the profile refuses as problems on their line and keeps the rest', () => {
    const text = [
      line({ Id: 'x1', ChannelType: 'EMAIL', Address: 'not-an-email', User: { UserId: 'x' } }),
      line({ Id: 'x2', ChannelType: 'SMS', Address: '0044 20 7123', User: { UserId: 'x' } }),
      line({
        Id: 'x3',
        ChannelType: 'GCM',
        Address: 'token-1',
        Demographic: { Timezone: 'Mars/Olympus' },
        User: { UserId: 'x' },
      }),
      line({ Id: 'x4', ChannelType: 'SMS', OptOut: 'SOME' }),
      line({ ChannelType: 'SMS', Address: '+15005550003' }),
      '[1, 2]',
    ].join('\n');

    const { customers, problems } = translateEndpointExport(text);

    expect(customers).toEqual([{ customerId: 'x', push: { platform: 'fcm', token: 'token-1' } }]);
    expect(problems).toEqual([
      { line: 1, message: expect.stringContaining('Expected an email address') },
      { line: 2, message: expect.stringContaining('E.164') },
      { line: 3, message: expect.stringContaining('Unknown time zone "Mars/Olympus"') },
      { line: 4, message: expect.stringContaining('Expected OptOut "ALL" or "NONE"') },
      { line: 5, message: 'no User.UserId and no Id: cannot tell whose endpoint this is' },
      { line: 6, message: expect.stringContaining('expected an endpoint object') },
    ]);
  });

  it('reads an async stream of lines the same as a whole text', async () => {
    // A Node stream of strings, as a file read line by line hands them over.
    const lines = Readable.from(fixture().split('\n'));

    expect(await translateEndpointLines(lines)).toEqual(translateEndpointExport(fixture()));
  });
});

describe('waymark import pinpoint-endpoints', () => {
  const engine = engineForSuite();

  it('prints the events and a summary on a dry run, and exits 1 naming the broken lines', async () => {
    const captured = captureIo();

    const code = await importEndpointsCommand([FIXTURE, '--dry-run'], captured.io);

    expect(code).toBe(1);
    const events = captured.out
      .trim()
      .split('\n')
      .map((text): unknown => JSON.parse(text));
    expect(events).toHaveLength(4);
    expect(events[0]).toMatchObject({
      source: 'waymark.import.pinpoint',
      'detail-type': 'customer.profile.updated',
      detail: { customerId: 'cust-ana', consent: { sms: 'opted-out' } },
    });
    expect(captured.err).toContain('12 endpoint(s), 4 customer(s) (dry run, nothing put)');
    expect(captured.err).toContain('opted out: email 0, sms 1, push 1');
    expect(captured.err).toContain('line 4: INACTIVE endpoint');
    expect(captured.err).toContain(`${FIXTURE}:9: not JSON`);
    expect(captured.err).toContain(`${FIXTURE}:12: Unknown ChannelType "FAX"`);
    // Nothing reached the engine.
    await fetch(`${engine.endpoint}/_local/clock`, { method: 'POST', body: '{}' });
    expect(await readCustomer(engine.host.runtime.store, 'cust-ben')).toEqual({ found: false });
  });

  it('exits 0 on a clean export and 2 without a file', async () => {
    await withTempFolder('pinpoint-endpoints-', async (dir) => {
      const clean = join(dir, 'clean.jsonl');
      writeFileSync(clean, `${line({ Id: 'e1', ChannelType: 'EMAIL', Address: 'ok@example.com' })}\n`);

      expect(await importEndpointsCommand([clean, '--dry-run'], captureIo().io)).toBe(0);
      expect(await importEndpointsCommand([join(dir, 'missing.jsonl')], captureIo().io)).toBe(2);
      expect(await importEndpointsCommand([], captureIo().io)).toBe(2);
    });
  });

  it('puts the profiles on the local bus, where record merges them with the opt-out kept', async () => {
    // Arrange: the customer had opted in to SMS in Waymark before the import.
    await engine.put('customer.profile.updated', 'cust-ana', { consent: { sms: 'opted-in' } });
    const captured = captureIo();

    // Act
    const code = await importEndpointsCommand([FIXTURE, '--endpoint', engine.endpoint], captured.io);
    await fetch(`${engine.endpoint}/_local/clock`, { method: 'POST', body: '{}' });

    // Assess
    expect(code).toBe(1);
    expect(captured.out).toContain(`4 customer(s) (put on bus waymark at ${engine.endpoint})`);
    expect(captured.err).not.toContain('failed    customer');
    const ana = await readCustomer(engine.host.runtime.store, 'cust-ana');
    expect(ana.found === true ? ana.customer.profile : ana).toMatchObject({
      email: 'ana@example.com',
      phone: '+5511987654321',
      push: { platform: 'apns', token: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90' },
      timeZone: 'America/Sao_Paulo',
      locale: 'pt-BR',
      consent: { email: 'unknown', sms: 'opted-out', push: 'unknown' },
      attributes: { FirstName: 'Ana', LastName: 'Souza', Interests: ['Science', 'Music', 'Travel'] },
    });
    const ben = await readCustomer(engine.host.runtime.store, 'cust-ben');
    expect(ben.found === true ? ben.customer.profile.consent.push : ben).toBe('opted-out');
    const anonymous = await readCustomer(engine.host.runtime.store, 'anon-7f3e');
    expect(anonymous.found === true ? anonymous.customer.profile.phone : anonymous).toBe('+14155550100');
    // The import is an ordinary profile event in the customer's history.
    const history = historyIn(await engine.timeline('cust-ben'));
    expect(history).toContainEqual(
      expect.objectContaining({
        kind: 'event',
        detailType: 'customer.profile.updated',
        source: 'waymark.import.pinpoint',
      }),
    );
  });

  it('merges the profiles straight into the local table with --table', async () => {
    await withTempFolder('pinpoint-endpoints-', async (dir) => {
      const file = join(dir, 'table.jsonl');
      writeFileSync(
        file,
        [
          line({
            Id: 't1',
            ChannelType: 'SMS',
            Address: '+15005550009',
            OptOut: 'ALL',
            User: { UserId: 'cust-table', UserAttributes: { FirstName: ['Tia'] } },
            Demographic: { Timezone: 'Asia/Tokyo' },
          }),
        ].join('\n'),
      );
      const captured = captureIo();

      const code = await importEndpointsCommand(
        [file, '--endpoint', engine.endpoint, '--table', 'waymark'],
        captured.io,
      );

      expect(code).toBe(0);
      expect(captured.out).toContain('merged into table waymark');
      const read = await readCustomer(engine.host.runtime.store, 'cust-table');
      expect(read.found === true ? read.customer.profile : read).toMatchObject({
        phone: '+15005550009',
        timeZone: 'Asia/Tokyo',
        consent: { sms: 'opted-out' },
        attributes: { FirstName: 'Tia' },
      });
    });
  });
});
