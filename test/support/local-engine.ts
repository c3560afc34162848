/**
 * A local engine for end-to-end tests, reached only the way a user reaches
 * it: AWS SDK clients pointed at its edge endpoint, and its HTTP local API.
 * The clock is manual, moved forward with POST /_local/clock.
 */
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandOutput,
} from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CreatePlatformEndpointCommand, SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import { eventCatalog, type CatalogEventType } from '../../shared/events/catalog.ts';
import { startLocalHost, type LocalHost } from '../../infra/local/host.ts';
import { outboxMessageSchema } from '../../infra/local/outbox.ts';

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
    detailType: CatalogEventType,
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

export async function startTestEngine(
  options: { journeysDir?: string; dataDir?: string } = {},
): Promise<TestEngine> {
  const host = await startLocalHost({
    journeysDir: options.journeysDir ?? 'journeys',
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    port: 0,
    clock: { mode: { kind: 'manual' }, ...(options.dataDir === undefined ? { start: START } : {}) },
    log: () => undefined,
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
      const example = detailType === 'customer.profile.updated' ? {} : eventCatalog[detailType].example;
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

export const OPTED_IN = { email: 'opted-in', sms: 'opted-in', push: 'opted-in' };
