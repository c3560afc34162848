/**
 * The SNS topic every alarm of a stage notifies, encrypted with a key
 * CloudWatch may use, and the email address subscribed to it.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface AlarmTopicProps {
  readonly stage: string;
  /** `waymark-<stage>`: names the topic's own key, when it has one. */
  readonly prefix: string;
  /**
   * The stage's key when the stack created it: the topic shares it. Undefined when the stage key is
   * an existing one: CloudWatch needs a statement in the key policy to publish to an encrypted
   * topic, the stack cannot add one to a key it does not own, and asking every team to add it by
   * hand would leave alarms silently undelivered whenever they forget. The topic then has a key of
   * its own; only alarm notifications pass through it.
   */
  readonly key: kms.Key | undefined;
  /**
   * Subscribed to every alarm (it must confirm the subscription once).
   * @default - no subscription
   */
  readonly email?: string | undefined;
}

export class AlarmTopic extends Construct {
  readonly topic: sns.Topic;
  /** The key the topic is encrypted with: the stage's own, or the topic's. */
  readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    this.key =
      props.key ??
      new kms.Key(this, 'Key', {
        alias: `alias/${props.prefix}-alarms`,
        description: `Waymark ${props.stage}: alarm topic (the stage's data key is an existing one)`,
        enableKeyRotation: true,
        // Notifications are not kept: once the topic is gone, nothing is left to decrypt.
        removalPolicy: RemovalPolicy.DESTROY,
      });
    // `Default`: the construct's main resource. CDK leaves it out of logical ids, so the topic and its
    // subscription keep the ids they were deployed with when the topic was the stack's own child.
    this.topic = new sns.Topic(this, 'Default', {
      displayName: `Waymark ${props.stage} alarms`,
      masterKey: this.key,
      enforceSSL: true,
    });
    // CloudWatch alarms publish to the encrypted topic with the key: this account's alarms only.
    this.key.addToResourcePolicy(
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
