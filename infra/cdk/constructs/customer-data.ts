/**
 * Where a stage keeps customer data: the KMS key, the one DynamoDB table
 * encrypted with it, and the secret that signs unsubscribe links. What the
 * stack creates is kept when the stack is deleted. A stage may bring its own
 * key, or its own key and table (`CustomerDataSource`); the secret is always
 * the stack's, encrypted with whichever key is the stage's.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  ADDRESS_INDEXES,
  SENT_INDEX,
  ADDRESS_KINDS,
  type AddressKind,
  KEY,
  TTL_ATTRIBUTE,
} from '../../../shared/store/table.ts';
import { ConfigurationError, type CustomerDataSource } from '../config.ts';
import { acknowledge } from '../nag.ts';

export interface CustomerDataProps {
  /** Names the key's alias (`alias/<prefix>`) and its description. */
  readonly stage: string;
  /** `waymark-<stage>`. */
  readonly prefix: string;
  /**
   * @default { kind: 'create' }: the stack creates the key and the table
   */
  readonly source?: CustomerDataSource;
}

export class CustomerData extends Construct {
  /** The key the table and the unsubscribe secret are encrypted with. */
  readonly key: kms.IKey;
  /**
   * The key when this stack created it. Undefined for an existing key: its policy is its owner's,
   * and the stack cannot add statements to it.
   */
  readonly ownedKey: kms.Key | undefined;
  readonly table: dynamodb.ITable;
  readonly unsubscribeSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: CustomerDataProps) {
    super(scope, id);
    const { key, ownedKey, table } = keyAndTable(this, props, props.source ?? { kind: 'create' });
    this.key = key;
    this.ownedKey = ownedKey;
    this.table = table;

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

  /**
   * Lets `grantee` read the unsubscribe secret. CDK grants the secret's key in the key policy, which
   * it can only change on a key the stack owns: for an existing key the grant goes in the grantee's
   * own policy, through Secrets Manager only, as the key policy would have had it.
   */
  grantReadUnsubscribeSecret(grantee: iam.IGrantable): void {
    this.unsubscribeSecret.grantRead(grantee);
    if (this.ownedKey !== undefined) return;
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'UnsubscribeSecretKey',
        actions: ['kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
        },
      }),
    );
  }
}

function keyAndTable(
  scope: Construct,
  props: CustomerDataProps,
  source: CustomerDataSource,
): { key: kms.IKey; ownedKey: kms.Key | undefined; table: dynamodb.ITable } {
  switch (source.kind) {
    case 'create': {
      const key = new kms.Key(scope, 'Key', {
        alias: `alias/${props.prefix}`,
        description: `Waymark ${props.stage}: customer data (table, unsubscribe secret, alarm topic)`,
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      return { key, ownedKey: key, table: createTable(scope, key) };
    }
    case 'existing-key': {
      const key = kms.Key.fromKeyArn(scope, 'Key', source.keyArn);
      return { key, ownedKey: undefined, table: createTable(scope, key) };
    }
    case 'existing-table': {
      const key = kms.Key.fromKeyArn(scope, 'Key', source.keyArn);
      // Its key schema must be Waymark's (KEY: pk and sk, both strings), and searching customers by
      // email or phone needs its address indexes (ADDRESS_INDEXES); synth cannot see the table.
      const table = dynamodb.Table.fromTableAttributes(scope, 'Table', {
        tableArn: source.tableArn,
        encryptionKey: key,
      });
      return { key, ownedKey: undefined, table };
    }
  }
}

/**
 * `-c waymark:addressIndexes=email` builds the email index only, and `=address` the two address
 * indexes without the index of sent messages. CloudFormation adds one global secondary index to a
 * table per stack update ("Cannot perform more than one GSI creation or deletion in a single
 * update"), so a stage whose table was deployed before these indexes is deployed once per index it
 * lacks: with `email`, then `address`, then without the setting (docs/data-model.md).
 */
export const ADDRESS_INDEXES_CONTEXT = 'waymark:addressIndexes';

function tableIndexes(scope: Construct): { address: readonly AddressKind[]; sent: boolean } {
  const value: unknown = scope.node.tryGetContext(ADDRESS_INDEXES_CONTEXT);
  if (value === undefined) return { address: ADDRESS_KINDS, sent: true };
  if (value === 'email') return { address: ['email'], sent: false };
  if (value === 'address') return { address: ADDRESS_KINDS, sent: false };
  throw new ConfigurationError(
    `cdk.json context "${ADDRESS_INDEXES_CONTEXT}": expected "email" (the email index only) or "address" ` +
      `(both address indexes, not yet the index of sent messages), for a table deployed without them, or ` +
      `nothing, not ${JSON.stringify(value)}.`,
  );
}

function createTable(scope: Construct, key: kms.IKey): dynamodb.Table {
  const table = new dynamodb.Table(scope, 'Table', {
    // The same keys, indexes and billing as the local engine's table (tableDefinition,
    // shared/store/table.ts); test/infra/customer-data.test.ts checks that they agree.
    partitionKey: { name: KEY.partition, type: dynamodb.AttributeType.STRING },
    sortKey: { name: KEY.sort, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: TTL_ATTRIBUTE,
    // The figures count history items from the stream (constructs/figures.ts); the old image tells an
    // event newly recorded from one written again.
    stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
    encryptionKey: key,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const indexes = tableIndexes(scope);
  // The address indexes of tableDefinition: sparse (profile items only) and keys only.
  for (const kind of indexes.address) {
    table.addGlobalSecondaryIndex({
      indexName: ADDRESS_INDEXES[kind].indexName,
      partitionKey: { name: ADDRESS_INDEXES[kind].attribute, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
  }
  // The index of sent messages: sparse (message entries only), by day and shard, the entry copied in.
  if (indexes.sent) {
    table.addGlobalSecondaryIndex({
      indexName: SENT_INDEX.indexName,
      partitionKey: { name: SENT_INDEX.attribute, type: dynamodb.AttributeType.STRING },
      sortKey: { name: KEY.sort, type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: ['entry'],
    });
  }
  return table;
}
