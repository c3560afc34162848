/**
 * A burst at one email step under a send rate: 2,000 customers end a chat at once, and
 * chat-followup emails each a summary, with `sendRates.email` 50. Reported: the time until the last
 * message went out (ideal 40 s), the most messages in any one-second window (must not pass 50), and
 * how many were not sent (must be 0). Then the same with the local SES itself limited to 20 a
 * second while the settings still say 50: the throttled sends are retried until they go.
 *
 * `npm run bench -- bench/send-rates.bench.ts`. Both on a real-time clock: a faster clock would
 * leave the local SES idle in the engine's seconds (the engine, not SES, would set the pace), and
 * nothing would be throttled. The throttled run lasts as long as the retries' backoff makes it.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { bench, describe } from 'vitest';
import { startLocalHost } from '../infra/local/host.ts';
import { exampleDetail } from '../shared/events/catalog.ts';
import { isRecord } from '../shared/json.ts';
import { loadDeployedEventCatalog } from '../shared/project/events.ts';
import { scanCustomerOverviews } from '../shared/store/overview.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const CUSTOMERS = 2_000;
const RATE = 50;
const CHAT_ENDED = exampleDetail(loadDeployedEventCatalog('journeys'), 'chat.session.ended');

interface Run {
  label: string;
  scale: number;
  sesLimit: number | undefined;
}

function projectWithRate(dir: string): string {
  const journeys = join(dir, 'journeys');
  cpSync('journeys', journeys, { recursive: true });
  const settings: unknown = JSON.parse(readFileSync('journeys/settings.json', 'utf8'));
  if (!isRecord(settings)) throw new Error('journeys/settings.json is not an object');
  writeFileSync(join(journeys, 'settings.json'), JSON.stringify({ ...settings, sendRates: { email: RATE } }));
  return journeys;
}

async function putAll(
  eventbridge: EventBridgeClient,
  entries: { DetailType: string; Detail: Record<string, unknown> }[],
): Promise<void> {
  const calls: (typeof entries)[] = [];
  for (let start = 0; start < entries.length; start += 10) calls.push(entries.slice(start, start + 10));
  let next = 0;
  const producer = async (): Promise<void> => {
    for (let call = calls[next++]; call !== undefined; call = calls[next++]) {
      const answer = await eventbridge.send(
        new PutEventsCommand({
          Entries: call.map((entry) => ({
            EventBusName: 'waymark',
            Source: 'bench',
            DetailType: entry.DetailType,
            Detail: JSON.stringify(entry.Detail),
          })),
        }),
      );
      if ((answer.FailedEntryCount ?? 0) > 0) throw new Error(`refused: ${JSON.stringify(answer.Entries)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, producer));
}

function peakPerSecond(times: readonly number[]): { peak: number; at: number } {
  const sorted = [...times].sort((a, b) => a - b);
  let best = { peak: 0, at: 0 };
  let first = 0;
  for (let last = 0; last < sorted.length; last += 1) {
    while ((sorted[last] ?? 0) - (sorted[first] ?? 0) >= 1000) first += 1;
    if (last - first + 1 > best.peak) best = { peak: last - first + 1, at: sorted[first] ?? 0 };
  }
  return best;
}

async function burst(run: Run): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-rate-bench-'));
  const host = await startLocalHost({
    journeysDir: projectWithRate(dir),
    port: 0,
    clock: { mode: { kind: 'scaled', scale: run.scale } },
    log: () => undefined,
    ...(run.sesLimit === undefined ? {} : { sendLimits: { email: run.sesLimit } }),
  });
  const eventbridge = new EventBridgeClient({
    region: 'us-east-1',
    endpoint: host.endpoint,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  // When each email is handed to SES (the engine's clock): the rate the provider sees, before its
  // answer's latency, which under load bunches the outbox's success times together.
  const requested: number[] = [];
  const gateway = host.runtime.channels;
  host.runtime.channels = {
    ...gateway,
    sendEmail: (message) => {
      requested.push(host.clock.now().getTime());
      return gateway.sendEmail(message);
    },
  };
  try {
    const ids = Array.from({ length: CUSTOMERS }, (_, index) => `rate-${index}`);
    await putAll(
      eventbridge,
      ids.map((customerId) => ({
        DetailType: 'customer.profile.updated',
        Detail: { customerId, email: `${customerId}@example.com`, consent: { email: 'opted-in' } },
      })),
    );
    await host.engine.idle();
    const started = host.clock.now().getTime();
    await putAll(
      eventbridge,
      ids.map((customerId) => ({
        DetailType: 'chat.session.ended',
        Detail: { ...CHAT_ENDED, customerId, resolved: false },
      })),
    );
    const sentTimes = (): number[] =>
      host.outbox
        .list()
        .filter((message) => message.channel === 'email')
        .map((message) => Date.parse(message.time));
    // Done when every customer has its email, or nothing moved for a long while (engine seconds).
    let lastCount = -1;
    let lastChange = host.clock.now().getTime();
    for (;;) {
      const count = sentTimes().length;
      if (count !== lastCount) {
        lastCount = count;
        lastChange = host.clock.now().getTime();
      }
      if (count >= CUSTOMERS || host.clock.now().getTime() - lastChange > 3_600_000) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const times = sentTimes();
    const last = Math.max(...times);
    const { peak, at } = peakPerSecond(times);
    const atProvider = peakPerSecond(requested);
    const overviews = await scanCustomerOverviews(host.runtime.store);
    const statuses = overviews.flatMap((customer) =>
      customer.history.flatMap(({ entry }) => (entry.kind === 'skipped' ? [entry.status] : [])),
    );
    const count = (status: string): number => statuses.filter((candidate) => candidate === status).length;
    console.log(
      [
        `${run.label} (clock x${run.scale}${run.sesLimit === undefined ? '' : `, local SES at ${run.sesLimit}/s`}):`,
        `  sent ${times.length} of ${CUSTOMERS} emails at sendRates.email ${RATE}`,
        `  last sent ${((last - started) / 1000).toFixed(1)} s after the first event (ideal ${(CUSTOMERS / RATE).toFixed(0)} s at ${RATE}/s${run.sesLimit === undefined ? '' : `, ${(CUSTOMERS / run.sesLimit).toFixed(0)} s at ${run.sesLimit}/s`})`,
        `  most handed to SES in one second: ${atProvider.peak} (from ${new Date(atProvider.at).toISOString()}); ${requested.length} requests`,
        `  most sent (SES answered) in one second: ${peak} (from ${new Date(at).toISOString()})`,
        `  recorded rate-limited ${count('rate-limited')}, failed ${count('failed')}, not sent ${CUSTOMERS - times.length}`,
      ].join('\n'),
    );
  } finally {
    eventbridge.destroy();
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const ONCE = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

describe(`send rates: ${CUSTOMERS} customers at one email step`, () => {
  bench(
    `sendRates.email ${RATE}, real-time clock`,
    async () => {
      await burst({ label: 'rate only', scale: 1, sesLimit: undefined });
    },
    ONCE,
  );
  bench(
    `sendRates.email ${RATE}, local SES throttling at 20/s`,
    async () => {
      await burst({ label: 'SES slower than the settings', scale: 1, sesLimit: 20 });
    },
    ONCE,
  );
});
