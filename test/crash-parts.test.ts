/**
 * A crash between two parts of a high-volume run (issue 18): `waymark local` runs the sample journeys as
 * high-volume parts in a child process, is killed with SIGKILL (nothing flushed, no shutdown) while a run
 * is parked, while its schedule fires, or while the awaited event wakes it, and a new engine on the same
 * data folder finishes every run: nothing lost, nothing sent twice, no park left waiting for a run that
 * ended, and a waitForEvent that went on by its event never also by its timeout. The one exception is
 * the documented one (README, "Delivery"): a kill between a marketing send's reservation and its record
 * leaves that message unconfirmed and not sent again (at most once), on either target.
 *
 * Parts run at least once: the last test starts one part twice at once, as Scheduler or Express may.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { type Schedule, scheduleSchema } from '../infra/local/scheduler-request.ts';
import { isRecord } from '../shared/json.ts';
import { type Park, parksOfRun } from '../shared/store/parks.ts';
import { sampleExample } from './support/events.ts';
import { type EngineProcess, startEngineProcess } from './support/engine-process.ts';
import { copyJourneys, outboxOver, timelineOver } from './support/high-volume.ts';
import { OPTED_IN, START, tempFolderForSuite, withTempFolder } from './support/local-engine.ts';

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const HOUR = 3_600_000;

const running: EngineProcess[] = [];
const killRunning = async (): Promise<void> => {
  await Promise.all(running.splice(0).map((engine) => engine.kill()));
};
afterEach(killRunning);

const folder = tempFolderForSuite('waymark-crash-parts-');
let journeysDir = '';
beforeAll(() => {
  journeysDir = copyJourneys(join(folder(), 'journeys'), { target: 'high-volume' });
});
afterAll(killRunning);

/** A data folder for engine processes: every engine started on it is stopped before the folder goes. */
function withDataFolder(use: (dataDir: string) => Promise<void>): Promise<void> {
  return withTempFolder('waymark-crash-parts-data-', async (dataDir) => {
    try {
      await use(dataDir);
    } finally {
      await killRunning();
    }
  });
}

/**
 * `waymark local` on the high-volume journeys. Its clock runs at real speed (x1): the seconds a test takes
 * move it by seconds; the hours between steps come from POST /_local/clock. The first start of a folder
 * begins at START (09:00 in São Paulo, the samples' zone), a restart where the folder's clock stopped.
 */
async function start(dataDir: string, first: boolean): Promise<EngineProcess> {
  const engine = await startEngineProcess(
    dataDir,
    journeysDir,
    first ? ['--clock-start', START.toISOString()] : [],
  );
  running.push(engine);
  return engine;
}

interface Entry {
  customerId: string;
  detailType: string;
  detail?: Record<string, unknown>;
}

/** One PutEvents call, one attempt; the event id of each entry, in order. */
async function put(engine: EngineProcess, entries: readonly Entry[]): Promise<string[]> {
  const client = new EventBridgeClient({
    region: 'us-east-1',
    endpoint: engine.endpoint,
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
  const ids: string[] = [];
  for (let first = 0; first < entries.length; first += 10) {
    const call = entries.slice(first, first + 10);
    const answer = await client.send(
      new PutEventsCommand({
        Entries: call.map((entry) => ({
          EventBusName: 'waymark',
          Source: 'crash-test',
          DetailType: entry.detailType,
          Detail: JSON.stringify({
            ...(entry.detailType === 'customer.profile.updated' ? {} : sampleExample(entry.detailType)),
            ...entry.detail,
            customerId: entry.customerId,
          }),
        })),
      }),
    );
    expect(answer.FailedEntryCount).toBe(0);
    ids.push(...(answer.Entries ?? []).map((entry) => entry.EventId ?? ''));
  }
  client.destroy();
  return ids;
}

const profile = (customerId: string): Entry => ({
  customerId,
  detailType: 'customer.profile.updated',
  detail: {
    email: `${customerId}@example.com`,
    phone: '+5511900001111',
    timeZone: 'America/Sao_Paulo',
    consent: OPTED_IN,
  },
});

/**
 * Moves the clock by `by` (nothing: to now) and answers once everything due has happened: events
 * routed, schedules fired, parts run to their end or their next park.
 */
async function clock(engine: EngineProcess, by?: string): Promise<string> {
  const response = await fetch(`${engine.endpoint}/_local/clock`, {
    method: 'POST',
    body: JSON.stringify(by === undefined ? {} : { by }),
  });
  expect(response.status).toBe(200);
  return z.object({ now: z.string() }).parse(await response.json()).now;
}

async function pendingSchedules(engine: EngineProcess): Promise<number> {
  const health = await (await fetch(`${engine.endpoint}/_local/health`)).json();
  return z.object({ schedules: z.object({ pending: z.number() }) }).parse(health).schedules.pending;
}

/** The run's parks, read from the engine's table through its DynamoDB API, as the functions read them. */
async function parksOf(engine: EngineProcess, customerId: string, runId: string): Promise<Park[]> {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint: engine.endpoint,
    credentials: CREDENTIALS,
  });
  try {
    return await parksOfRun({ db: DynamoDBDocumentClient.from(client), table: 'waymark' }, customerId, runId);
  } finally {
    client.destroy();
  }
}

/** What the customer was sent, as `<step> <channel>`, and the history's message and end entries likewise. */
async function deliveries(
  engine: EngineProcess,
  customerId: string,
): Promise<{ outbox: string[]; times: Map<string, string>; history: string[]; skipped: string[] }> {
  const outbox = await outboxOver(engine.endpoint, { customerId });
  const timeline = await timelineOver(engine.endpoint, customerId);
  const history = timeline.flatMap((entry) => {
    if (entry.kind === 'message') {
      return [
        `${String(entry.stepId)} ${String(entry.channel)}${entry.completes === true ? ' (the end)' : ''}`,
      ];
    }
    if (entry.kind === 'journey' && entry.action === 'completed')
      return [`completed at ${String(entry.stepId)}`];
    return [];
  });
  const skipped = timeline.flatMap((entry) =>
    entry.kind === 'skipped'
      ? [`${String(entry.stepId)} ${String(entry.status)}: ${String(entry.reason)}`]
      : [],
  );
  return {
    outbox: outbox.map((message) => `${String(message.stepId)} ${String(message.channel)}`),
    times: new Map(outbox.map((message) => [String(message.stepId), String(message.time)])),
    history: history.sort(),
    skipped,
  };
}

const CART_OUTBOX = ['remind email', 'nudge sms', 'retarget webhook'];
/** The cart's messages in its history (sorted): the last send records the run's end. */
const CART_HISTORY = ['nudge sms', 'remind email', 'retarget webhook (the end)'];
const CART_SENDS = ['remind', 'nudge', 'retarget'];
const UNCONFIRMED = /unconfirmed/;

/**
 * Each of the cart's sends, after a kill while parts ran: out at most once, and either sent and recorded
 * once, or recorded as unconfirmed (the kill fell between its reservation and its record: marketing is
 * sent at most once, so it is not sent again), never both; the run's end recorded once; nothing else
 * skipped. What breaks that, in words, and the sends left unconfirmed.
 */
async function cartSteps(
  engine: EngineProcess,
  customerId: string,
): Promise<{ problems: string[]; unconfirmed: string[] }> {
  const outbox = await outboxOver(engine.endpoint, { customerId });
  const timeline = await timelineOver(engine.endpoint, customerId);
  const problems: string[] = [];
  const unconfirmed: string[] = [];
  for (const stepId of CART_SENDS) {
    const sent = outbox.filter((message) => message.stepId === stepId).length;
    const recorded = timeline.filter((entry) => entry.kind === 'message' && entry.stepId === stepId).length;
    const unsure = timeline.filter(
      (entry) =>
        entry.kind === 'skipped' && entry.stepId === stepId && UNCONFIRMED.test(String(entry.reason)),
    ).length;
    if (sent === 1 && recorded === 1 && unsure === 0) continue;
    if (sent <= 1 && recorded === 0 && unsure === 1) {
      unconfirmed.push(stepId);
      continue;
    }
    problems.push(
      `${stepId}: ${sent} in the outbox, ${recorded} message entries, ${unsure} "unconfirmed" skips`,
    );
  }
  const others = timeline.filter(
    (entry) => entry.kind === 'skipped' && !UNCONFIRMED.test(String(entry.reason)),
  );
  if (others.length > 0) problems.push(`skipped: ${others.map((entry) => String(entry.reason)).join(' | ')}`);
  const ends =
    timeline.filter((entry) => entry.completes === true).length +
    timeline.filter((entry) => entry.kind === 'journey' && entry.action === 'completed').length;
  if (ends !== 1) problems.push(`the end recorded ${ends} times`);
  return { problems, unconfirmed };
}

/** When the engine is killed after the clock was told to move past the wake: from at once to after the parts ran. */
/**
 * When to kill after the move that fires the schedules: tried in turn until a kill lands while the
 * parts are under way (some started, not all sent), which on a busy or a quick machine comes at
 * different delays; at least the first two are always tried.
 */
const KILL_AFTER_MS = [0, 150, 40, 80, 20, 250];
const MIN_KILL_ROUNDS = 2;
const CUSTOMERS_A_ROUND = 8;
/** When the engine is killed after PutEvents acknowledged the awaited events. */
const EVENT_KILL_AFTER_MS = [0, 50];

/** The schedules waiting in the data folder, as the local Scheduler keeps them (one file each). */
function scheduleFiles(dataDir: string): Schedule[] {
  const dir = join(dataDir, 'scheduler', 'schedules');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => scheduleSchema.parse(JSON.parse(readFileSync(join(dir, file), 'utf8'))));
}

/** Makes the schedules again through the Scheduler API, as they were made. */
async function createAgain(engine: EngineProcess, schedules: readonly Schedule[]): Promise<void> {
  const scheduler = new SchedulerClient({
    region: 'us-east-1',
    endpoint: engine.endpoint,
    credentials: CREDENTIALS,
  });
  try {
    for (const schedule of schedules) {
      await scheduler.send(
        new CreateScheduleCommand({
          Name: schedule.name,
          GroupName: schedule.group,
          ScheduleExpression: schedule.expression,
          ...(schedule.timezone === undefined ? {} : { ScheduleExpressionTimezone: schedule.timezone }),
          FlexibleTimeWindow: schedule.window,
          Target: schedule.target,
          ActionAfterCompletion: schedule.afterCompletion,
        }),
      );
    }
  } finally {
    scheduler.destroy();
  }
}

/** The messages in the outbox file the engine appends to (read after a kill: no engine to ask). */
function readOutboxFile(dataDir: string): Record<string, unknown>[] {
  const file = join(dataDir, 'outbox.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        return isRecord(parsed) ? [parsed] : [];
      } catch {
        // The line the kill cut short.
        return [];
      }
    });
}

function remindsIn(messages: readonly Record<string, unknown>[], customers: readonly string[]): number {
  return messages.filter(
    (message) => message.stepId === 'remind' && customers.includes(String(message.customerId)),
  ).length;
}

describe('a crash between two parts of a high-volume run (kill -9 of waymark local)', () => {
  it('killed while the run is parked, before its schedule is due: after the restart the next part sends once, at its time', async () => {
    await withDataFolder(async (dataDir) => {
      const first = await start(dataDir, true);
      const customers = ['parked-1', 'parked-2', 'parked-3'];
      const ids = await put(first, [
        ...customers.map(profile),
        ...customers.map((customerId) => ({ customerId, detailType: 'cart.abandoned' })),
      ]);
      await clock(first);
      const runs = customers.map((customerId, index) => `cart-abandonment/${ids[customers.length + index]}`);
      const parkedAt = new Map<string, Park>();
      for (const [index, customerId] of customers.entries()) {
        const parks = await parksOf(first, customerId, runs[index] ?? '');
        expect(parks.map((park) => [park.stateName, park.status])).toEqual([['wait-an-hour', 'waiting']]);
        if (parks[0] !== undefined) parkedAt.set(customerId, parks[0]);
      }
      expect(await pendingSchedules(first)).toBe(customers.length);
      expect(await outboxOver(first.endpoint)).toEqual([]);
      await first.kill();

      const second = await start(dataDir, false);
      expect(await pendingSchedules(second)).toBe(customers.length);
      await clock(second, '1h1m');
      for (const customerId of customers) {
        const { outbox, times } = await deliveries(second, customerId);
        expect(outbox).toEqual(['remind email']);
        // At its wake, give or take the seconds the x1 clock ran while the test worked.
        const late =
          Date.parse(times.get('remind') ?? '') - Date.parse(parkedAt.get(customerId)?.wakeAt ?? '');
        expect(late).toBeGreaterThanOrEqual(0);
        expect(late).toBeLessThan(10_000);
        expect(Date.parse(parkedAt.get(customerId)?.wakeAt ?? '') - START.getTime()).toBeGreaterThanOrEqual(
          HOUR,
        );
      }
      await clock(second, '1d');
      for (const [index, customerId] of customers.entries()) {
        const { outbox, history, skipped } = await deliveries(second, customerId);
        expect(outbox).toEqual(CART_OUTBOX);
        expect(history).toEqual(CART_HISTORY);
        expect(skipped).toEqual([]);
        const parks = await parksOf(second, customerId, runs[index] ?? '');
        expect(parks.map((park) => [park.stateName, park.status])).toEqual([
          ['await-order', 'resumed'],
          ['wait-an-hour', 'resumed'],
        ]);
      }
      expect(await pendingSchedules(second)).toBe(0);
    });
  });

  it('killed while schedules fire (the clock moved past the wake, the kill a moment later): after the restart every message went out once, recorded once, and no park waits for a finished run', async () => {
    const rounds: string[] = [];
    const problems: string[] = [];
    const unconfirmed: string[] = [];
    const midway = (line: string): boolean =>
      !/ 0 parts started/.test(line) && !line.endsWith(` ${CUSTOMERS_A_ROUND} reminders out`);
    for (const [round, killAfterMs] of KILL_AFTER_MS.entries()) {
      if (round >= MIN_KILL_ROUNDS && rounds.some(midway)) break;
      await withDataFolder(async (dataDir) => {
        const first = await start(dataDir, true);
        const customers = Array.from({ length: CUSTOMERS_A_ROUND }, (_, index) => `firing-${round}-${index}`);
        const ids = await put(first, [
          ...customers.map(profile),
          ...customers.map((customerId) => ({ customerId, detailType: 'cart.abandoned' })),
        ]);
        await clock(first);
        expect(await pendingSchedules(first)).toBe(customers.length);
        // Every customer's schedule falls due in this move (Scheduler's at() counts whole seconds: a wake is
        // due at the next whole second after the hour); the engine is killed while it works through them.
        const moving = clock(first, '1h1m').catch(() => 'killed');
        await sleep(killAfterMs);
        await first.kill();
        await moving;
        const partsStarted =
          (first.output().match(/\] cart-abandonment \[[^\]]+\]: started/g) ?? []).length - customers.length;
        const sentBeforeKill = remindsIn(readOutboxFile(dataDir), customers);
        rounds.push(
          `killed after ${killAfterMs} ms: ${partsStarted} parts started, ${sentBeforeKill} reminders out`,
        );

        const second = await start(dataDir, false);
        // The move the kill cut short may or may not have been saved: past the wake again, then past the nudge.
        await clock(second, '1h1m');
        await clock(second, '1d');
        for (const [index, customerId] of customers.entries()) {
          const seen = await cartSteps(second, customerId);
          const parks = await parksOf(
            second,
            customerId,
            `cart-abandonment/${ids[customers.length + index] ?? ''}`,
          );
          const states = parks.map((park) => `${park.stateName} ${park.status}`);
          const wrong = [
            ...seen.problems,
            ...(JSON.stringify(states) === JSON.stringify(['await-order resumed', 'wait-an-hour resumed'])
              ? []
              : [`parks: ${states.join(', ')}`]),
          ];
          if (wrong.length > 0)
            problems.push(`${customerId} (killed after ${killAfterMs} ms): ${wrong.join('; ')}`);
          unconfirmed.push(...seen.unconfirmed.map((stepId) => `${customerId} ${stepId}`));
        }
        expect(await pendingSchedules(second)).toBe(0);
      });
    }
    // A kill between a marketing send's reservation and its record leaves it unconfirmed, never sent again
    // (at most once, README "Delivery", as on Standard): named here, not counted as a problem.
    expect(problems, `${rounds.join('; ')}; unconfirmed: ${unconfirmed.join(', ') || 'none'}`).toEqual([]);
    // The point of the loop: at least one kill fell while the parts were under way, started and not all sent.
    expect(rounds.filter(midway), rounds.join('; ')).not.toEqual([]);
  });

  it('killed as the awaited event arrives: after the restart the run goes on by the event, once, and never also by its timeout', async () => {
    const problems: string[] = [];
    for (const [round, killAfterMs] of EVENT_KILL_AFTER_MS.entries()) {
      await withDataFolder(async (dataDir) => {
        const first = await start(dataDir, true);
        const customers = Array.from({ length: CUSTOMERS_A_ROUND }, (_, index) => `back-${round}-${index}`);
        const ids = await put(first, [
          ...customers.map(profile),
          ...customers.map((customerId) => ({
            customerId,
            detailType: 'chat.session.ended',
            detail: { resolved: false },
          })),
        ]);
        await clock(first);
        for (const [index, customerId] of customers.entries()) {
          const parks = await parksOf(
            first,
            customerId,
            `chat-followup/${ids[customers.length + index] ?? ''}`,
          );
          expect(parks.map((park) => `${park.stateName} ${park.status}`)).toEqual(['await-return waiting']);
        }
        // The timeout's schedules, 48 hours away.
        expect(await pendingSchedules(first)).toBe(customers.length);
        const timeouts = scheduleFiles(dataDir);
        // An event's time has whole seconds: one in the second its wait began is missed on either target
        // (see "an awaited event in the second its wait began" in test/parity-high-volume.test.ts). These
        // customers come back a second later: what is tested here is the kill.
        await sleep(1_100);
        const back = await put(
          first,
          customers.map((customerId) => ({ customerId, detailType: 'chat.session.started' })),
        );
        await sleep(killAfterMs);
        await first.kill();

        const second = await start(dataDir, false);
        await clock(second);
        // The parts that took the parks by the event deleted the timeouts' schedules. Made again, as a
        // DeleteSchedule that was lost would leave them, they fire and must find the parks taken.
        expect(await pendingSchedules(second)).toBe(0);
        await createAgain(second, timeouts);
        expect(await pendingSchedules(second)).toBe(customers.length);
        await clock(second, '49h');
        for (const [index, customerId] of customers.entries()) {
          const seen = await deliveries(second, customerId);
          const parks = await parksOf(
            second,
            customerId,
            `chat-followup/${ids[customers.length + index] ?? ''}`,
          );
          const got = {
            outbox: seen.outbox,
            history: seen.history,
            skipped: seen.skipped,
            parks: parks.map((park) => `${park.stateName} ${park.status} by ${park.claimedBy ?? '-'}`),
          };
          const expected = {
            outbox: ['summary email'],
            history: ['completed at came-back', 'summary email'],
            skipped: [],
            parks: [`await-return resumed by event:${back[index] ?? ''}`],
          };
          if (JSON.stringify(got) !== JSON.stringify(expected)) {
            problems.push(`${customerId} (killed after ${killAfterMs} ms): ${JSON.stringify(got)}`);
          }
        }
        expect(await pendingSchedules(second)).toBe(0);
      });
    }
    expect(problems).toEqual([]);
  });

  it('two copies of one part at once (Scheduler and Express start at least once): one message, one history entry, no "unconfirmed" skip', async () => {
    await withDataFolder(async (dataDir) => {
      const engine = await start(dataDir, true);
      const customers = ['copies-1', 'copies-2', 'copies-3'];
      const ids = await put(engine, [
        ...customers.map(profile),
        ...customers.map((customerId) => ({ customerId, detailType: 'cart.abandoned' })),
      ]);
      await clock(engine);
      // What each schedule will start, started twice at once, as a duplicate delivery would (now, before the
      // wake: what matters is that the copies run side by side).
      const sfn = new SFNClient({ region: 'us-east-1', endpoint: engine.endpoint, credentials: CREDENTIALS });
      const schedules = scheduleFiles(dataDir).map((schedule) => ({
        arn: schedule.target.Arn,
        input: schedule.target.Input ?? '{}',
      }));
      expect(schedules).toHaveLength(customers.length);
      await Promise.all(
        schedules.flatMap((target, index) =>
          ['a', 'b'].map((copy) =>
            sfn.send(
              new StartExecutionCommand({
                stateMachineArn: target.arn,
                name: `copy-${index}-${copy}`,
                input: target.input,
              }),
            ),
          ),
        ),
      );
      sfn.destroy();
      await clock(engine);
      // And the schedule itself fires at its time: a third copy, after the other two.
      await clock(engine, '1h1m');
      await clock(engine, '1d');
      const problems: string[] = [];
      for (const [index, customerId] of customers.entries()) {
        const seen = await deliveries(engine, customerId);
        const parks = await parksOf(
          engine,
          customerId,
          `cart-abandonment/${ids[customers.length + index] ?? ''}`,
        );
        const got = {
          outbox: seen.outbox,
          history: seen.history,
          skipped: seen.skipped,
          parks: parks.map((park) => `${park.stateName} ${park.status}`),
        };
        const expected = {
          outbox: CART_OUTBOX,
          history: CART_HISTORY,
          skipped: [],
          parks: ['await-order resumed', 'wait-an-hour resumed'],
        };
        if (JSON.stringify(got) !== JSON.stringify(expected))
          problems.push(`${customerId}: ${JSON.stringify(got)}`);
      }
      expect(problems).toEqual([]);
    });
  });
});
