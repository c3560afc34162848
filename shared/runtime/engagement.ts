/**
 * What customers did with the messages: SES's delivery, open, click, bounce
 * and complaint events (the configuration set publishes them to EventBridge;
 * the local SES stand-in publishes the same), written to the customer's
 * history as engagement entries that branches, the report and the panel read.
 */
import * as z from 'zod';
import { customerFromTagValue } from '../channels/tags.ts';
import type { HistoryEntryOf } from '../customer/history.ts';
import { customerIdSchema } from '../customer/profile.ts';
import type { EngagementAction } from '../journey/engagement-condition.ts';
import { SES_ENGAGEMENT_DETAIL_TYPES } from '../events/system-events.ts';
import { hasProfile } from '../store/customers.ts';
import { appendHistory } from '../store/history.ts';
import type { Runtime } from './runtime.ts';

const tagsSchema = z.record(z.string(), z.array(z.string())).default({});
const mailSchema = z.object({ messageId: z.string().min(1), tags: tagsSchema });

const sesEngagementSchema = z.object({
  id: z.string().min(1),
  'detail-type': z.enum(SES_ENGAGEMENT_DETAIL_TYPES),
  time: z.iso.datetime({ offset: true }),
  detail: z.discriminatedUnion('eventType', [
    z.object({ eventType: z.literal('Delivery'), mail: mailSchema }),
    z.object({ eventType: z.literal('Open'), mail: mailSchema }),
    z.object({ eventType: z.literal('Click'), mail: mailSchema, click: z.object({ link: z.string() }) }),
    z.object({
      eventType: z.literal('Bounce'),
      mail: mailSchema,
      bounce: z.object({ bounceType: z.string() }),
    }),
    z.object({ eventType: z.literal('Complaint'), mail: mailSchema }),
  ]),
});
type SesEngagement = z.infer<typeof sesEngagementSchema>['detail'];

export type EngagementOutcome =
  | { status: 'recorded'; action: EngagementAction; customerId: string; journeyId: string; stepId: string }
  | { status: 'duplicate'; action: EngagementAction }
  /** Mail Waymark did not send (no journey tags), or an event this code cannot read. */
  | { status: 'ignored'; reason: string };

/** The one tag value, when there is exactly one. */
function tag(tags: Record<string, string[]>, name: string): string | undefined {
  const values = tags[name];
  return values?.length === 1 ? values[0] : undefined;
}

function actionOf(detail: SesEngagement): { action: EngagementAction; detail?: string } {
  switch (detail.eventType) {
    case 'Delivery':
      return { action: 'delivered' };
    case 'Open':
      return { action: 'opened' };
    case 'Click':
      return { action: 'clicked', detail: linkWithoutQuery(detail.click.link) };
    case 'Bounce':
      return { action: 'bounced', detail: detail.bounce.bounceType };
    case 'Complaint':
      return { action: 'complained' };
    default: {
      const unreachable: never = detail;
      throw new Error(`Unknown SES event ${JSON.stringify(unreachable)}`);
    }
  }
}

/** Links can carry a customer's token or address in their query: only where they lead is kept. */
export function linkWithoutQuery(link: string): string {
  try {
    const url = new URL(link);
    return `${url.origin}${url.pathname}`.slice(0, 500);
  } catch {
    return 'an unreadable link';
  }
}

export async function recordSesEngagement(runtime: Runtime, event: unknown): Promise<EngagementOutcome> {
  const parsed = sesEngagementSchema.safeParse(event);
  if (!parsed.success) {
    return { status: 'ignored', reason: `Not an SES engagement event: ${z.prettifyError(parsed.error)}` };
  }
  const { detail, time, id } = parsed.data;
  const tags = detail.mail.tags;
  const customerTag = tag(tags, 'customer');
  const decoded = customerTag === undefined ? undefined : customerFromTagValue(customerTag);
  const customerId = decoded === undefined ? undefined : customerIdSchema.safeParse(decoded).data;
  const journeyId = tag(tags, 'journey');
  const stepId = tag(tags, 'step');
  const execution = tag(tags, 'execution');
  if (
    customerId === undefined ||
    journeyId === undefined ||
    stepId === undefined ||
    execution === undefined
  ) {
    return { status: 'ignored', reason: 'The mail carries no Waymark journey tags.' };
  }
  // A late report about a customer erased since must not bring a history back for them.
  if (!(await hasProfile(runtime.store, customerId))) {
    return { status: 'ignored', reason: 'The customer was erased after the message was sent.' };
  }
  const what = actionOf(detail);
  const entry: HistoryEntryOf<'engagement'> = {
    kind: 'engagement',
    time,
    journeyId,
    stepId,
    execution,
    channel: 'email',
    action: what.action,
    messageId: detail.mail.messageId,
    ...(what.detail === undefined ? {} : { detail: what.detail }),
  };
  // Keyed by the EventBridge event id: a redelivered event writes once; a second open is a second entry.
  const written = await appendHistory(runtime.store, customerId, entry, `engagement#ses#${id}`);
  return written
    ? { status: 'recorded', action: what.action, customerId, journeyId, stepId }
    : { status: 'duplicate', action: what.action };
}
