/**
 * A local engine for end-to-end tests, reached only the way a user reaches
 * it: AWS SDK clients pointed at its edge endpoint, and its HTTP local API.
 * The clock is manual, moved forward with POST /_local/clock.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CreatePlatformEndpointCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll } from 'vitest';
import * as z from 'zod';
import { sampleExample } from './events.ts';
import { startLocalHost, type LocalHost } from '../../infra/local/host.ts';
import { outboxMessageSchema } from '../../infra/local/outbox.ts';
import type { SendLimits } from '../../infra/local/send-limits.ts';
import { type Entrance, entrancesOf } from '../../shared/customer/entrances.ts';
import { type HistoryEntry, parseHistoryEntry } from '../../shared/customer/history.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const START = new Date('2026-11-18T12:00:00.000Z');

export interface TestEngine {
  host: LocalHost;
  endpoint: string;
  eventbridge: EventBridgeClient;
  sfn: SFNClient;
  sns: SNSClient;
  /** Puts one event through PutEvents, with the catalog's example detail for this customer. */
  put(
    detailType: string,
    customerId: string,
    detail?: Record<string, unknown>,
  ): Promise<PutEventsCommandOutput>;
  /** Moves the virtual clock through the local API, letting everything due happen. */
  advance(by: string): Promise<string>;
  outbox(query?: Record<string, string>): Promise<z.infer<typeof outboxMessageSchema>[]>;
  timeline(customerId: string): Promise<Record<string, unknown>[]>;
  registerDevice(token: string): Promise<string>;
  close(): Promise<void>;
}

export interface TestEngineOptions {
  journeysDir?: string;
  /** Where the engine keeps its state; undefined: in memory, on a clock that starts at START. */
  dataDir?: string;
  /**
   * Where the clock starts. Default: START without a data folder; with one, the time the folder saved
   * (a restart), or the machine's time for a new folder. A test whose outcome depends on the hour
   * (quiet hours) gives START to its first engine, or it passes or fails with the time of day.
   */
  start?: Date;
  /** The account's send rates the local SES and SNS enforce (`--ses-max-send-rate` and so on); default none. */
  sendLimits?: SendLimits;
}

export async function startTestEngine(options: TestEngineOptions = {}): Promise<TestEngine> {
  const host = await startLocalHost({
    journeysDir: options.journeysDir ?? 'journeys',
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    port: 0,
    clock: {
      mode: { kind: 'manual' },
      ...(options.start !== undefined
        ? { start: options.start }
        : options.dataDir === undefined
          ? { start: START }
          : {}),
    },
    log: () => undefined,
    ...(options.sendLimits === undefined ? {} : { sendLimits: options.sendLimits }),
  });
  const config = { region: 'us-east-1', endpoint: host.endpoint, credentials: CREDENTIALS };
  const eventbridge = new EventBridgeClient(config);
  const sns = new SNSClient(config);
  const sfn = new SFNClient(config);
  const json = async (path: string, init?: RequestInit): Promise<unknown> => {
    const response = await fetch(`${host.endpoint}${path}`, init);
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  return {
    host,
    endpoint: host.endpoint,
    eventbridge,
    sfn,
    sns,
    async put(detailType, customerId, detail = {}) {
      const example = detailType === 'customer.profile.updated' ? {} : sampleExample(detailType);
      const result = await eventbridge.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: 'waymark',
              Source: 'test',
              DetailType: detailType,
              Detail: JSON.stringify({ ...example, ...detail, customerId }),
            },
          ],
        }),
      );
      // PutEvents answers when the engine has the event; let it act before the test looks.
      await json('/_local/clock', { method: 'POST', body: '{}' });
      return result;
    },
    async advance(by) {
      const answer = z
        .object({ now: z.string() })
        .parse(await json('/_local/clock', { method: 'POST', body: JSON.stringify({ by }) }));
      return answer.now;
    },
    async outbox(query = {}) {
      const answer = await json(`/_local/outbox?${new URLSearchParams(query).toString()}`);
      return z.object({ messages: z.array(outboxMessageSchema) }).parse(answer).messages;
    },
    async timeline(customerId) {
      const answer = await json(`/_local/customers/${encodeURIComponent(customerId)}/timeline`);
      return z.object({ entries: z.array(z.record(z.string(), z.unknown())) }).parse(answer).entries;
    },
    async registerDevice(token) {
      const created = await sns.send(
        new CreatePlatformEndpointCommand({
          PlatformApplicationArn: 'arn:aws:sns:us-east-1:000000000000:app/GCM/test-app',
          Token: token,
        }),
      );
      return created.EndpointArn ?? '';
    },
    close: () => host.close(),
  };
}

/** A timeline's history entries, parsed: the host's own items (`step`) are left out. */
export function historyIn(timeline: readonly Record<string, unknown>[]): HistoryEntry[] {
  return timeline.flatMap((item) => parseHistoryEntry(item) ?? []);
}

/**
 * Who entered which journey, as a timeline tells it: the events that start a journey (`starts`) less
 * the ones enter turned away, and a broadcast's members (shared/customer/entrances.ts).
 */
export function entrancesIn(timeline: readonly Record<string, unknown>[]): Entrance[] {
  return entrancesOf(historyIn(timeline));
}

export const OPTED_IN = { email: 'opted-in', sms: 'opted-in', push: 'opted-in' };

/**
 * One engine for the tests of a describe block: started before its first test, closed after its last.
 * `options` may be a function, read when the engine starts, to use what an earlier beforeAll prepared.
 */
export function engineForSuite(options: TestEngineOptions | (() => TestEngineOptions) = {}): TestEngine {
  let started: TestEngine | undefined;
  beforeAll(async () => {
    started = await startTestEngine(typeof options === 'function' ? options() : options);
  });
  afterAll(async () => {
    await started?.close();
  });
  const current = (): TestEngine => {
    if (started === undefined) throw new Error('The engine starts in beforeAll; use it inside tests.');
    return started;
  };
  return {
    get host() {
      return current().host;
    },
    get endpoint() {
      return current().endpoint;
    },
    get eventbridge() {
      return current().eventbridge;
    },
    get sfn() {
      return current().sfn;
    },
    get sns() {
      return current().sns;
    },
    put: (detailType, customerId, detail) => current().put(detailType, customerId, detail),
    advance: (by) => current().advance(by),
    outbox: (query) => current().outbox(query),
    timeline: (customerId) => current().timeline(customerId),
    registerDevice: (token) => current().registerDevice(token),
    close: () => current().close(),
  };
}

/** Runs `use` with a new empty folder, removed afterwards however `use` ends. */
export async function withTempFolder<T>(prefix: string, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    return await use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A new empty folder for the tests of a describe block, made before its first test and removed after its
 * last; call the answer inside a test or a later hook. Declared before an `engineForSuite` that uses it,
 * the folder outlives the engine: afterAll hooks run in reverse order.
 */
export function tempFolderForSuite(prefix: string): () => string {
  let dir: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    if (dir === undefined) throw new Error('The folder is made in beforeAll; use it inside tests.');
    return dir;
  };
}
