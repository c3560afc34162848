/**
 * The Runtime a Lambda function works with, built once per container from
 * the environment the CDK stack (or the local engine) sets.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { type AwsClients, createAwsClients } from '../../shared/aws/clients.ts';
import { tracer } from './observability.ts';
import { createAwsChannelGateway } from '../../shared/channels/aws-gateway.ts';
import { secretsFromSecretsManager } from '../../shared/aws/secrets.ts';
import { loadDeployedProject } from '../../shared/project/deployed.ts';
import type { Runtime } from '../../shared/runtime/runtime.ts';
import { createSfnWorkflowControl } from '../../shared/runtime/workflows.ts';
import { createEventBridgePublisher } from '../../shared/runtime/publisher.ts';
import { createSchedulerControl } from '../../shared/runtime/schedules.ts';
import { ENVIRONMENT } from '../../shared/runtime/environment.ts';
import { applyStageOverrides, type StageOverrides } from '../../shared/project/overrides.ts';
import { sendRatesSchema } from '../../shared/journey/schema.ts';

export { ENVIRONMENT };

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`The environment variable ${name} is not set.`);
  return value;
}

let runtime: Runtime | Promise<Runtime> | undefined;
let clients: AwsClients | undefined;

/** One set per container, each client traced: X-Ray then shows every DynamoDB, SES, SNS and Step Functions call. */
function awsClients(): AwsClients {
  clients ??= createAwsClients({ instrument: (client) => tracer.captureAWSv3Client(client) });
  return clients;
}

export interface RuntimeNeeds {
  /** Only deliver and unsubscribe sign or check links: the others neither read nor may read the secret. */
  unsubscribeSecret?: boolean;
}

export function runtimeFromEnvironment(needs: RuntimeNeeds = {}): Promise<Runtime> {
  if (runtime === undefined) {
    const building = buildRuntime(needs);
    runtime = building;
    // A failed start (the secret briefly unreachable) must not stay cached for the container's life.
    building.catch(() => {
      if (runtime === building) runtime = undefined;
    });
  }
  return Promise.resolve(runtime);
}

async function unsubscribeSecret(): Promise<string> {
  const value = process.env[ENVIRONMENT.unsubscribeSecret];
  if (value !== undefined && value !== '') return value;
  const arn = requiredEnv(ENVIRONMENT.unsubscribeSecretArn);
  const secret = await awsClients().secretsManager.send(new GetSecretValueCommand({ SecretId: arn }));
  if (secret.SecretString === undefined || secret.SecretString === '') {
    throw new Error(`The secret ${arn} has no string value.`);
  }
  return secret.SecretString;
}

function stageOverrides(): StageOverrides {
  const read = (name: string): string | undefined => {
    const value = process.env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  const overrides: StageOverrides = {};
  const senderFrom = read(ENVIRONMENT.senderFrom);
  const configurationSet = read(ENVIRONMENT.configurationSet);
  const smsOriginationNumber = read(ENVIRONMENT.smsOriginationNumber);
  const unsubscribeBaseUrl = read(ENVIRONMENT.unsubscribeBaseUrl);
  if (senderFrom !== undefined) overrides.senderFrom = senderFrom;
  if (configurationSet !== undefined) overrides.configurationSet = configurationSet;
  if (smsOriginationNumber !== undefined) overrides.smsOriginationNumber = smsOriginationNumber;
  if (unsubscribeBaseUrl !== undefined) overrides.unsubscribeBaseUrl = unsubscribeBaseUrl;
  const sendRates = read(ENVIRONMENT.sendRates);
  // Written by the CDK stack from a checked cdk.json; a value that does not parse fails the start, named.
  if (sendRates !== undefined) overrides.sendRates = sendRatesSchema.parse(JSON.parse(sendRates));
  // JSON text, parsed and checked (https only, names settings.json declares) by applyStageOverrides.
  const webhookUrlsJson = read(ENVIRONMENT.webhookUrls);
  if (webhookUrlsJson !== undefined) overrides.webhookUrlsJson = webhookUrlsJson;
  return overrides;
}

async function buildRuntime(needs: RuntimeNeeds): Promise<Runtime> {
  const dir =
    process.env[ENVIRONMENT.projectDir] ?? join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), 'journeys');
  const project = loadDeployedProject(dir);
  const clients = awsClients();
  const bus = process.env[ENVIRONMENT.eventBus];
  const group = process.env[ENVIRONMENT.scheduleGroup];
  const deadLetterArn = process.env[ENVIRONMENT.scheduleDeadLetterArn];
  return {
    // Only the functions that park or cancel high-volume runs are given the group.
    ...(group === undefined || group === ''
      ? {}
      : {
          schedules: createSchedulerControl(clients.scheduler, {
            group,
            ...(deadLetterArn === undefined || deadLetterArn === '' ? {} : { deadLetterArn }),
          }),
        }),
    ...(bus === undefined || bus === ''
      ? {}
      : { publisher: createEventBridgePublisher(clients.eventbridge, bus) }),
    store: { db: clients.dynamodb, table: requiredEnv(ENVIRONMENT.table) },
    channels: createAwsChannelGateway(clients),
    workflows: createSfnWorkflowControl(clients.sfn),
    project: { ...project, settings: applyStageOverrides(project.settings, stageOverrides()) },
    unsubscribeSecret: needs.unsubscribeSecret === true ? await unsubscribeSecret() : undefined,
    // Webhook signing secrets by name; IAM lets only the deliver function read them.
    secrets: secretsFromSecretsManager(clients.secretsManager),
    now: () => new Date(),
    sleepUntil: (at) => sleep(Math.max(0, at.getTime() - Date.now())),
  };
}

/** For the local engine and tests: the functions then run against this runtime. */
export function useRuntime(next: Runtime | undefined): void {
  runtime = next;
}
