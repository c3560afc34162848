/**
 * The panel and the report over a local engine holding the demo played 25 times (200 customers,
 * every journey, conversions, caps and quiet hours): how long each page takes to answer, and how
 * long the report's figures take to build from what was read. `npm run bench`.
 */
import { afterAll, bench, describe } from 'vitest';
import { playDemo } from '../infra/local/demo.ts';
import { startLocalHost } from '../infra/local/host.ts';
import { buildReport } from '../shared/report/report.ts';
import { loadProject } from '../shared/project/load.ts';
import { scanCustomerOverviews } from '../shared/store/overview.ts';
import { executionPosition } from '../infra/local/panel-sources.ts';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const DEMO_RUNS = 25;

const host = await startLocalHost({
  journeysDir: 'journeys',
  port: 0,
  clock: { mode: { kind: 'manual' }, start: new Date('2026-11-18T12:00:00Z') },
  log: () => undefined,
});
for (let run = 0; run < DEMO_RUNS; run += 1) await playDemo(host, () => undefined, `b${run}`);
const customers = await scanCustomerOverviews(host.runtime.store);
const entries = customers.reduce((total, customer) => total + customer.history.length, 0);
const project = loadProject('journeys');
const journeys = project.journeys.map((loaded) => loaded.journey);
const executions = host.engine.listExecutions().map(executionPosition);
console.log(
  `panel bench: ${customers.length} customers, ${entries} history entries, ${executions.length} executions`,
);

async function page(path: string): Promise<void> {
  const response = await fetch(`${host.endpoint}${path}`);
  if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
  await response.text();
}

afterAll(() => host.close());

describe(`the panel over ${DEMO_RUNS} demo runs`, () => {
  bench('customer page (one Query, the executions, render)', () => page('/customers/demo-ana-b7'));
  // 25 customers share the demo's address: the list page, not a redirect (the index: bench/search.bench.ts).
  bench('customer search by email (id Query, index Query, BatchGetItem)', () =>
    page('/customers?q=bruno%40example.com'),
  );
  bench('journey page with live counts (counters, executions, graph)', () =>
    page('/journeys/cart-abandonment'),
  );
  bench('metrics page (counters, executions, render)', () => page('/metrics'));
  bench('outbox page (Scan, every delivered message)', () => page('/outbox'));
});

describe('waymark report --full alone', () => {
  bench('scan every customer through the store', async () => {
    await scanCustomerOverviews(host.runtime.store);
  });
  bench('buildReport from what was read (pure)', () => {
    buildReport({ customers, events: project.events, journeys, executions, now: host.clock.now() });
  });
});
