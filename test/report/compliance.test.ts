/**
 * Preference compliance (shared/report/compliance) replayed from hand-built histories: each case is one a
 * wrong replay would get wrong (a send after an opt-out, an opt-out and an opt-in at the same instant).
 */
import { describe, expect, it } from 'vitest';
import { customerProfileSchema } from '../../shared/customer/profile.ts';
import { checkCompliance } from '../../shared/report/compliance.ts';
import { checkCoordination } from '../../shared/report/coordination.ts';
import { newNotSent } from '../../shared/report/not-sent.ts';
import type { CustomerRead } from '../../shared/store/customers.ts';
import { at, customer, message, profileUpdate } from './fixtures.ts';

describe('preference compliance, replayed from the history', () => {
  const optedIn = { consent: { email: 'opted-in', sms: 'opted-in', push: 'opted-in' } };

  it('counts a message sent after an unsubscribe, and not the one before', () => {
    const report = checkCompliance([
      customer('ana', [
        profileUpdate(0, optedIn),
        message(10, 'first', 'email'),
        { kind: 'preference', time: at(20), action: 'unsubscribed', channel: 'email', reason: 'link' },
        message(30, 'second', 'email'),
        message(40, 'second', 'sms'),
      ]),
    ]);
    expect(report).toMatchObject({ messagesChecked: 3, violations: 1 });
    expect(report.byRule['opted-out']).toBe(1);
    expect(report.examples).toEqual([
      expect.objectContaining({ customerId: 'ana', stepId: 'second', channel: 'email', since: at(20) }),
    ]);
  });

  it('takes an opt-out at the same instant as a send against it, whatever the time format', () => {
    const report = checkCompliance([
      customer('bia', [
        profileUpdate(0, optedIn),
        // The event keeps the producer's time without milliseconds; the message has them.
        { ...profileUpdate(10, { consent: { sms: 'opted-out' } }), time: at(10).replace('.000Z', 'Z') },
        message(10, 'first', 'sms'),
      ]),
    ]);
    expect(report.violations).toBe(1);
  });

  it('lets transactional messages through without an opt-in, but not marketing ones', () => {
    const report = checkCompliance([
      customer('caio', [
        message(10, 'receipt', 'email', { category: 'transactional' }),
        message(20, 'offer', 'email'),
        profileUpdate(30, { consent: { email: 'opted-out' } }),
        message(40, 'receipt', 'email', { category: 'transactional' }),
      ]),
    ]);
    expect(report).toMatchObject({ marketingChecked: 1, transactionalChecked: 2, violations: 2 });
    expect(report.byRule).toEqual({ 'opted-out': 1, suppressed: 0, 'no-marketing-consent': 1 });
  });

  it('follows a new opt-in after an unsubscribe', () => {
    const report = checkCompliance([
      customer('davi', [
        profileUpdate(0, optedIn),
        { kind: 'preference', time: at(5), action: 'unsubscribed', channel: 'email', reason: 'link' },
        profileUpdate(10, { consent: { email: 'opted-in' } }),
        message(20, 'offer', 'email'),
      ]),
    ]);
    expect(report.violations).toBe(0);
  });

  it('holds a suppression until the profile has another address', () => {
    const report = checkCompliance([
      customer('edu', [
        profileUpdate(0, { ...optedIn, email: 'edu@example.com' }),
        { kind: 'preference', time: at(5), action: 'suppressed', channel: 'email', reason: 'bounce' },
        message(10, 'offer', 'email', { category: 'transactional' }),
        profileUpdate(20, { email: 'edu@example.com' }),
        message(25, 'offer', 'email'),
        profileUpdate(30, { email: 'edu.new@example.com' }),
        message(40, 'offer', 'email'),
      ]),
    ]);
    expect(report.byRule.suppressed).toBe(2);
    expect(report.violations).toBe(2);
  });

  it('reads a partly invalid profile update as record applied it: its valid consent counts', () => {
    const report = checkCompliance([
      customer('fia', [
        profileUpdate(0, { consent: { email: 'opted-in' }, phone: '12345' }, ['phone: not E.164']),
        message(10, 'offer', 'email'),
      ]),
    ]);
    expect(report.byRule['no-marketing-consent']).toBe(0);
  });

  it('keeps an opt-out over an opt-in of the same instant, as the profile does, whatever their order in the history', () => {
    const report = checkCompliance([
      customer('fay', [
        profileUpdate(0, { consent: { email: 'opted-in' } }),
        profileUpdate(5, { consent: { email: 'opted-out' } }),
        profileUpdate(5, { consent: { email: 'opted-in' } }),
        message(10, 'offer', 'email'),
      ]),
    ]);
    expect(report.byRule['opted-out']).toBe(1);
  });

  it('ignores a profile update with nothing valid in it: it never reached the profile', () => {
    const report = checkCompliance([
      customer('fio', [
        profileUpdate(0, { consent: { email: 'yes please' } }, ['consent.email: invalid']),
        message(10, 'offer', 'email'),
      ]),
    ]);
    expect(report.byRule['no-marketing-consent']).toBe(1);
  });

  it("holds the stored profile's consent for a channel the retained history never changes", () => {
    const profile = customerProfileSchema.parse({ customerId: 'gil', consent: { email: 'opted-in' } });
    const stored: CustomerRead = {
      found: true,
      customer: {
        profile,
        profileVersion: 1,
        ledger: { version: 0, sends: [] },
        suppressions: {},
        engagementByHour: new Array<number>(24).fill(0),
        fieldStamps: { 'consent.email': { at: '2025-01-01T00:00:00.000Z', by: 'e-1' } },
        places: new Map(),
      },
    };
    const report = checkCompliance([
      customer('gil', [message(10, 'offer', 'email'), message(20, 'offer', 'sms')], { stored }),
    ]);
    expect(report.violations).toBe(1);
    expect(report.examples[0]).toMatchObject({ channel: 'sms', rule: 'no-marketing-consent' });
  });

  it('leaves out a webhook call that fed another system, as the runtime does; not one that reached the customer', () => {
    const histories = [
      customer('hana', [
        message(10, 'retarget', 'webhook', { reaches: 'system' }),
        message(20, 'in-app', 'webhook', { reaches: 'customer' }),
      ]),
    ];
    const report = checkCompliance(histories);
    // No consent on record: only the call that put a message before the customer needed it.
    expect(report).toMatchObject({ messagesChecked: 1, violations: 1 });
    expect(report.examples[0]).toMatchObject({ stepId: 'in-app', rule: 'no-marketing-consent' });
    const coordination = checkCoordination(histories, newNotSent());
    expect(coordination).toMatchObject({ customersMessaged: 1, messages: 1 });
  });
});
