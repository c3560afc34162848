/**
 * A deployed stage's own sender, configuration set, SMS number, send rates
 * and unsubscribe address, which win over journeys/settings.json: one set of
 * journeys, several stages.
 */
import { type Settings, settingsSchema } from '../journey/schema.ts';
import type { SendRates } from '../delivery/send-rates.ts';

export interface StageOverrides {
  senderFrom?: string;
  configurationSet?: string;
  smsOriginationNumber?: string;
  unsubscribeBaseUrl?: string;
  /** Per channel, over settings.json's: the stage's account has its own SES quota and numbers. */
  sendRates?: SendRates;
}

/** Settings with the stage's values in place; checked again, so a bad value fails here, not at send time. */
export function applyStageOverrides(settings: Settings, overrides: StageOverrides): Settings {
  return settingsSchema.parse({
    ...settings,
    senders: {
      ...settings.senders,
      email: {
        ...settings.senders.email,
        ...(overrides.senderFrom === undefined ? {} : { from: overrides.senderFrom }),
        ...(overrides.configurationSet === undefined ? {} : { configurationSet: overrides.configurationSet }),
      },
      sms: {
        ...settings.senders.sms,
        ...(overrides.smsOriginationNumber === undefined
          ? {}
          : { originationNumber: overrides.smsOriginationNumber }),
      },
    },
    sendRates: { ...settings.sendRates, ...overrides.sendRates },
    unsubscribe:
      overrides.unsubscribeBaseUrl === undefined
        ? settings.unsubscribe
        : { baseUrl: overrides.unsubscribeBaseUrl },
  });
}
