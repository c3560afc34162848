/**
 * Where a stage keeps customer data: the KMS key, the one DynamoDB table
 * encrypted with it, and the secret that signs unsubscribe links. All three
 * are kept when the stack is deleted.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { KEY, TTL_ATTRIBUTE } from '../../../shared/store/table.ts';
import { acknowledge } from '../nag.ts';

export interface CustomerDataProps {
  /** Names the key's alias (`alias/<prefix>`) and its description. */
  readonly stage: string;
  /** `waymark-<stage>`. */
  readonly prefix: string;
}

export class CustomerData extends Construct {
  readonly key: kms.Key;
  readonly table: dynamodb.Table;
  readonly unsubscribeSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: CustomerDataProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      alias: `alias/${props.prefix}`,
      description: `Waymark ${props.stage}: customer data (table, unsubscribe secret, alarm topic)`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.table = new dynamodb.Table(this, 'Table', {
      // The same keys and billing as the local engine's table (tableDefinition, shared/store/table.ts);
      // test/infra/customer-data.test.ts checks that they agree.
      partitionKey: { name: KEY.partition, type: dynamodb.AttributeType.STRING },
      sortKey: { name: KEY.sort, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.unsubscribeSecret = new secretsmanager.Secret(this, 'UnsubscribeSecret', {
      description: 'Signs one-click unsubscribe links (HMAC key)',
      encryptionKey: this.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.unsubscribeSecret,
      'AwsSolutions-SMG4',
      'The secret signs unsubscribe links already sent in emails, which must keep working for their whole lifetime (RFC 8058, Gmail/Yahoo bulk-sender rules); rotating it would silently break every outstanding link.',
    );
  }
}
