/**
 * The figures on the local engine: dynalite tells each history item it stored to the stream's stand-in
 * (infra/local/figures-hook.ts), which counts it as the figures function would; the pages read the
 * counters with Queries whose number does not grow with the customers; a recount rebuilds the same.
 */
import { describe, expect, it } from 'vitest';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { counterName } from '../../shared/figures/counters.ts';
import { countedReport } from '../../shared/figures/report.ts';
import { figuresDayKey } from '../../shared/store/table.ts';
import { recordEvent } from '../../shared/runtime/record.ts';
import { resumeWaits } from '../../shared/runtime/resume.ts';
import type { Report } from '../../shared/report/types.ts';
import { readFigureSums } from '../../shared/store/figures.ts';
import { recountFigures } from '../../shared/store/figures-recount.ts';
import { envelope, fixtureEvent } from '../support/runtime-fixtures.ts';
import { engineForSuite, OPTED_IN, type TestEngine } from '../support/local-engine.ts';

async function counted(engine: TestEngine): Promise<Report> {
  await engine.host.figuresSettled();
  const sums = await readFigureSums(engine.host.runtime.store, ['cart-abandonment', 'chat-followup']);
  return countedReport({
    all: sums.all,
    journeys: sums.journeys,
    definitions: [],
    executions: [],
    now: engine.host.clock.now(),
  });
}

function journey(report: Report, journeyId: string) {
  return report.journeys.find((candidate) => candidate.journeyId === journeyId);
}

/** DynamoDB requests the panel's store client makes while `read` runs, by command. */
async function requestsDuring(engine: TestEngine, read: () => Promise<unknown>): Promise<string[]> {
  const commands: string[] = [];
  let counting = false;
  const name = `figuresPageRequests${Math.random()}`;
  engine.host.runtime.store.db.middlewareStack.add(
    (next, context) => (args) => {
      if (counting) commands.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name },
  );
  await engine.host.engine.idle();
  await engine.host.figuresSettled();
  counting = true;
  await read();
  counting = false;
  engine.host.runtime.store.db.middlewareStack.remove(name);
  return commands;
}

async function carts(engine: TestEngine, prefix: string, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const customerId = `${prefix}-${index}`;
    await engine.put('customer.profile.updated', customerId, {
      email: `${customerId}@example.com`,
      consent: OPTED_IN,
    });
    await engine.put('cart.abandoned', customerId);
  }
}

describe('the figures on the local engine', () => {
  const engine = engineForSuite();

  it('counts an event once when record puts it over the copy the resume function wrote first', async () => {
    const start = await counted(engine);
    const before = journey(start, 'cart-abandonment')?.triggered ?? 0;
    const { runtime } = engine.host;
    const sample = fixtureEvent('cart.abandoned');
    const event = envelope(
      'cart.abandoned',
      { ...sample.detail, customerId: 'local-resumed-first' },
      runtime.now().toISOString(),
    );
    // Called as the functions are, without the bus: no journey runs, only the two writes of the event.
    await resumeWaits(event, runtime);
    await recordEvent(event, runtime);
    await recordEvent(event, runtime);
    const after = await counted(engine);
    expect(journey(after, 'cart-abandonment')?.triggered).toBe(before + 1);
    // One entry in the history, whichever function put it first, and however often.
    expect(after.sources.historyEntries).toBe(start.sources.historyEntries + 1);
  });

  it('shows on the panel what the counters hold: a cart entered, its reminder sent', async () => {
    await carts(engine, 'local-panel', 2);
    await engine.advance('2h');
    const figures = await counted(engine);
    const cart = journey(figures, 'cart-abandonment');
    expect(
      cart?.funnel.find((stage) => stage.label === 'Sent at step "remind"')?.count,
    ).toBeGreaterThanOrEqual(2);
    const page = await (await fetch(`${engine.endpoint}/journeys`)).text();
    const row =
      page.split('<tr').find((candidate) => candidate.includes('data-file="cart-abandonment.json"')) ?? '';
    expect(row).toContain(`<td class="number">${String(cart?.entered)}</td>`);
  });

  it('reads the journey, graph, metrics and outbox pages without a Scan, with as many requests for three times the customers', async () => {
    const pages = async () => {
      for (const path of [
        '/journeys',
        '/journeys/cart-abandonment',
        '/journeys/cart-abandonment/live',
        '/metrics',
        '/outbox',
      ])
        expect((await fetch(`${engine.endpoint}${path}`)).status).toBe(200);
    };
    await carts(engine, 'local-few', 3);
    const few = await requestsDuring(engine, pages);
    await carts(engine, 'local-more', 6);
    const more = await requestsDuring(engine, pages);
    expect(few.filter((command) => command.startsWith('Scan'))).toEqual([]);
    expect(few.every((command) => command.startsWith('Query'))).toBe(true);
    expect(more).toEqual(few);
  });

  it('lists the newest messages across customers on the outbox page from the index of sent messages', async () => {
    await carts(engine, 'outbox', 2);
    await engine.advance('2h');
    const commands = await requestsDuring(engine, async () => {
      const page = await (await fetch(`${engine.endpoint}/outbox?channel=email`)).text();
      for (const customerId of ['outbox-0', 'outbox-1']) expect(page).toContain(`/customers/${customerId}"`);
      expect(page).toMatch(/email [1-9]/);
    });
    expect(commands.filter((command) => command.startsWith('Scan'))).toEqual([]);
  });

  it('rebuilds the same counters with a recount, however often it runs', async () => {
    const store = engine.host.runtime.store;
    const live = await counted(engine);
    const journeyIds = ['cart-abandonment', 'chat-followup'];
    // Drift: counts no entry of the history backs (another write shard, a day long gone).
    await store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: {
          ...figuresDayKey('cart-abandonment', '2020-01-01', 3),
          [counterName({ kind: 'total', name: 'triggered' })]: 5,
        },
      }),
    );
    expect(journey(await counted(engine), 'cart-abandonment')?.triggered).toBe(
      (journey(live, 'cart-abandonment')?.triggered ?? 0) + 5,
    );
    await recountFigures(store, journeyIds, engine.host.clock.now());
    const once = await counted(engine);
    await recountFigures(store, journeyIds, engine.host.clock.now());
    expect(await counted(engine)).toEqual(once);
    expect(once.journeys).toEqual(live.journeys);
    expect(once.engagement).toEqual(live.engagement);
    // And counting goes on from there: the next cart adds one.
    await carts(engine, 'local-after', 1);
    expect(journey(await counted(engine), 'cart-abandonment')?.triggered).toBe(
      (journey(once, 'cart-abandonment')?.triggered ?? 0) + 1,
    );
  });
});
