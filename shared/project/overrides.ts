/**
 * A deployed stage's own sender, configuration set, SMS number, send rates,
 * unsubscribe address and webhook URLs, which win over journeys/settings.json:
 * one set of journeys, several stages.
 */
import * as z from 'zod';
import { webhookUrlRefusal } from '../channels/endpoint-url.ts';
import { targetNameSchema } from '../journey/channel-settings.ts';
import { type Settings, settingsSchema } from '../journey/schema.ts';
import type { SendRates } from '../delivery/send-rates.ts';

/**
 * A stage's webhook URLs by endpoint name (cdk.json `webhookUrls`, then the deliver function's
 * environment): https only, since a deployed function calls nothing else.
 */
export const webhookUrlsSchema = z.record(
  targetNameSchema,
  z.url().refine((url) => webhookUrlRefusal(new URL(url), false) === undefined, {
    message: 'expected an https:// URL without credentials: a deployed webhook is called over https only',
  }),
);
export type WebhookUrls = z.infer<typeof webhookUrlsSchema>;

export interface StageOverrides {
  senderFrom?: string;
  configurationSet?: string;
  smsOriginationNumber?: string;
  unsubscribeBaseUrl?: string;
  /** Per channel, over settings.json's: the stage's account has its own SES quota and numbers. */
  sendRates?: SendRates;
  /**
   * Endpoint name -> URL, over settings.json's `webhooks[name].url`, as the JSON text the CDK stack
   * writes (`WAYMARK_WEBHOOK_URLS`); checked against webhookUrlsSchema and settings.json's names.
   */
  webhookUrlsJson?: string;
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
    webhooks:
      overrides.webhookUrlsJson === undefined
        ? settings.webhooks
        : webhooksWithUrls(settings, parseWebhookUrls(overrides.webhookUrlsJson)),
  });
}

/** The stage's webhook URLs from their JSON text; a value that does not parse fails, named. */
export function parseWebhookUrls(text: string): WebhookUrls {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`The stage's webhook URLs are not JSON: ${text}`);
  }
  return webhookUrlsSchema.parse(value);
}

function webhooksWithUrls(settings: Settings, urls: WebhookUrls): Settings['webhooks'] {
  const unknown = Object.keys(urls).filter((name) => !Object.hasOwn(settings.webhooks, name));
  if (unknown.length > 0) {
    // The CDK app checks the names against settings.json; a mismatch means another settings.json.
    throw new Error(
      `The stage sets URLs for webhooks that settings.json does not declare: ${unknown.join(', ')}.`,
    );
  }
  return Object.fromEntries(
    Object.entries(settings.webhooks).map(([name, endpoint]) => [
      name,
      { ...endpoint, url: urls[name] ?? endpoint.url },
    ]),
  );
}
