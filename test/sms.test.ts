import { describe, expect, it } from 'vitest';
import { smsSize } from '../shared/render/sms.ts';

describe('SMS segments', () => {
  it('fits 160 GSM-7 characters in one segment and splits at 153', () => {
    expect(smsSize('a'.repeat(160))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsSize('a'.repeat(161))).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 });
    expect(smsSize('a'.repeat(306)).segments).toBe(2);
    expect(smsSize('a'.repeat(307)).segments).toBe(3);
  });

  it('counts extension characters twice', () => {
    expect(smsSize('€'.repeat(80))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsSize(`${'€'.repeat(80)}a`).segments).toBe(2);
  });

  it('switches to UCS-2 for characters outside GSM-7, such as Portuguese ã or an emoji', () => {
    expect(smsSize('Olá, João')).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(smsSize('ã'.repeat(71))).toEqual({ encoding: 'UCS-2', units: 71, segments: 2 });
    expect(smsSize('🛒'.repeat(35))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 });
  });
});
