/**
 * The runtime's real neighbours on loopback: dynalite, aws-ses-v2-local and
 * the local SNS, reached through the real SDK clients; a Runtime over them
 * with a clock the test sets; and the reads tests make of what it did.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import * as z from 'zod';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreatePlatformEndpointCommand, type SNSClient } from '@aws-sdk/client-sns';
import { ensureTable, startLocalDynamo } from '../../infra/local/dynamodb.ts';
import { startLocalSes } from '../../infra/local/ses.ts';
import { startLocalSns, type LocalSns } from '../../infra/local/sns.ts';
import { type AwsClients, createAwsClients } from '../../shared/aws/clients.ts';
import { createAwsChannelGateway } from '../../shared/channels/aws-gateway.ts';
import type { ChannelGateway } from '../../shared/channels/gateway.ts';
import type { HistoryEntry, HistoryEntryOf, HistoryKind } from '../../shared/customer/history.ts';
import { settingsSchema, type Settings } from '../../shared/journey/schema.ts';
import type { EventPublisher, Runtime, WorkflowControl } from '../../shared/runtime/runtime.ts';
import { readHistory } from '../../shared/store/history.ts';
import { project, settings as sampleSettings } from './project.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** What aws-ses-v2-local's `GET /store` holds for each email it accepted. */
export const sentEmailSchema = z.object({
  messageId: z.string(),
  from: z.string(),
  replyTo: z.array(z.string()),
  destination: z.object({ to: z.array(z.string()) }),
  subject: z.string(),
  body: z.object({ html: z.string().optional(), text: z.string().optional() }),
  headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
});
export type SentEmail = z.infer<typeof sentEmailSchema>;
const sesStoreSchema = z.object({ emails: z.array(sentEmailSchema) });

/** DynamoDB requests made through `LocalServices.clients`, counted as the SDK sends them. */
export interface DynamoRequests {
  /** Every request since the services started. */
  count: number;
  /** The same requests by command name (GetItemCommand, UpdateItemCommand...). */
  byCommand: Map<string, number>;
}

export interface LocalServices {
  clients: AwsClients;
  sns: LocalSns;
  sesEndpoint: string;
  dynamoEndpoint: string;
  /** Mail SES accepted, oldest first. */
  emails(): Promise<SentEmail[]>;
  /** Mail SES accepted for this address, oldest first. */
  emailsTo(address: string): Promise<SentEmail[]>;
  dynamoRequests: DynamoRequests;
  close(): Promise<void>;
}

export interface LocalServicesOptions {
  /** Attempts per SDK request, the first included; the SDK's default is 3. */
  maxAttempts?: number;
}

export async function startLocalServices(options: LocalServicesOptions = {}): Promise<LocalServices> {
  const [dynamo, ses, sns] = await Promise.all([startLocalDynamo(), startLocalSes(), startLocalSns()]);
  const clients = createAwsClients({
    region: 'us-east-1',
    credentials: CREDENTIALS,
    endpoints: { dynamodb: dynamo.endpoint, sesv2: ses.endpoint, sns: sns.endpoint },
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  });
  const dynamoRequests: DynamoRequests = { count: 0, byCommand: new Map() };
  clients.dynamodb.middlewareStack.add(
    (next, context) => (args) => {
      const command = context.commandName ?? 'unknown';
      dynamoRequests.count += 1;
      dynamoRequests.byCommand.set(command, (dynamoRequests.byCommand.get(command) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  const emails = async (): Promise<SentEmail[]> => {
    const response = await fetch(`${ses.endpoint}/store`);
    return sesStoreSchema.parse(await response.json()).emails;
  };
  return {
    clients,
    sns,
    sesEndpoint: ses.endpoint,
    dynamoEndpoint: dynamo.endpoint,
    dynamoRequests,
    emails,
    async emailsTo(address) {
      return (await emails()).filter((email) => email.destination.to.includes(address));
    },
    async close() {
      clients.sesv2.destroy();
      clients.sns.destroy();
      await Promise.all([dynamo.close(), ses.close(), sns.close()]);
    },
  };
}

/** The services for one test file: started before its first test, closed after its last. */
export function localServicesForFile(options: LocalServicesOptions = {}): LocalServices {
  let started: LocalServices | undefined;
  beforeAll(async () => {
    started = await startLocalServices(options);
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
    emailsTo: (address) => current().emailsTo(address),
    close: () => current().close(),
  };
}

/** The signed link in an email's List-Unsubscribe header (`<https://...>`); fails the test without one. */
export function unsubscribeLink(email: SentEmail | undefined): string {
  const header = email?.headers?.find((candidate) => candidate.name === 'List-Unsubscribe');
  const link = /^<(.+)>$/.exec(header?.value ?? '')?.[1];
  if (link === undefined) {
    throw new Error(`No List-Unsubscribe link in ${JSON.stringify(email?.headers ?? email)}`);
  }
  return link;
}

/** The token of an email's List-Unsubscribe link; fails the test without one. */
export function unsubscribeToken(email: SentEmail | undefined): string {
  const link = unsubscribeLink(email);
  const token = new URL(link).searchParams.get('token');
  if (token === null || token === '') throw new Error(`No token in the unsubscribe link ${link}`);
  return token;
}

/** The push platform application the sample app registers its Android devices with. */
export const FCM_APPLICATION = 'arn:aws:sns:us-east-1:000000000000:app/GCM/waymark-android';

/** What the app backend does when a phone registers for push: the endpoint to keep in the profile. */
export async function createPushEndpoint(
  sns: SNSClient,
  token: string,
  application: string = FCM_APPLICATION,
): Promise<string> {
  const created = await sns.send(
    new CreatePlatformEndpointCommand({ PlatformApplicationArn: application, Token: token }),
  );
  if (created.EndpointArn === undefined) throw new Error('CreatePlatformEndpoint returned no EndpointArn');
  return created.EndpointArn;
}

/** A customer's whole history, oldest first; only the entries of one kind when `kind` is given. */
export function historyEntries(runtime: Pick<Runtime, 'store'>, customerId: string): Promise<HistoryEntry[]>;
export function historyEntries<K extends HistoryKind>(
  runtime: Pick<Runtime, 'store'>,
  customerId: string,
  kind: K,
): Promise<HistoryEntryOf<K>[]>;
export async function historyEntries(
  runtime: Pick<Runtime, 'store'>,
  customerId: string,
  kind?: HistoryKind,
): Promise<HistoryEntry[]> {
  const stored = await readHistory(runtime.store, customerId, '2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z');
  const entries = stored.map(({ entry }) => entry);
  return kind === undefined ? entries : entries.filter((entry) => entry.kind === kind);
}

/** The members of union T whose `key` can be V, with `key` narrowed to V. */
export type Variant<T, K extends keyof T, V> = T extends unknown
  ? V extends T[K]
    ? T & Record<K, V>
    : never
  : never;

function hasVariant<T extends object, K extends keyof T, V extends T[K]>(
  value: T,
  key: K,
  expected: V,
): value is Variant<T, K, V> {
  return value[key] === expected;
}

/**
 * Fails the test unless `value[key]` is `expected` (showing the whole value),
 * and returns the value narrowed to that variant of its union, so a test
 * reads the variant's fields only after checking it has them.
 */
export function expectVariant<T extends object, K extends keyof T, const V extends T[K]>(
  value: T | undefined,
  key: K,
  expected: V,
): Variant<T, K, V> {
  expect(value).toMatchObject({ [key]: expected });
  if (value === undefined || !hasVariant(value, key, expected)) {
    throw new Error(`expected ${String(key)} ${String(expected)}`);
  }
  return value;
}

/** Step Functions calls, as the resume and exit functions made them. */
export interface RecordedWorkflows extends WorkflowControl {
  successes: { taskToken: string; output: unknown }[];
  /** Executions stopped: each stop request for an execution that was still running. */
  stops: { executionId: string; cause: string }[];
  /** Every StopExecution request, for running and ended executions alike. */
  stopRequests: { executionId: string; cause: string }[];
  /** Tokens and executions that are no longer waiting (as if timed out or ended). */
  gone: Set<string>;
  /** Executions started, by state machine ARN and name. */
  starts: Map<string, { stateMachineArn: string; name: string; input: unknown }>;
  /** What DescribeExecution answers, by execution id; unknown executions answer undefined. */
  described: Map<string, { input: unknown; output: unknown }>;
}

export function recordingWorkflows(): RecordedWorkflows {
  const workflows: RecordedWorkflows = {
    successes: [],
    stops: [],
    stopRequests: [],
    gone: new Set(),
    starts: new Map(),
    described: new Map(),
    describeExecution(executionId) {
      return Promise.resolve(workflows.described.get(executionId));
    },
    startExecution(stateMachineArn, name, input) {
      const key = `${stateMachineArn}:${name}`;
      if (workflows.starts.has(key)) return Promise.resolve('exists');
      workflows.starts.set(key, { stateMachineArn, name, input });
      return Promise.resolve('started');
    },
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
      workflows.stopRequests.push({ executionId, cause });
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
  /** Events the functions put on the bus (segment entries), in order. */
  published: Parameters<EventPublisher['publish']>[0][];
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
  const settings = settingsSchema.parse({ ...sampleSettings, ...options.settings });
  const clock = { now: new Date('2026-11-18T15:00:00Z') };
  const published: TestRuntime['published'] = [];
  return {
    clock,
    published,
    publisher: {
      publish(event) {
        published.push(event);
        return Promise.resolve();
      },
    },
    store: { db: services.clients.dynamodb, table },
    channels: options.channels ?? createAwsChannelGateway(services.clients),
    workflows: recordingWorkflows(),
    project: {
      settings,
      events: project.events,
      templates: project.templates,
      journeys: project.journeys.map((loaded) => loaded.journey),
      segments: project.segments,
    },
    unsubscribeSecret: 'test-secret-not-for-production',
    now: () => new Date(clock.now),
  };
}
