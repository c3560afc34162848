/**
 * The runtime's real neighbours on loopback: dynalite, aws-ses-v2-local and
 * the local SNS, reached through the real SDK clients; a Runtime over them
 * with a clock the test sets.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import * as z from 'zod';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable, startLocalDynamo } from '../../infra/local/dynamodb.ts';
import { startLocalSes } from '../../infra/local/ses.ts';
import { startLocalSns, type LocalSns } from '../../infra/local/sns.ts';
import { type AwsClients, createAwsClients } from '../../shared/aws/clients.ts';
import { createAwsChannelGateway } from '../../shared/channels/aws-gateway.ts';
import type { ChannelGateway } from '../../shared/channels/gateway.ts';
import { settingsSchema, type Settings } from '../../shared/journey/schema.ts';
import { loadProject } from '../../shared/project/load.ts';
import type { Runtime, WorkflowControl } from '../../shared/runtime/runtime.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const project = loadProject(new URL('../../journeys/', import.meta.url).pathname);

const sentEmailSchema = z.object({
  messageId: z.string(),
  from: z.string(),
  destination: z.object({ to: z.array(z.string()) }),
  subject: z.string(),
  body: z.object({ html: z.string().optional(), text: z.string().optional() }),
  headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
});
export type SentEmail = z.infer<typeof sentEmailSchema>;
const sesStoreSchema = z.object({ emails: z.array(sentEmailSchema) });

export interface LocalServices {
  clients: AwsClients;
  sns: LocalSns;
  sesEndpoint: string;
  dynamoEndpoint: string;
  /** Mail SES accepted, oldest first. */
  emails(): Promise<SentEmail[]>;
  /** DynamoDB requests made through `clients` since the start (or the last reset). */
  dynamoRequests: { count: number };
  close(): Promise<void>;
}

export async function startLocalServices(): Promise<LocalServices> {
  const [dynamo, ses, sns] = await Promise.all([startLocalDynamo(), startLocalSes(), startLocalSns()]);
  const clients = createAwsClients({
    region: 'us-east-1',
    credentials: CREDENTIALS,
    endpoints: { dynamodb: dynamo.endpoint, sesv2: ses.endpoint, sns: sns.endpoint },
  });
  const dynamoRequests = { count: 0 };
  clients.dynamodb.middlewareStack.add(
    (next) => (args) => {
      dynamoRequests.count += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  return {
    clients,
    sns,
    sesEndpoint: ses.endpoint,
    dynamoEndpoint: dynamo.endpoint,
    dynamoRequests,
    async emails() {
      const response = await fetch(`${ses.endpoint}/store`);
      return sesStoreSchema.parse(await response.json()).emails;
    },
    async close() {
      await Promise.all([dynamo.close(), ses.close(), sns.close()]);
    },
  };
}

/** The services for one test file: started before its first test, closed after its last. */
export function localServicesForFile(): LocalServices {
  let started: LocalServices | undefined;
  beforeAll(async () => {
    started = await startLocalServices();
  });
  afterAll(async () => {
    await started?.close();
  });
  const current = (): LocalServices => {
    if (started === undefined)
      throw new Error('The local services start in beforeAll; use them inside tests.');
    return started;
  };
  return {
    get clients() {
      return current().clients;
    },
    get sns() {
      return current().sns;
    },
    get sesEndpoint() {
      return current().sesEndpoint;
    },
    get dynamoEndpoint() {
      return current().dynamoEndpoint;
    },
    get dynamoRequests() {
      return current().dynamoRequests;
    },
    emails: () => current().emails(),
    close: () => current().close(),
  };
}

/** Step Functions calls, as the resume and exit functions made them. */
export interface RecordedWorkflows extends WorkflowControl {
  successes: { taskToken: string; output: unknown }[];
  stops: { executionId: string; cause: string }[];
  /** Tokens and executions that are no longer waiting (as if timed out or ended). */
  gone: Set<string>;
}

export function recordingWorkflows(): RecordedWorkflows {
  const workflows: RecordedWorkflows = {
    successes: [],
    stops: [],
    gone: new Set(),
    sendTaskSuccess(taskToken, output) {
      if (workflows.gone.has(taskToken)) return Promise.resolve(false);
      workflows.successes.push({ taskToken, output });
      workflows.gone.add(taskToken);
      return Promise.resolve(true);
    },
    isRunning(executionId) {
      return Promise.resolve(!workflows.gone.has(executionId));
    },
    stopExecution(executionId, cause) {
      if (workflows.gone.has(executionId)) return Promise.resolve(false);
      workflows.stops.push({ executionId, cause });
      workflows.gone.add(executionId);
      return Promise.resolve(true);
    },
  };
  return workflows;
}

export interface TestRuntime extends Runtime {
  unsubscribeSecret: string;
  clock: { now: Date };
  workflows: RecordedWorkflows;
}

export interface RuntimeOptions {
  settings?: Partial<Settings>;
  channels?: ChannelGateway;
}

/** A runtime over a fresh table, so tests in one file do not see each other's customers. */
export async function createTestRuntime(
  services: LocalServices,
  options: RuntimeOptions = {},
): Promise<TestRuntime> {
  const table = `waymark-${randomUUID()}`;
  const dynamo = new DynamoDBClient({
    region: 'us-east-1',
    credentials: CREDENTIALS,
    endpoint: services.dynamoEndpoint,
  });
  await ensureTable(dynamo, table);
  if (project.settings === undefined) throw new Error('journeys/settings.json does not load');
  const settings = settingsSchema.parse({ ...project.settings, ...options.settings });
  const clock = { now: new Date('2026-11-18T15:00:00Z') };
  return {
    clock,
    store: { db: services.clients.dynamodb, table },
    channels: options.channels ?? createAwsChannelGateway(services.clients),
    workflows: recordingWorkflows(),
    project: {
      settings,
      templates: project.templates,
      journeys: project.journeys.map((loaded) => loaded.journey),
    },
    unsubscribeSecret: 'test-secret-not-for-production',
    now: () => new Date(clock.now),
  };
}
