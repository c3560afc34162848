/** settings.json, and the caps journeys add to it. */
import type { SendRates } from '../../delivery/send-rates.ts';
import { channelSchema } from '../../customer/profile.ts';
import { type CapRule, type Journey, quietHoursOf, sendChannels, type Settings } from '../schema.ts';
import { checkWebhookUrls } from './channels.ts';
import type { Report } from './scope.ts';

export function checkSettings(settings: Settings, report: Report): void {
  settings.caps.forEach((cap, index) => {
    if (settings.caps.findIndex((other) => other.id === cap.id) !== index) {
      report(['caps', index, 'id'], `Cap id "${cap.id}" is used twice; journeys refer to caps by id.`);
    }
  });
  checkWebhookUrls(settings, report);
  const { opens, clicks } = settings.tracking;
  if ((opens || clicks) && settings.senders.email.configurationSet === undefined) {
    // SES tracks opens and clicks only for mail sent with a configuration set that publishes them.
    report(
      ['tracking'],
      'Open and click tracking needs senders.email.configurationSet: SES tracks only through one.',
      {
        severity: 'warning',
        hint: 'set senders.email.configurationSet (the CDK app creates it), or turn tracking off',
      },
    );
  }
  for (const channel of channelSchema.options) {
    const window = quietHoursOf(settings, channel);
    if (window !== null && window.start === window.end) {
      report(['quietHours', channel], `Quiet hours for ${channel} start and end at ${window.start}.`, {
        hint: 'use null for no quiet hours',
      });
    }
  }
  // SES accepts "Name <address>" or a bare address; anything else fails on every send.
  if (
    !/^(?:[^<>]+ <[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+)$/.test(
      settings.senders.email.from,
    )
  ) {
    report(['senders', 'email', 'from'], `"${settings.senders.email.from}" is not an email sender.`, {
      expected: '"Name <address@example.com>" or "address@example.com", an identity verified in SES',
    });
  }
}

export function checkJourneyCaps(
  caps: readonly CapRule[],
  globalCaps: readonly CapRule[],
  report: Report,
): void {
  caps.forEach((cap, index) => {
    if (caps.findIndex((other) => other.id === cap.id) !== index) {
      report(['caps', index, 'id'], `Cap id "${cap.id}" is used twice.`);
    }
    const global = globalCaps.find((other) => other.id === cap.id);
    if (global === undefined) return;
    if (cap.limit > global.limit) {
      report(
        ['caps', index, 'limit'],
        `Cap "${cap.id}" allows ${cap.limit}, more than the global ${global.limit}: a journey may tighten a global cap, never loosen it.`,
        { expected: `at most ${global.limit}` },
      );
    }
    if (
      JSON.stringify(cap.window) !== JSON.stringify(global.window) ||
      JSON.stringify(cap.channels) !== JSON.stringify(global.channels)
    ) {
      report(
        ['caps', index],
        `Cap "${cap.id}" changes the window or channels of the global cap of the same id.`,
        {
          hint: 'keep the same window and channels and lower the limit, or give the cap a new id',
        },
      );
    }
  });
}

/**
 * A journey's sendRate only lowers the channels' rates: one at or above every rate it would meet
 * changes nothing (the stage may still set lower ones in cdk.json, which win).
 */
export function checkJourneySendRate(journey: Journey, accountRates: SendRates, report: Report): void {
  const rate = journey.sendRate;
  if (rate === undefined) return;
  const channels = [
    ...new Set(
      Object.values(journey.steps).flatMap((step) => (step.type === 'send' ? sendChannels(step) : [])),
    ),
  ];
  const limited = channels.filter((channel) => {
    const account = accountRates[channel];
    return account === undefined || rate < account;
  });
  if (channels.length > 0 && limited.length === 0) {
    report(
      ['sendRate'],
      `sendRate ${rate} is not below the send rates of the channels this journey uses (${channels.map((channel) => `${channel} ${accountRates[channel] ?? 'none'}`).join(', ')}): it changes nothing.`,
      {
        severity: 'warning',
        hint: "a journey's sendRate can only lower settings' sendRates; remove it or set it lower",
      },
    );
  }
}
