/**
 * PutEvents through the edge against entries no event may carry: reserved aws.* sources, times out of
 * range, details nested too deep or with keys that reach a prototype. Each is refused per entry or with a 400.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import { engineForSuite } from '../support/local-engine.ts';
import { type RawAnswer, rawRequest } from '../support/signed-request.ts';
import { jsonOf, signedFor } from './support.ts';

describe('the edge: PutEvents refuses what no event may carry', () => {
  const engine = engineForSuite();

  const putRaw = (entries: unknown[]): Promise<RawAnswer> =>
    rawRequest(engine.endpoint, {
      method: 'POST',
      path: '/',
      headers: {
        ...signedFor('events', 'AWSEvents.PutEvents'),
        'content-type': 'application/x-amz-json-1.1',
      },
      body: JSON.stringify({ Entries: entries }),
    });

  it('refuses an aws.* source per entry: no producer may pass for SES', async () => {
    const bounce = JSON.stringify({
      eventType: 'Bounce',
      bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'x@example.com' }] },
      mail: { tags: { 'ses:configuration-set': ['waymark'] } },
    });
    const result = await engine.eventbridge.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: 'waymark', Source: 'aws.ses', DetailType: 'Email Bounced', Detail: bounce },
          {
            EventBusName: 'waymark',
            Source: 'test',
            DetailType: 'chat.session.ended',
            Detail: JSON.stringify({ customerId: 'edge-not-aws' }),
          },
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[0]).toMatchObject({ ErrorCode: 'NotAuthorizedForSourceException' });
    expect(result.Entries?.[1]?.EventId).toEqual(expect.any(String));
  });

  it.each([
    ['1e15 seconds', 1e15],
    ['a negative time', -1],
    ['a string that is no time', 'NaN'],
    ['a date past year 9999', '+275760-09-13T00:00:00Z'],
  ])('answers Time as %s with a 400, never a 500', async (_label, time) => {
    const answer = await putRaw([
      { Source: 'test', DetailType: 'chat.session.ended', Detail: '{"customerId":"edge-time"}', Time: time },
    ]);
    expect(answer.status).toBe(400);
    expect(jsonOf(answer)).toMatchObject({
      __type: expect.stringMatching(/^(Serialization|Validation)Exception$/),
    });
    expect(jsonOf(answer)).toMatchObject({ message: expect.stringContaining('Entries[0].Time') });
  });

  it('refuses a detail nested too deep, or with a __proto__ key, per entry with MalformedDetail', async () => {
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const answer = await putRaw([
      { Source: 'test', DetailType: 'chat.session.ended', Detail: deep },
      {
        Source: 'test',
        DetailType: 'chat.session.ended',
        Detail: '{"customerId":"edge-proto","__proto__":{"customerId":"someone-else"}}',
      },
    ]);
    expect(answer.status).toBe(200);
    const body = jsonOf(answer);
    expect(body).toMatchObject({
      FailedEntryCount: 2,
      Entries: [
        { ErrorCode: 'MalformedDetail', ErrorMessage: expect.stringContaining('100 levels') },
        { ErrorCode: 'MalformedDetail', ErrorMessage: expect.stringContaining('__proto__') },
      ],
    });
    expect(await engine.timeline('edge-proto')).toEqual([]);
  });

  it('refuses a "constructor" key, which the DynamoDB marshaller takes for a class, and keeps "prototype"', async () => {
    const answer = await putRaw([
      {
        Source: 'test',
        DetailType: 'chat.session.ended',
        Detail: JSON.stringify({ customerId: 'edge-constructor', nested: { constructor: 1 } }),
      },
      {
        Source: 'test',
        DetailType: 'chat.session.ended',
        Detail: JSON.stringify({ customerId: 'edge-prototype', prototype: 'y', nested: { prototype: [1] } }),
      },
    ]);
    expect(jsonOf(answer)).toMatchObject({
      FailedEntryCount: 1,
      Entries: [
        {
          ErrorCode: 'MalformedDetail',
          ErrorMessage: expect.stringContaining('"constructor" at detail.nested.constructor'),
        },
        { EventId: expect.any(String) },
      ],
    });
    await engine.advance('1m');
    expect(await engine.timeline('edge-constructor')).toEqual([]);
    expect(await engine.timeline('edge-prototype')).toContainEqual(
      expect.objectContaining({ kind: 'event', detailType: 'chat.session.ended' }),
    );
  });
});
