/**
 * The SES configuration set every email names: reputation metrics, the
 * account-level suppression of bounced and complaining addresses, and its
 * bounces and complaints published to the default event bus, where a rule
 * (constructs/core-routes.ts) takes them to the preferences function.
 */
import * as events from 'aws-cdk-lib/aws-events';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

export interface SesConfigurationSetProps {
  /** Unique per account and region: one per stage. */
  readonly configurationSetName: string;
}

export class SesConfigurationSet extends Construct {
  readonly configurationSet: ses.ConfigurationSet;
  /** Where SES publishes the set's bounces and complaints: the default bus, the only one it can. */
  readonly feedbackBus: events.IEventBus;

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
    this.configurationSet.addEventDestination('Feedback', {
      destination: ses.EventDestination.eventBus(this.feedbackBus),
      events: [ses.EmailSendingEvent.BOUNCE, ses.EmailSendingEvent.COMPLAINT],
    });
  }
}
