/**
 * Deliveries per second against local DynamoDB (dynalite) and SES, and
 * DynamoDB requests per delivered message, by command: `npm run bench`.
 * The floor is 1 conditional write (caps and idempotency) + 1 history write;
 * the profile read that decides consent, address and caps comes on top.
 */
import { afterAll, bench, describe } from 'vitest';
import type { DeliverTask } from '../shared/contract/tasks.ts';
import { deliver } from '../shared/runtime/deliver.ts';
import { ANA, deliverTask, seedCustomer } from '../test/support/runtime-fixtures.ts';
import { createTestRuntime, startLocalServices, type TestRuntime } from '../test/support/runtime-services.ts';

const CUSTOMERS = 500;
const services = await startLocalServices();
// A cap high enough never to bite: the check and the ledger write still run for every message.
const runtime = await createTestRuntime(services, {
  settings: { caps: [{ id: 'marketing-daily', channels: 'any', limit: 1000, window: 'calendarDay' }] },
});
for (let index = 0; index < CUSTOMERS; index += 1) {
  await seedCustomer(runtime, `bench-${index}`, { ...ANA, email: `bench-${index}@example.com` });
}

let sequence = 0;
function nextTask() {
  sequence += 1;
  return deliverTask(`bench-${sequence % CUSTOMERS}`, { stepId: `step-${sequence}` });
}

/** Delivers and insists the message went out: a bench that timed skips would measure the wrong thing. */
async function deliverSent(task: DeliverTask, on: TestRuntime = runtime): Promise<void> {
  const outcome = await deliver(task, on);
  if (outcome.status !== 'sent') {
    throw new Error(`expected ${task.customerId}/${task.stepId} sent, got ${JSON.stringify(outcome)}`);
  }
}

/** The DynamoDB requests `act` makes, by command, from the SDK's own command names. */
async function requestsDuring(act: () => Promise<void>): Promise<Map<string, number>> {
  const before = new Map(services.dynamoRequests.byCommand);
  await act();
  const during = new Map<string, number>();
  for (const [command, count] of services.dynamoRequests.byCommand) {
    const added = count - (before.get(command) ?? 0);
    if (added > 0) during.set(command, added);
  }
  return during;
}

function breakdown(requests: Map<string, number>, messages: number): string {
  const total = [...requests.values()].reduce((sum, count) => sum + count, 0);
  const parts = [...requests]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([command, count]) => `${(count / messages).toFixed(2)} ${command.replace(/Command$/, '')}`);
  return `${(total / messages).toFixed(2)} (${parts.join(', ')})`;
}

const MEASURED = 200;
let delivered = 0;
const sentRequests = await requestsDuring(async () => {
  for (let index = 0; index < MEASURED; index += 1) {
    await deliverSent(nextTask());
    delivered += 1;
  }
});
const cappedRuntime = await createTestRuntime(services, {
  settings: { caps: [{ id: 'marketing-daily', channels: 'any', limit: 1, window: 'calendarDay' }] },
});
await seedCustomer(cappedRuntime, 'bench-capped', { ...ANA, email: 'bench-capped@example.com' });
await deliverSent(deliverTask('bench-capped', { stepId: 'first' }), cappedRuntime);
const cappedRequests = await requestsDuring(async () => {
  const outcome = await deliver(deliverTask('bench-capped', { stepId: 'second' }), cappedRuntime);
  if (outcome.status !== 'capped') throw new Error(`expected capped, got ${JSON.stringify(outcome)}`);
});
console.log(
  `DynamoDB requests per delivered email, over ${delivered} sent: ${breakdown(sentRequests, delivered)}; ` +
    `per capped message: ${breakdown(cappedRequests, 1)}`,
);

afterAll(async () => {
  await services.close();
});

describe('deliver (dynalite + aws-ses-v2-local over loopback)', () => {
  bench('one email at a time', async () => {
    await deliverSent(nextTask());
  });

  bench('16 emails in flight (ops/s x 16 = deliveries/s)', async () => {
    await Promise.all(Array.from({ length: 16 }, () => deliverSent(nextTask())));
  });

  bench('16 emails in flight to ONE customer (ledger contention)', async () => {
    await Promise.all(
      Array.from({ length: 16 }, () => {
        sequence += 1;
        return deliverSent(deliverTask('bench-0', { stepId: `hot-${sequence}` }));
      }),
    );
  });
});
