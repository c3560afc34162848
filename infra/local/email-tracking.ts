/**
 * What SES does to a mail of a configuration set with open and click
 * tracking, on one machine: the copy that reaches the inbox (the outbox) has
 * each link through a tracked redirect and an open pixel, and the mail's
 * delivery, opens and clicks come back as SES's own EventBridge events, so the
 * same preferences function records them as it does on AWS. Links are signed:
 * a forged or altered one records nothing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import type { EmailMessage } from '../../shared/channels/gateway.ts';
import type { EventEnvelope } from '../../shared/events/catalog.ts';
import type { Tracking } from '../../shared/journey/channel-settings.ts';
import { localEnvelope } from './envelope.ts';
import { parseJsonText } from './json-file.ts';

export const TRACKING_PATH = '/track/';

export interface EmailTrackingOptions {
  /** Signs the links; the engine's own secret, never one of a deployed stage. */
  secret: string;
  /** The edge's address, which the links point at. */
  baseUrl: () => string;
  tracking: () => Tracking;
  configurationSet: string;
  now: () => Date;
  publish: (event: EventEnvelope) => Promise<void>;
}

const tokenSchema = z.union([
  z.object({ k: z.literal('o'), m: z.string().min(1) }),
  z.object({ k: z.literal('c'), m: z.string().min(1), u: z.string().min(1) }),
]);
export type TrackedAction = z.infer<typeof tokenSchema>;

/** What a sent mail carried, for the events about it. */
export interface TrackedMail {
  messageId: string;
  tags: Record<string, string>;
  to: string;
  from: string;
}

export class EmailTracking {
  constructor(private readonly options: EmailTrackingOptions) {}

  /** The HTML as the inbox gets it: tracked links and an open pixel, as the settings ask. */
  deliveredHtml(html: string, messageId: string, unsubscribeUrl: string): string {
    const { opens, clicks } = this.options.tracking();
    let delivered = html;
    if (clicks) {
      delivered = delivered.replace(/<a\b[^>]*>/gi, (tag) => {
        // SES leaves a link marked ses:no-track alone, wherever the attribute sits in the tag.
        if (/\sses:no-track\b/i.test(tag)) return tag;
        return tag.replace(
          /(\bhref\s*=\s*")(https?:\/\/[^"]+)(")/i,
          (whole, before: string, href: string, after: string) => {
            const link = href.replaceAll('&amp;', '&');
            // The unsubscribe link stays as it is: a tracked hop before it would only delay a legal right.
            if (link === unsubscribeUrl) return whole;
            return `${before}${this.url({ k: 'c', m: messageId, u: link })}${after}`;
          },
        );
      });
    }
    if (opens) {
      const pixel = `<img src="${this.url({ k: 'o', m: messageId })}" width="1" height="1" alt="" style="display:none">`;
      delivered = /<\/body>/i.test(delivered)
        ? delivered.replace(/<\/body>/i, `${pixel}</body>`)
        : `${delivered}${pixel}`;
    }
    return delivered;
  }

  /** The action a tracking path stands for, or undefined when the link is not one we signed. */
  verify(path: string): TrackedAction | undefined {
    const match = /^\/track\/(?:open|click)\/([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(path);
    if (match?.[1] === undefined || match[2] === undefined) return undefined;
    const [, payload, signature] = match;
    const expected = this.sign(payload);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const parsed = tokenSchema.safeParse(parseJsonText(Buffer.from(payload, 'base64url').toString('utf8')));
    if (!parsed.success) return undefined;
    const kind = path.startsWith('/track/open/') ? 'o' : 'c';
    return parsed.data.k === kind ? parsed.data : undefined;
  }

  /** SES's "Email Delivered" for a mail the stand-in accepted (it delivers every mail it accepts). */
  delivered(mail: TrackedMail): Promise<void> {
    const at = this.options.now().toISOString();
    return this.options.publish(
      this.sesEvent('Email Delivered', mail, {
        eventType: 'Delivery',
        delivery: {
          timestamp: at,
          recipients: [mail.to],
          processingTimeMillis: 0,
          smtpResponse: '250 2.0.0 OK',
        },
      }),
    );
  }

  /** SES's "Email Opened" or "Email Clicked" for a verified tracking request. */
  engaged(mail: TrackedMail, action: TrackedAction, userAgent: string | undefined): Promise<void> {
    const timestamp = this.options.now().toISOString();
    const agent = (userAgent ?? '').slice(0, 200);
    return this.options.publish(
      action.k === 'o'
        ? this.sesEvent('Email Opened', mail, {
            eventType: 'Open',
            open: { timestamp, userAgent: agent, ipAddress: '127.0.0.1' },
          })
        : this.sesEvent('Email Clicked', mail, {
            eventType: 'Click',
            click: { timestamp, link: action.u, linkTags: {}, userAgent: agent, ipAddress: '127.0.0.1' },
          }),
    );
  }

  private sesEvent(detailType: string, mail: TrackedMail, what: Record<string, unknown>): EventEnvelope {
    const time = this.options.now().toISOString();
    const tags: Record<string, string[]> = { 'ses:configuration-set': [this.options.configurationSet] };
    for (const [name, value] of Object.entries(mail.tags)) tags[name] = [value];
    const sent = {
      timestamp: time,
      source: mail.from,
      messageId: mail.messageId,
      destination: [mail.to],
      tags,
    };
    return localEnvelope({ source: 'aws.ses', detailType, time, detail: { ...what, mail: sent } });
  }

  private url(action: TrackedAction): string {
    const payload = Buffer.from(JSON.stringify(action), 'utf8').toString('base64url');
    const kind = action.k === 'o' ? 'open' : 'click';
    return `${this.options.baseUrl()}${TRACKING_PATH}${kind}/${payload}.${this.sign(payload).toString('base64url')}`;
  }

  private sign(payload: string): Buffer {
    return createHmac('sha256', `waymark-local-tracking\u0000${this.options.secret}`)
      .update(payload)
      .digest();
  }
}

/** The mail a tracking request is about, from what the outbox kept of the send. */
export function trackedMail(message: EmailMessage, messageId: string): TrackedMail {
  return { messageId, tags: message.tags, to: message.to, from: message.from };
}
