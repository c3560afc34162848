/**
 * The SNS topic every alarm of a stage notifies, encrypted, and the email
 * address subscribed to it.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  readonly stage: string;
  /** The stage's key: the topic is encrypted with it, and its policy lets CloudWatch use it. */
  readonly key: kms.Key;
  /**
   * Subscribed to every alarm (it must confirm the subscription once).
   * @default - no subscription
   */
  readonly email?: string | undefined;
}

export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    // `Default`: the construct's main resource. CDK leaves it out of logical ids, so the topic and its
    // subscription keep the ids they were deployed with when the topic was the stack's own child.
    this.topic = new sns.Topic(this, 'Default', {
      displayName: `Waymark ${props.stage} alarms`,
      masterKey: props.key,
      enforceSSL: true,
    });
    // CloudWatch alarms publish to the encrypted topic with the key: this account's alarms only.
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    if (props.email !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    }
  }
}
