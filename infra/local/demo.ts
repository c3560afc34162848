/**
 * `npm start -- --demo`: the brief's scenarios, played with a few customers
 * through the edge endpoint with the real SDK, as a customer's own systems
 * would send them. What happens is printed as it happens, and summed up at the
 * end.
 */
import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreatePlatformEndpointCommand, SNSClient } from '@aws-sdk/client-sns';
import {
  type EventCatalog,
  type EventEnvelope,
  exampleDetail,
  withCustomerId,
} from '../../shared/events/catalog.ts';
import { LOCAL_ACCOUNT, LOCAL_BUS, LOCAL_CREDENTIALS, LOCAL_REGION } from './constants.ts';
import { type PlannedEvent, playPlan } from './drive.ts';
import type { LocalHost } from './host.ts';

const HOUR = 3600;

interface DemoCustomer {
  id: string;
  story: string;
  profile: Record<string, unknown>;
  wantsPush?: boolean;
}

const OPTED_IN = { email: 'opted-in', sms: 'opted-in', push: 'opted-in' };

const DEMO_CUSTOMERS: readonly DemoCustomer[] = [
  {
    id: 'demo-ana',
    story: 'abandons a cart, gets the reminder, buys: the order ends her journey (a conversion)',
    profile: {
      email: 'ana@example.com',
      phone: '+5511987650001',
      timeZone: 'America/Sao_Paulo',
      consent: OPTED_IN,
      attributes: { firstName: 'Ana' },
    },
    wantsPush: true,
  },
  {
    id: 'demo-bruno',
    story: 'abandons a cart and never buys: reminder email, then the nudge falls back from push to SMS',
    profile: {
      email: 'bruno@example.com',
      phone: '+12125550102',
      timeZone: 'America/New_York',
      consent: OPTED_IN,
      attributes: { firstName: 'Bruno' },
    },
  },
  {
    id: 'demo-carla',
    story: 'calls support about an unresolved case: survey by SMS, case summary by email',
    profile: {
      email: 'carla@example.com',
      phone: '+5511987650003',
      timeZone: 'America/Sao_Paulo',
      consent: OPTED_IN,
      attributes: { firstName: 'Carla' },
    },
  },
  {
    id: 'demo-diego',
    story: 'comments on Instagram: a follow-up email the next day at his usual hour',
    profile: {
      email: 'diego@example.com',
      timeZone: 'Europe/Lisbon',
      consent: OPTED_IN,
      attributes: { firstName: 'Diego' },
    },
  },
  {
    id: 'demo-eva',
    story: 'leaves a chat unresolved and comes back to it: summary email, no reminder needed',
    profile: {
      email: 'eva@example.com',
      timeZone: 'America/Sao_Paulo',
      consent: OPTED_IN,
      attributes: { firstName: 'Eva' },
    },
    wantsPush: true,
  },
  {
    id: 'demo-fabio',
    story: 'leaves a chat unresolved and does not come back; he turned push off, so the reminder is skipped',
    profile: {
      email: 'fabio@example.com',
      timeZone: 'America/Sao_Paulo',
      consent: { email: 'opted-in', sms: 'opted-in', push: 'opted-out' },
      attributes: { firstName: 'Fabio' },
    },
    wantsPush: true,
  },
  {
    id: 'demo-gabi',
    story:
      'abandons a cart, ignores the reminder, buys the day after the nudge: last touch credits the nudge alone, linear splits it with the reminder',
    profile: {
      email: 'gabi@example.com',
      phone: '+5511987650007',
      timeZone: 'America/Sao_Paulo',
      consent: OPTED_IN,
      attributes: { firstName: 'Gabi' },
    },
    wantsPush: true,
  },
  {
    id: 'demo-hugo',
    story:
      'calls support three times in two days: two surveys by SMS, the third held back by the weekly SMS cap',
    profile: {
      email: 'hugo@example.com',
      phone: '+5511987650008',
      timeZone: 'America/Sao_Paulo',
      consent: OPTED_IN,
      attributes: { firstName: 'Hugo' },
    },
  },
];

/** An event of the demo: the catalog's own example for this customer, as a real producer would send it. */
interface DemoEvent {
  detailType: string;
  customerId: string;
  offsetSeconds: number;
  source: string;
  overrides: Record<string, unknown>;
}

function example(
  detailType: string,
  customerId: string,
  offsetSeconds: number,
  source: string,
  overrides: Record<string, unknown> = {},
): DemoEvent {
  return { detailType, customerId, offsetSeconds, source, overrides };
}

/** The demo's events with the project's own examples; an event type the project no longer has is left out. */
function plannedEvents(catalog: EventCatalog, tagged: (id: string) => string): PlannedEvent[] {
  return DEMO_PLAN.flatMap((event) => {
    const detail = exampleDetail(catalog, event.detailType);
    if (detail === undefined) return [];
    return [
      {
        offsetSeconds: event.offsetSeconds,
        source: event.source,
        detailType: event.detailType,
        detail: withCustomerId(
          catalog,
          event.detailType,
          { ...detail, ...event.overrides },
          tagged(event.customerId),
        ),
      },
    ];
  });
}

const DEMO_PLAN: readonly DemoEvent[] = [
  example('cart.abandoned', 'demo-ana', 60, 'shop.web'),
  example('cart.abandoned', 'demo-bruno', 120, 'shop.web'),
  // Ana's second abandoned cart while her first journey still runs: one journey at a time.
  example('cart.abandoned', 'demo-ana', 2 * HOUR, 'shop.web', { cartId: 'cart-second' }),
  example('order.placed', 'demo-ana', 3 * HOUR, 'shop.checkout'),
  example('support.call.completed', 'demo-carla', 600, 'support.phone', { resolved: false }),
  example('social.engagement', 'demo-diego', 1200, 'social.listener', {
    network: 'instagram',
    action: 'comment',
  }),
  example('chat.session.ended', 'demo-eva', 1800, 'support.chat', { resolved: false }),
  example('chat.session.ended', 'demo-fabio', 1800, 'support.chat', { resolved: false }),
  example('chat.session.started', 'demo-eva', 5 * HOUR, 'support.chat'),
  example('cart.abandoned', 'demo-gabi', 180, 'shop.web', { cartId: 'cart-gabi' }),
  // Two days on: the nudge has gone out by then, even if quiet hours held it back for a night.
  example('order.placed', 'demo-gabi', 48 * HOUR, 'shop.checkout', { cartId: 'cart-gabi' }),
  // Eighteen hours apart: each survey is out (after quiet hours, at worst) before the next call, so the
  // third meets the weekly SMS cap, whatever the time of day the demo starts.
  example('support.call.completed', 'demo-hugo', 300, 'support.phone', { callId: 'call-h1', resolved: true }),
  example('support.call.completed', 'demo-hugo', 18 * HOUR, 'support.phone', {
    callId: 'call-h2',
    resolved: true,
  }),
  example('support.call.completed', 'demo-hugo', 36 * HOUR, 'support.phone', {
    callId: 'call-h3',
    resolved: true,
  }),
];

/**
 * Customer ids carry a run tag: a data folder kept from an earlier demo still has those customers,
 * and re-entry rules would (rightly) turn them away.
 */
function demoCustomerId(id: string, run: string): string {
  return `${id}-${run}`;
}

/** Plays the demo through the edge with real SDK clients; resolves with the run tag once every journey has ended. */
export async function playDemo(
  host: LocalHost,
  print: (line: string) => void,
  run: string = randomUUID().slice(0, 4),
): Promise<string> {
  const tagged = (id: string): string => demoCustomerId(id, run);
  const clientConfig = { region: LOCAL_REGION, endpoint: host.endpoint, credentials: LOCAL_CREDENTIALS };
  const eventbridge = new EventBridgeClient(clientConfig);
  const sns = new SNSClient(clientConfig);
  print('Demo customers:');
  const profiles: PlannedEvent[] = [];
  for (const customer of DEMO_CUSTOMERS) {
    print(`  ${tagged(customer.id)}: ${customer.story}`);
    const push = customer.wantsPush === true ? await registerDevice(sns, tagged(customer.id)) : undefined;
    profiles.push({
      offsetSeconds: 0,
      source: 'crm',
      detailType: 'customer.profile.updated',
      detail: {
        customerId: tagged(customer.id),
        ...customer.profile,
        ...(push === undefined ? {} : { push }),
      },
    });
  }
  const publish = async (event: EventEnvelope): Promise<void> => {
    const result = await eventbridge.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: LOCAL_BUS,
            Source: event.source,
            DetailType: event['detail-type'],
            Detail: JSON.stringify(event.detail),
            Time: new Date(event.time),
          },
        ],
      }),
    );
    if ((result.FailedEntryCount ?? 0) > 0)
      print(`  ! ${event['detail-type']} refused: ${JSON.stringify(result.Entries)}`);
  };
  const plan = plannedEvents(host.runtime.project.events, tagged);
  await playPlan(host, [...profiles, ...plan], publish);
  return run;
}

async function registerDevice(sns: SNSClient, customerId: string): Promise<Record<string, string>> {
  const created = await sns.send(
    new CreatePlatformEndpointCommand({
      PlatformApplicationArn: `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:app/GCM/waymark-demo`,
      Token: `device-${customerId}`,
    }),
  );
  return { platform: 'fcm', endpointArn: created.EndpointArn ?? '' };
}

/** What the demo did, per customer: the messages sent and those not sent, with the reason. */
export async function demoSummary(host: LocalHost, run: string): Promise<string[]> {
  const { readHistory } = await import('../../shared/store/history.ts');
  const lines = ['', 'What each customer got:'];
  for (const customer of DEMO_CUSTOMERS) {
    const customerId = demoCustomerId(customer.id, run);
    lines.push(`  ${customerId}`);
    const history = await readHistory(
      host.runtime.store,
      customerId,
      '1970-01-01T00:00:00Z',
      '9999-12-31T00:00:00Z',
    );
    for (const { entry } of history) {
      const at = entry.time.slice(0, 16).replace('T', ' ');
      if (entry.kind === 'message')
        lines.push(`    ${at} ${entry.channel} sent (${entry.journeyId}/${entry.stepId}): ${entry.headline}`);
      if (entry.kind === 'skipped')
        lines.push(
          `    ${at} not sent (${entry.journeyId}/${entry.stepId}): ${entry.status}, ${entry.reason}`,
        );
      if (entry.kind === 'conversion') {
        const touches = entry.linear
          .map((touch) => `${touch.stepId} ${Math.round(touch.weight * 100)}%`)
          .join(', ');
        lines.push(
          `    ${at} converted (${entry.journeyId}): last touch ${entry.lastTouch?.stepId ?? 'none'}; linear ${touches}`,
        );
      }
      if (entry.kind === 'journey' && entry.action === 'not-entered') {
        lines.push(`    ${at} not entered ${entry.journeyId}: ${entry.reason ?? ''}`);
      }
    }
  }
  return lines;
}
