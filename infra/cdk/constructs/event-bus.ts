/**
 * The Waymark bus of a stage: where producers put customer events, the
 * archive that keeps them for replay, and the managed policy a producer
 * attaches to put events on it. A stage may bring its own bus
 * (`EventBusSource`): the stack then creates neither the bus nor an archive
 * of it (the bus's owner decides what to archive, and for how long).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { EventBusSource } from '../config.ts';
import { AUDIENCE_SOURCE } from '../../../shared/events/audience-events.ts';

export interface WaymarkEventBusProps {
  readonly stage: string;
  /** `waymark-<stage>`: the bus's name, and the producer policy's with `-producer`. */
  readonly prefix: string;
  /**
   * @default { kind: 'create' }
   */
  readonly source?: EventBusSource;
  /**
   * How long the archive keeps events for replay. Archived events hold customer data that an
   * erasure cannot reach, so keep this short.
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;
}

export class WaymarkEventBus extends Construct {
  readonly eventBus: events.IEventBus;
  /** Undefined for an existing bus. */
  readonly archive: events.CfnArchive | undefined;
  readonly producerPolicy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: WaymarkEventBusProps) {
    super(scope, id);
    const source = props.source ?? { kind: 'create' };
    switch (source.kind) {
      case 'create':
        // `Default`: the construct's main resource. CDK leaves it out of logical ids, so the bus keeps
        // the id it was deployed with when it was the stack's own child.
        this.eventBus = new events.EventBus(this, 'Default', { eventBusName: props.prefix });
        // The L1 archive: the L2 writes `KmsKeyIdentifier: ""` when no key is given, which some
        // regions reject (aws/aws-cdk#37847); omitted, EventBridge uses its own key.
        this.archive = new events.CfnArchive(this, 'Archive', {
          sourceArn: this.eventBus.eventBusArn,
          description: 'Every event on the Waymark bus, for replay after an incident',
          eventPattern: { account: [Stack.of(this).account] },
          retentionDays: (props.archiveRetention ?? Duration.days(30)).toDays(),
        });
        break;
      case 'existing':
        this.eventBus = events.EventBus.fromEventBusArn(this, 'Default', source.arn);
        this.archive = undefined;
        break;
    }
    this.producerPolicy = new iam.ManagedPolicy(this, 'ProducerPolicy', {
      managedPolicyName: `${props.prefix}-producer`,
      description: `Lets a system put customer events on the Waymark ${props.stage} bus`,
      statements: [
        new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.eventBus.eventBusArn] }),
        // Waymark's own audience events come from its record function only; a producer cannot make them.
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          actions: ['events:PutEvents'],
          resources: [this.eventBus.eventBusArn],
          conditions: { StringEquals: { 'events:source': [AUDIENCE_SOURCE] } },
        }),
      ],
    });
  }
}
