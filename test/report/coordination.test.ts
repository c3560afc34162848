/**
 * Coordination across channels (shared/report/coordination): messages per customer-day, counted on each
 * customer's own clock, and what was held back.
 */
import { describe, expect, it } from 'vitest';
import { customerProfileSchema } from '../../shared/customer/profile.ts';
import { checkCoordination } from '../../shared/report/coordination.ts';
import type { CustomerRead } from '../../shared/store/customers.ts';
import { at, customer, message, profileUpdate } from './fixtures.ts';

describe('coordination across channels', () => {
  const noneHeldBack = {
    byStatus: { capped: 0, deferred: 0, 'rate-limited': 0, 'opted-out': 0, 'no-address': 0, failed: 0 },
  };
  function storedIn(customerId: string, timeZone: string): CustomerRead {
    return {
      found: true,
      customer: {
        profile: customerProfileSchema.parse({ customerId, timeZone }),
        profileVersion: 1,
        ledger: { version: 0, sends: [] },
        suppressions: {},
        engagementByHour: new Array<number>(24).fill(0),
        fieldStamps: {},
        places: new Map(),
      },
    };
  }

  it('tells two journeys on one day from one journey twice, and counts channels apart', () => {
    const report = checkCoordination(
      [
        // Two journeys, two channels, one day: one overlap day, one two-channel day.
        customer('ana', [
          message(0, 'remind', 'email', { journeyId: 'cart' }),
          message(120, 'survey', 'sms', { journeyId: 'support', executionId: 'exec-2' }),
        ]),
        // One journey twice on one channel: neither.
        customer('bia', [
          message(0, 'remind', 'email', { journeyId: 'cart' }),
          message(60, 'remind', 'email', { journeyId: 'cart', executionId: 'exec-2' }),
        ]),
        // One journey on two channels, three messages: a two-channel day, no overlap.
        customer('caio', [
          message(0, 'first', 'email', { journeyId: 'cart' }),
          message(30, 'second', 'push', { journeyId: 'cart' }),
          message(60, 'third', 'push', { journeyId: 'cart' }),
        ]),
        // No message at all: not a messaged customer, no day.
        customer('dani', [profileUpdate(0, { email: 'dani@example.com' })]),
      ],
      noneHeldBack,
    );
    expect(report).toEqual({
      customersMessaged: 3,
      messages: 7,
      messagesPerCustomer: 7 / 3,
      customerDays: 3,
      maxPerCustomerDay: 3,
      p95PerCustomerDay: 3,
      multiJourneyDays: 1,
      multiChannelDays: 2,
      customersInUtc: 3,
      busiest: {
        customerId: 'caio',
        day: '2026-03-02',
        timeZone: 'UTC',
        messages: 3,
        journeys: 1,
        channels: 2,
      },
      heldBack: { capped: 0, deferred: 0 },
    });
  });

  it("draws day boundaries on the customer's own clock, and in UTC without a time zone", () => {
    // 23:30Z and 01:30Z the next day: 20:30 and 22:30 of one evening in São Paulo (UTC-3), two UTC days.
    const lateEvening = [
      message(690, 'remind', 'email', { journeyId: 'cart' }),
      message(810, 'survey', 'sms', { journeyId: 'support', executionId: 'exec-2' }),
    ];
    const inSaoPaulo = checkCoordination(
      [customer('sp', lateEvening, { stored: storedIn('sp', 'America/Sao_Paulo') })],
      noneHeldBack,
    );
    expect(inSaoPaulo).toMatchObject({
      customerDays: 1,
      maxPerCustomerDay: 2,
      multiJourneyDays: 1,
      multiChannelDays: 1,
      customersInUtc: 0,
      busiest: { customerId: 'sp', day: '2026-03-02', timeZone: 'America/Sao_Paulo' },
    });
    const inUtc = checkCoordination(
      [
        customer('nozone', lateEvening, { stored: storedIn('nozone', 'UTC') }),
        customer('unknown', lateEvening),
        customer('damaged', lateEvening, { stored: { found: 'damaged', reason: 'bad json' } }),
      ],
      noneHeldBack,
    );
    expect(inUtc).toMatchObject({
      customerDays: 6,
      maxPerCustomerDay: 1,
      multiJourneyDays: 0,
      multiChannelDays: 0,
      // A profile that names UTC has a zone; the other two have none.
      customersInUtc: 2,
    });
    // 02:00Z and 04:00Z: one UTC day, but 23:00 and 01:00 in São Paulo, either side of midnight.
    const aroundMidnight = checkCoordination(
      [
        customer(
          'sp',
          [
            message(840, 'remind', 'email', { journeyId: 'cart' }),
            message(960, 'survey', 'sms', { journeyId: 'support', executionId: 'exec-2' }),
          ],
          { stored: storedIn('sp', 'America/Sao_Paulo') },
        ),
      ],
      noneHeldBack,
    );
    expect(aroundMidnight).toMatchObject({ customerDays: 2, maxPerCustomerDay: 1, multiJourneyDays: 0 });
  });

  it('takes the p95 over customer-days with a message, not over customers', () => {
    // One customer: a message on each of 19 days, and 5 on the 20th.
    const days = Array.from({ length: 19 }, (_, index) =>
      message(index * 1440, 'daily', 'email', { executionId: `exec-${index}` }),
    );
    const burst = Array.from({ length: 5 }, (_, index) =>
      message(19 * 1440 + index, 'burst', 'email', { executionId: 'exec-burst' }),
    );
    const report = checkCoordination([customer('eli', [...days, ...burst])], noneHeldBack);
    expect(report).toMatchObject({
      customersMessaged: 1,
      messages: 24,
      messagesPerCustomer: 24,
      customerDays: 20,
      maxPerCustomerDay: 5,
      // Rank ⌈0.95 × 20⌉ = 19 of [1 × 19, 5]: the busy day is the only one above it.
      p95PerCustomerDay: 1,
      busiest: { day: '2026-03-21', messages: 5 },
    });
  });

  it('answers nulls and zeros when nobody got a message, and passes on what was held back', () => {
    const heldBack = { byStatus: { ...noneHeldBack.byStatus, capped: 2, deferred: 3, failed: 4 } };
    const expected = {
      customersMessaged: 0,
      messages: 0,
      messagesPerCustomer: null,
      customerDays: 0,
      maxPerCustomerDay: null,
      p95PerCustomerDay: null,
      multiJourneyDays: 0,
      multiChannelDays: 0,
      customersInUtc: 0,
      busiest: null,
      heldBack: { capped: 2, deferred: 3 },
    };
    expect(checkCoordination([], heldBack)).toEqual(expected);
    expect(
      checkCoordination(
        [
          customer('fil', [
            profileUpdate(0, { email: 'fil@example.com' }),
            {
              kind: 'skipped',
              time: at(10),
              journeyId: 'cart',
              executionId: 'exec-1',
              stepId: 'remind',
              status: 'capped',
              reason: 'email: daily cap',
              channel: 'email',
            },
          ]),
        ],
        heldBack,
      ),
    ).toEqual(expected);
  });
});
