/**
 * The one place AWS SDK clients are made. The Lambda functions make one set
 * per container (functions/common/runtime.ts) without endpoints, so the SDK
 * reads them from the environment (`AWS_ENDPOINT_URL`, or a per-service
 * `AWS_ENDPOINT_URL_DYNAMODB` and so on) and the same code reaches AWS, the
 * local engine or a test's loopback services. Tests and the local engine may
 * instead build their own set with explicit endpoints.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SocialMessagingClient } from '@aws-sdk/client-socialmessaging';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export type AwsService =
  | 'dynamodb'
  | 'sesv2'
  | 'sns'
  | 'sfn'
  | 'eventbridge'
  | 'secretsManager'
  | 'socialmessaging'
  | 'lambda'
  | 'scheduler';

export interface AwsClients {
  readonly dynamodb: DynamoDBDocumentClient;
  readonly sesv2: SESv2Client;
  readonly sns: SNSClient;
  readonly sfn: SFNClient;
  readonly eventbridge: EventBridgeClient;
  readonly secretsManager: SecretsManagerClient;
  readonly socialmessaging: SocialMessagingClient;
  readonly lambda: LambdaClient;
  readonly scheduler: SchedulerClient;
}

export interface AwsClientOptions {
  region?: string;
  /** One endpoint for every service (the local engine's edge). */
  endpoint?: string;
  /** Per-service endpoints; win over `endpoint`. */
  endpoints?: Partial<Record<AwsService, string>>;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Attempts per request including the first; the SDK's default is 3. */
  maxAttempts?: number;
  /** Applied to each client as it is made: the Lambda functions pass Powertools Tracer's capture. */
  instrument?: <Client extends object>(client: Client) => Client;
}

interface CommonConfig {
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
}

function made<Client extends object>(client: Client, options: AwsClientOptions): Client {
  return options.instrument === undefined ? client : options.instrument(client);
}

function configFor(service: AwsService, options: AwsClientOptions): CommonConfig {
  const config: CommonConfig = {};
  if (options.region !== undefined) config.region = options.region;
  const endpoint = options.endpoints?.[service] ?? options.endpoint;
  if (endpoint !== undefined) config.endpoint = endpoint;
  if (options.credentials !== undefined) config.credentials = options.credentials;
  if (options.maxAttempts !== undefined) config.maxAttempts = options.maxAttempts;
  return config;
}

/** A set of clients; each is made on first use, so a function pays only for the services it calls. */
export function createAwsClients(options: AwsClientOptions = {}): AwsClients {
  let dynamodb: DynamoDBDocumentClient | undefined;
  let sesv2: SESv2Client | undefined;
  let sns: SNSClient | undefined;
  let sfn: SFNClient | undefined;
  let eventbridge: EventBridgeClient | undefined;
  let secretsManager: SecretsManagerClient | undefined;
  let socialmessaging: SocialMessagingClient | undefined;
  let lambda: LambdaClient | undefined;
  let scheduler: SchedulerClient | undefined;
  return {
    get dynamodb() {
      dynamodb ??= DynamoDBDocumentClient.from(
        made(new DynamoDBClient(configFor('dynamodb', options)), options),
        {
          // Optional profile fields arrive as undefined; DynamoDB has no such value.
          marshallOptions: { removeUndefinedValues: true },
        },
      );
      return dynamodb;
    },
    get sesv2() {
      sesv2 ??= made(new SESv2Client(configFor('sesv2', options)), options);
      return sesv2;
    },
    get sns() {
      sns ??= made(new SNSClient(configFor('sns', options)), options);
      return sns;
    },
    get sfn() {
      sfn ??= made(new SFNClient(configFor('sfn', options)), options);
      return sfn;
    },
    get eventbridge() {
      eventbridge ??= made(new EventBridgeClient(configFor('eventbridge', options)), options);
      return eventbridge;
    },
    get secretsManager() {
      secretsManager ??= made(new SecretsManagerClient(configFor('secretsManager', options)), options);
      return secretsManager;
    },
    get socialmessaging() {
      socialmessaging ??= made(new SocialMessagingClient(configFor('socialmessaging', options)), options);
      return socialmessaging;
    },
    get lambda() {
      lambda ??= made(new LambdaClient(configFor('lambda', options)), options);
      return lambda;
    },
    get scheduler() {
      scheduler ??= made(new SchedulerClient(configFor('scheduler', options)), options);
      return scheduler;
    },
  };
}
