/**
 * A broadcast at scale on the local engine: 100,000 profiles in the table, a 10% segment
 * (`newsletter`: tagged and opted in to email) spread over five zones, one email each at 10:00 in the
 * customer's own time, on a clock running 3,600 times real time (`--time-scale 3600`).
 *
 * Reported: the wall time from the first zone's 10:00 to the last send (ideal: the 14 virtual hours
 * from Tokyo's 10:00 to New York's, 14 s), peak RSS, sends per second (peak over one real second,
 * and average), how long the scan took (collect) against starting the members (enter) and their
 * sends, each wave's lateness, and the raw dynalite write rate in the same process, so the figures
 * read as ratios on whatever machine runs them.
 *
 * `npx vitest bench --run bench/audience.bench.ts`; `WAYMARK_BENCH_PROFILES=20000` for a smaller run
 * (a tenth of them are members). The profiles are written straight into the table (BatchWriteItem)
 * while the clock runs days ahead of the broadcast; the clock then jumps to just before the run's
 * first instant (UTC+14's 10:00) and runs on at 3,600x.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { BatchWriteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { bench, describe } from 'vitest';
import { startLocalHost } from '../infra/local/host.ts';
import { namedRun, parseLocalDateTime } from '../shared/audience/schedule.ts';
import { isRecord } from '../shared/json.ts';
import { readCustomer } from '../shared/store/customers.ts';
import { profileKey } from '../shared/store/table.ts';
import { zonedTimeToInstant } from '../shared/time/zone.ts';
import { audienceProject, oneSendJourney } from '../test/support/audience.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** Every tenth profile is a member: tagged "newsletter" and opted in to email. */
const MEMBER_EVERY = 10;
const PROFILES = profileCount(process.env.WAYMARK_BENCH_PROFILES);
const MEMBERS = Math.ceil(PROFILES / MEMBER_EVERY);
const SCALE = 3600;
const JOURNEY_ID = 'bench-broadcast';
const SEGMENT_ID = 'newsletter';
const RUN_AT = '2026-11-20T10:00';
/** Far enough ahead of the run that loading the profiles at 3,600x never reaches it. */
const CLOCK_START = new Date('2026-11-01T00:00:00.000Z');
/** The clock jumps to this long before the run's first instant once the profiles are in. */
const LEAD_MS = 2 * 60_000;
/** In order of their 10:00 (UTC+9, +5:30, 0, -3, -5 in November). */
const ZONES = ['Asia/Tokyo', 'Asia/Kolkata', 'Europe/Lisbon', 'America/Sao_Paulo', 'America/New_York'];
const BATCH_ITEMS = 25;
const LOAD_IN_FLIGHT = 8;
const RAW_PUTS = 2_000;
const RAW_IN_FLIGHT = 16;
/** Given up on if no email went out for this long (real) after the last wave was due. */
const STALL_MS = 60_000;
const SAMPLE_MS = 250;

function profileCount(text: string | undefined): number {
  if (text === undefined || text === '') return 100_000;
  const count = Number(text);
  if (!Number.isInteger(count) || count < MEMBER_EVERY)
    throw new Error(`WAYMARK_BENCH_PROFILES must be a whole number of at least ${MEMBER_EVERY}: ${text}`);
  return count;
}

function customerId(index: number): string {
  return `aud-${String(index).padStart(6, '0')}`;
}

/** Members are spread evenly over the zones, and so are the rest. */
function zoneOf(index: number): string {
  return ZONES[Math.floor(index / MEMBER_EVERY) % ZONES.length] ?? 'UTC';
}

function zoneOfCustomer(id: string): string {
  return zoneOf(Number(id.slice('aud-'.length)));
}

/**
 * One profile item as writeProfile leaves it. Non-members miss the segment in different ways:
 * tagged but not opted in, opted in but untagged, or neither.
 */
function profileItem(index: number): Record<string, unknown> {
  const id = customerId(index);
  const kind = index % MEMBER_EVERY;
  const tagged = kind === 0 || kind <= 3;
  const optedIn = kind === 0 || (kind >= 4 && kind <= 6);
  return {
    ...profileKey(id),
    profile: {
      customerId: id,
      email: `${id}@example.com`,
      timeZone: zoneOf(index),
      consent: {
        email: optedIn ? 'opted-in' : kind === 1 ? 'opted-out' : 'unknown',
        sms: 'unknown',
        push: 'unknown',
      },
      attributes: { firstName: `Customer ${index}` },
      tags: tagged ? ['newsletter', 'vip'] : ['vip'],
      updatedAt: '2026-10-01T00:00:00.000Z',
    },
    profileVersion: 1,
  };
}

/** The project: settings, segments and templates from journeys/, and only the one broadcast journey. */
function broadcastProject(dir: string): string {
  const journeys = join(dir, 'journeys');
  audienceProject(journeys, [
    oneSendJourney(JOURNEY_ID, { segment: SEGMENT_ID, at: RUN_AT, timeZone: 'customer' }),
  ]);
  return journeys;
}

/** Runs `work` over `items` with `inFlight` at once. */
async function pool<T>(
  items: readonly T[],
  inFlight: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) {
      const item = items[index];
      if (item !== undefined) await work(item);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** Writes the profiles, BATCH_ITEMS a request with LOAD_IN_FLIGHT in flight; answers how often some came back unprocessed. */
async function loadProfiles(db: DynamoDBDocumentClient, table: string): Promise<number> {
  const batches: number[][] = [];
  for (let start = 0; start < PROFILES; start += BATCH_ITEMS)
    batches.push(
      Array.from({ length: Math.min(BATCH_ITEMS, PROFILES - start) }, (_, offset) => start + offset),
    );
  let unprocessedRetries = 0;
  await pool(batches, LOAD_IN_FLIGHT, async (batch) => {
    let requests = batch.map((index) => ({ PutRequest: { Item: profileItem(index) } }));
    while (requests.length > 0) {
      const answer = await db.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      requests = (answer.UnprocessedItems?.[table] ?? []).flatMap((request) =>
        request.PutRequest?.Item === undefined ? [] : [{ PutRequest: { Item: request.PutRequest.Item } }],
      );
      if (requests.length > 0) unprocessedRetries += 1;
    }
  });
  return unprocessedRetries;
}

/** Raw dynalite writes in the same process and table, the yardstick: answers the milliseconds they took. */
async function rawWrites(db: DynamoDBDocumentClient, table: string): Promise<number> {
  const started = performance.now();
  await pool(
    Array.from({ length: RAW_PUTS }, (_, index) => index),
    RAW_IN_FLIGHT,
    async (index) => {
      await db.send(new PutCommand({ TableName: table, Item: { pk: `RAW#${index}`, sk: 'RAW', n: index } }));
    },
  );
  return performance.now() - started;
}

function peakPerSecond(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last += 1) {
    while ((sorted[last] ?? 0) - (sorted[first] ?? 0) >= 1000) first += 1;
    peak = Math.max(peak, last - first + 1);
  }
  return peak;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const megabytes = (bytes: number): string => `${Math.round(bytes / 1024 / 1024)} MB`;
const rate = (count: number, ms: number): string => `${ms > 0 ? Math.round((count * 1000) / ms) : 0}/s`;

async function broadcast(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-audience-bench-'));
  const rssAtStart = process.memoryUsage().rss;
  const broadcastLines: { at: number; line: string }[] = [];
  const host = await startLocalHost({
    journeysDir: broadcastProject(dir),
    // On disk, as `npm start` keeps its data: the table is not all in this process's memory.
    dataDir: join(dir, 'data'),
    port: 0,
    clock: { mode: { kind: 'scaled', scale: SCALE }, start: CLOCK_START },
    log: (line) => {
      if (line.includes('broadcast') && !line.includes('[aud-'))
        broadcastLines.push({ at: performance.now(), line });
    },
  });
  let sampler: NodeJS.Timeout | undefined;
  try {
    const errors = host.problems.filter((problem) => problem.severity === 'error');
    if (errors.length > 0) throw new Error(`the bench project has errors: ${JSON.stringify(errors)}`);
    const journey = host.runtime.project.journeys.find((candidate) => candidate.id === JOURNEY_ID);
    const trigger = journey?.trigger;
    const run =
      trigger !== undefined && 'segment' in trigger
        ? namedRun(trigger, host.runtime.project.settings.timeZone)
        : undefined;
    if (run === undefined) throw new Error(`${JOURNEY_ID} is not a one-off broadcast`);
    const dueByZone = new Map(
      ZONES.map((zone) => [zone, zonedTimeToInstant(parseLocalDateTime(RUN_AT), zone)]),
    );
    const firstDue = Math.min(...[...dueByZone.values()].map((due) => due.getTime()));
    const lastDue = Math.max(...[...dueByZone.values()].map((due) => due.getTime()));

    // The profiles, straight into the table.
    const { db, table } = host.runtime.store;
    const loadStarted = performance.now();
    const unprocessedRetries = await loadProfiles(db, table);
    const loadMs = performance.now() - loadStarted;
    const sample = await readCustomer(host.runtime.store, customerId(0));
    if (sample.found !== true || sample.customer.profile.consent.email !== 'opted-in')
      throw new Error(`a written profile does not read back as one: ${JSON.stringify(sample)}`);
    const rssLoaded = process.memoryUsage().rss;

    // What the broadcast does, in real time: members started, emails answered by SES.
    const startTimes: { at: number; customerId: string }[] = [];
    const workflows = host.runtime.workflows;
    host.runtime.workflows = {
      ...workflows,
      startExecution: async (arn, name, input) => {
        const outcome = await workflows.startExecution(arn, name, input);
        const detail = isRecord(input) && isRecord(input.detail) ? input.detail : {};
        startTimes.push({ at: performance.now(), customerId: String(detail.customerId) });
        return outcome;
      },
    };
    const sendTimes: { at: number; customerId: string }[] = [];
    const channels = host.runtime.channels;
    host.runtime.channels = {
      ...channels,
      sendEmail: async (message) => {
        const result = await channels.sendEmail(message);
        if (result.ok) sendTimes.push({ at: performance.now(), customerId: message.meta.customerId });
        return result;
      },
    };

    if (host.clock.now().getTime() >= run.firstAt.getTime() - LEAD_MS)
      throw new Error(
        `loading ${PROFILES} profiles took past the broadcast on the clock: start the clock earlier`,
      );
    await host.advanceTo(new Date(run.firstAt.getTime() - LEAD_MS));
    // Where the virtual clock stands in real time from here on.
    const anchorReal = performance.now();
    const anchorVirtual = host.clock.now().getTime();
    const realAt = (virtual: number): number => anchorReal + (virtual - anchorVirtual) / SCALE;

    let peakRss = process.memoryUsage().rss;
    let peakHeap = process.memoryUsage().heapUsed;
    sampler = setInterval(() => {
      const usage = process.memoryUsage();
      peakRss = Math.max(peakRss, usage.rss);
      peakHeap = Math.max(peakHeap, usage.heapUsed);
    }, SAMPLE_MS);
    const loop = monitorEventLoopDelay({ resolution: 20 });
    loop.enable();
    const cpuBefore = process.cpuUsage();
    // Every DynamoDB request the broadcast makes (the scan, the chunks, each member's reads and writes).
    const requests = new Map<string, number>();
    let counting = true;
    db.middlewareStack.add(
      (next, context) => (args) => {
        if (counting) {
          const name = context.commandName ?? 'unknown';
          requests.set(name, (requests.get(name) ?? 0) + 1);
        }
        return next(args);
      },
      { step: 'initialize', name: 'benchRequestCount' },
    );

    // Until every member has their email, or nothing moved for a long while after the last wave.
    const giveUpAfterLastDue = realAt(lastDue) + STALL_MS;
    let lastCount = -1;
    let lastChange = performance.now();
    for (;;) {
      const count = sendTimes.length;
      if (count !== lastCount) {
        lastCount = count;
        lastChange = performance.now();
      }
      const now = performance.now();
      if (count >= MEMBERS) break;
      if (now > giveUpAfterLastDue && now - lastChange > STALL_MS) break;
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    }
    const cpu = process.cpuUsage(cpuBefore);
    counting = false;
    const cpuWindowMs = performance.now() - realAt(run.firstAt.getTime());
    loop.disable();
    clearInterval(sampler);
    sampler = undefined;
    // Let the run's finish task land before it is read back (the outbox already has every send).
    await host.engine.idle();

    const rawMs = await rawWrites(db, table);

    const emails = host.outbox.list({ journeyId: JOURNEY_ID, channel: 'email' });
    const distinct = new Set(emails.map((message) => message.customerId)).size;
    const wrongMembers = emails.filter((message) => Number(message.customerId.slice(4)) % MEMBER_EVERY !== 0);
    const virtualLate = Math.max(
      0,
      ...emails.map(
        (message) =>
          Date.parse(message.time) - (dueByZone.get(zoneOfCustomer(message.customerId))?.getTime() ?? 0),
      ),
    );
    const tokyoReal = realAt(firstDue);
    const runStartReal = realAt(run.firstAt.getTime());
    const sends = sendTimes.map((send) => send.at);
    const lastSend = Math.max(...sends);
    const firstSend = Math.min(...sends);
    const collectDone = broadcastLines.find((entry) => entry.line.includes('next wave due'))?.at;
    const finished = broadcastLines.find((entry) => entry.line.includes('finished'))?.at;
    const starts = startTimes.map((start) => start.at);
    const waves = ZONES.map((zone) => {
      const due = realAt(dueByZone.get(zone)?.getTime() ?? 0);
      const zoneStarts = startTimes
        .filter((start) => zoneOfCustomer(start.customerId) === zone)
        .map((s) => s.at);
      const zoneSends = sendTimes.filter((send) => zoneOfCustomer(send.customerId) === zone).map((s) => s.at);
      const firstStart = Math.min(...zoneStarts);
      const lastStart = Math.max(...zoneStarts);
      const zoneLastSend = Math.max(...zoneSends);
      return [
        `    ${zone.padEnd(18)} ${String(zoneSends.length).padStart(6)} sent; due at +${seconds(due - tokyoReal)}:`,
        `first start +${seconds(firstStart - due)}, all started +${seconds(lastStart - due)}`,
        `(${rate(zoneStarts.length, lastStart - firstStart)}), last send +${seconds(zoneLastSend - due)}`,
        `(${rate(zoneSends.length, zoneLastSend - firstStart)} from first start)`,
      ].join(' ');
    });
    const enterMs = ZONES.reduce((sum, zone) => {
      const zoneStarts = startTimes
        .filter((start) => zoneOfCustomer(start.customerId) === zone)
        .map((s) => s.at);
      return sum + (zoneStarts.length > 0 ? Math.max(...zoneStarts) - Math.min(...zoneStarts) : 0);
    }, 0);
    const requestTotal = [...requests.values()].reduce((sum, count) => sum + count, 0);
    const ms = (nanoseconds: number): string => `${(nanoseconds / 1e6).toFixed(0)} ms`;
    console.log(
      [
        `broadcast to ${MEMBERS} of ${PROFILES} profiles over ${ZONES.length} zones, clock x${SCALE}:`,
        `  aim (under 2 min of wall time, under 1 GB): ${lastSend - tokyoReal < 120_000 ? 'met' : 'missed'} on time, ${peakRss < 1024 ** 3 ? 'met' : 'missed'} on memory`,
        `  sent ${emails.length} (${distinct} distinct, ${wrongMembers.length} to non-members) of ${MEMBERS} members`,
        `  wall time, first zone's 10:00 to the last send: ${seconds(lastSend - tokyoReal)} (ideal ${seconds((lastDue - firstDue) / SCALE)}: Tokyo to New York)`,
        `  latest send after its member's local 10:00: ${(virtualLate / 60_000).toFixed(1)} virtual min (${seconds(virtualLate / SCALE)} real)`,
        `  peak RSS ${megabytes(peakRss)} during the broadcast (sampled every ${SAMPLE_MS} ms; process max ${megabytes(process.resourceUsage().maxRSS * 1024)}), peak heap ${megabytes(peakHeap)}`,
        `  RSS at host start ${megabytes(rssAtStart)}, with the profiles loaded ${megabytes(rssLoaded)}`,
        `  sends per second: peak ${peakPerSecond(sends)} in one real second; average ${rate(sends.length, lastSend - firstSend)} first to last send, ${rate(sends.length, lastSend - tokyoReal)} over the wall time`,
        `  collect (run start at UTC+14's 10:00 to the first wave planned): ${collectDone === undefined ? 'never' : seconds(collectDone - runStartReal)} for ${PROFILES} profiles (${collectDone === undefined ? '-' : rate(PROFILES, collectDone - runStartReal)}); Tokyo was due ${seconds(tokyoReal - runStartReal)} after the run start`,
        `  enter: ${startTimes.length} executions started, ${seconds(enterMs)} summed over the waves (${rate(startTimes.length, enterMs)}); first start to last ${seconds(Math.max(...starts) - Math.min(...starts))}`,
        `  run finished ${finished === undefined ? 'not seen' : `+${seconds(finished - tokyoReal)}`} after Tokyo's 10:00`,
        `  each wave (times real, from its zone's 10:00):`,
        ...waves,
        `  DynamoDB requests during the broadcast: ${requestTotal} (${(requestTotal / Math.max(1, emails.length)).toFixed(1)} a member), ${rate(requestTotal, cpuWindowMs)} on average: ${[
          ...requests,
        ]
          .sort((a, b) => b[1] - a[1])
          .map(([name, count]) => `${name.replace(/Command$/, '')} ${count}`)
          .join(', ')}`,
        `  CPU during the broadcast: ${((cpu.user + cpu.system) / 1000 / cpuWindowMs).toFixed(2)} cores busy on average (user ${seconds(cpu.user / 1000)}, system ${seconds(cpu.system / 1000)} over ${seconds(cpuWindowMs)}); event-loop delay p50 ${ms(loop.percentile(50))}, p99 ${ms(loop.percentile(99))}, max ${ms(loop.max)}`,
        `  load: ${PROFILES} profiles by BatchWriteItem (${BATCH_ITEMS} each, ${LOAD_IN_FLIGHT} in flight) in ${seconds(loadMs)}: ${rate(PROFILES, loadMs)}${unprocessedRetries > 0 ? `, ${unprocessedRetries} unprocessed retries` : ''}`,
        ...broadcastLines
          .filter((entry) => !/next wave due|members started|finished/.test(entry.line))
          .map((entry) => `  engine: ${entry.line}`),
        `  raw dynalite: ${RAW_PUTS} PutItem (${RAW_IN_FLIGHT} in flight) in ${seconds(rawMs)}: ${rate(RAW_PUTS, rawMs)}; sends reached ${(peakPerSecond(sends) / ((RAW_PUTS * 1000) / rawMs)).toFixed(2)}x of it at peak`,
      ].join('\n'),
    );
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const ONCE = { iterations: 1, warmupIterations: 0, time: 0, warmupTime: 0 };

describe(`audience: ${PROFILES} profiles, a ${MEMBERS}-member broadcast at 10:00 customer time`, () => {
  bench(`one email each, clock x${SCALE}`, broadcast, ONCE);
});
