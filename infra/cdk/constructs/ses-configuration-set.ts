/**
 * The SES configuration set every email names: reputation metrics, the
 * account-level suppression of bounced and complaining addresses, and what
 * becomes of a sent email (delivered, bounced, complained of, and opened or
 * clicked when settings.json tracks them) published to the default event bus,
 * where a rule (constructs/core-routes.ts) takes it to the preferences
 * function: suppression, and engagement in the history.
 */
import * as events from 'aws-cdk-lib/aws-events';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';
import type { Tracking } from '../../../shared/journey/channel-settings.ts';

export interface SesConfigurationSetProps {
  /** Unique per account and region: one per stage. */
  readonly configurationSetName: string;
  /**
   * settings.json's `tracking`. Publishing opens and clicks is what turns SES's tracking on: it then
   * adds the open pixel and rewrites the links of every HTML email itself.
   * @default - neither opens nor clicks
   */
  readonly tracking?: Tracking;
}

/** The events published, and how the rule's description names them. */
const PUBLISHED: readonly { event: ses.EmailSendingEvent; words: string; tracked?: keyof Tracking }[] = [
  { event: ses.EmailSendingEvent.DELIVERY, words: 'deliveries' },
  { event: ses.EmailSendingEvent.BOUNCE, words: 'bounces' },
  { event: ses.EmailSendingEvent.COMPLAINT, words: 'complaints' },
  { event: ses.EmailSendingEvent.OPEN, words: 'opens', tracked: 'opens' },
  { event: ses.EmailSendingEvent.CLICK, words: 'clicks', tracked: 'clicks' },
];

export class SesConfigurationSet extends Construct {
  readonly configurationSet: ses.ConfigurationSet;
  /** Where SES publishes the set's events: the default bus, the only one it can. */
  readonly feedbackBus: events.IEventBus;
  /** What SES publishes there, in words for descriptions: "deliveries", "bounces", ... */
  readonly publishedEvents: readonly string[];

  constructor(scope: Construct, id: string, props: SesConfigurationSetProps) {
    super(scope, id);
    // `Default`: the construct's main resource. CDK leaves it out of logical ids, so the set and its
    // event destination keep the ids they were deployed with when the set was the stack's own child.
    this.configurationSet = new ses.ConfigurationSet(this, 'Default', {
      configurationSetName: props.configurationSetName,
      reputationMetrics: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });
    this.feedbackBus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    const published = PUBLISHED.filter(
      ({ tracked }) => tracked === undefined || props.tracking?.[tracked] === true,
    );
    this.publishedEvents = published.map(({ words }) => words);
    // `Feedback`, as when it published bounces and complaints only: the destination is updated in place.
    this.configurationSet.addEventDestination('Feedback', {
      destination: ses.EventDestination.eventBus(this.feedbackBus),
      events: published.map(({ event }) => event),
    });
  }
}
