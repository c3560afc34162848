/**
 * The Runtime a Lambda function works with, built once per container from
 * the environment the CDK stack (or the local engine) sets.
 */
import { join } from 'node:path';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { awsClients } from '../../shared/aws/clients.ts';
import { createAwsChannelGateway } from '../../shared/channels/aws-gateway.ts';
import { loadProject } from '../../shared/project/load.ts';
import type { Runtime } from '../../shared/runtime/runtime.ts';
import { createSfnWorkflowControl } from '../../shared/runtime/workflows.ts';
import { now } from '../../shared/time/clock.ts';

export const ENVIRONMENT = {
  table: 'WAYMARK_TABLE',
  /** The journeys folder (journeys, settings.json, templates/) bundled with the function. */
  projectDir: 'WAYMARK_PROJECT_DIR',
  /** The secret's value, for the local engine and tests. */
  unsubscribeSecret: 'WAYMARK_UNSUBSCRIBE_SECRET',
  /** On AWS: the Secrets Manager secret holding it, read once per container. */
  unsubscribeSecretArn: 'WAYMARK_UNSUBSCRIBE_SECRET_ARN',
} as const;

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`The environment variable ${name} is not set.`);
  return value;
}

let runtime: Runtime | Promise<Runtime> | undefined;

export function runtimeFromEnvironment(): Promise<Runtime> {
  runtime ??= buildRuntime();
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

async function buildRuntime(): Promise<Runtime> {
  const dir =
    process.env[ENVIRONMENT.projectDir] ?? join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), 'journeys');
  const project = loadProject(dir);
  if (project.settings === undefined) {
    const first = project.problems[0];
    throw new Error(
      `The journeys in ${dir} could not be loaded: ${first === undefined ? 'no settings.json' : first.message}`,
    );
  }
  const clients = awsClients();
  return {
    store: { db: clients.dynamodb, table: requiredEnv(ENVIRONMENT.table) },
    channels: createAwsChannelGateway(clients),
    workflows: createSfnWorkflowControl(clients.sfn),
    project: {
      settings: project.settings,
      templates: project.templates,
      journeys: project.journeys.map((loaded) => loaded.journey),
    },
    unsubscribeSecret: await unsubscribeSecret(),
    now,
  };
}

/** For the local engine and tests: the functions then run against this runtime. */
export function useRuntime(next: Runtime | undefined): void {
  runtime = next;
}
