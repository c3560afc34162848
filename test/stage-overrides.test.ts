import { describe, expect, it } from 'vitest';
import { settingsSchema } from '../shared/journey/schema.ts';
import { applyStageOverrides } from '../shared/project/overrides.ts';

const settings = settingsSchema.parse({
  timeZone: 'UTC',
  senders: {
    email: { from: 'Shop <hello@shop.example.com>', configurationSet: 'shop' },
    sms: { originationNumber: '+15555550100' },
  },
  unsubscribe: { baseUrl: 'https://shop.example.com/unsubscribe' },
});

describe('a stage overrides settings.json', () => {
  it('with its own sender, configuration set, SMS number and unsubscribe address', () => {
    const staged = applyStageOverrides(settings, {
      senderFrom: 'Shop (test) <test@shop.example.com>',
      configurationSet: 'waymark-test',
      smsOriginationNumber: '+15555550199',
      unsubscribeBaseUrl: 'https://abc.lambda-url.us-east-1.on.aws/',
    });
    expect(staged.senders.email).toEqual({
      from: 'Shop (test) <test@shop.example.com>',
      configurationSet: 'waymark-test',
    });
    expect(staged.senders.sms.originationNumber).toBe('+15555550199');
    expect(staged.unsubscribe.baseUrl).toBe('https://abc.lambda-url.us-east-1.on.aws/');
  });

  it('with its own send rates, channel by channel', () => {
    const rated = settingsSchema.parse({ ...settings, sendRates: { email: 14, sms: 1 } });
    expect(applyStageOverrides(rated, { sendRates: { email: 200 } }).sendRates).toEqual({
      email: 200,
      sms: 1,
    });
    expect(() => applyStageOverrides(rated, { sendRates: { push: -1 } })).toThrow(/sendRates/);
  });

  it('keeps what the stage leaves out', () => {
    expect(applyStageOverrides(settings, {})).toEqual(settings);
  });

  it('refuses a value settings.json would refuse', () => {
    expect(() => applyStageOverrides(settings, { smsOriginationNumber: '555-0199' })).toThrow(
      /originationNumber/,
    );
  });
});
