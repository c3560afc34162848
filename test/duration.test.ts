import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, MAX_DURATION_SECONDS, parseDuration } from '../shared/time/duration.ts';

describe('durations', () => {
  it.each([
    ['90s', 90],
    ['30m', 1800],
    ['1h', 3600],
    ['1h30m', 5400],
    ['23h', 82_800],
    ['7d', 604_800],
    ['2w', 1_209_600],
    ['1d12h', 129_600],
  ])('%s is %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toEqual({ ok: true, seconds });
  });

  it.each(['', '1', 'h', '1H', '1m1h', '1.5h', '-1h', '1 h', '1h1h'])('rejects %j', (text) => {
    expect(parseDuration(text).ok).toBe(false);
  });

  it('points ISO-8601 writers to the equivalent', () => {
    const parsed = parseDuration('PT1H30M');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.hint).toBe('write "1h30m" instead of ISO-8601 "PT1H30M"');
  });

  it('rejects zero and durations longer than a Step Functions execution can run', () => {
    expect(parseDuration('0s')).toMatchObject({ ok: false, message: expect.stringContaining('zero') });
    expect(parseDuration('53w')).toMatchObject({
      ok: false,
      message: expect.stringContaining('longer than a year'),
    });
  });

  it('formats back to the same seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_DURATION_SECONDS }), (seconds) => {
        expect(parseDuration(formatDuration(seconds))).toEqual({ ok: true, seconds });
      }),
    );
  });
});
