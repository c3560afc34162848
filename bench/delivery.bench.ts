/**
 * Deliveries per second against local DynamoDB (dynalite) and SES, and
 * DynamoDB requests per delivered message: `npm run bench`.
 * The floor is 1 conditional write (caps and idempotency) + 1 history write;
 * the profile read that decides consent, address and caps comes on top.
 */
import { afterAll, bench, describe } from 'vitest';
import { deliver } from '../shared/runtime/deliver.ts';
import { ANA, deliverTask, seedCustomer } from '../test/support/runtime-fixtures.ts';
import { createTestRuntime, startLocalServices } from '../test/support/runtime-services.ts';

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

async function requestsPerMessage(count: number): Promise<number> {
  const before = services.dynamoRequests.count;
  for (let index = 0; index < count; index += 1) await deliver(nextTask(), runtime);
  return (services.dynamoRequests.count - before) / count;
}

const sentPerMessage = await requestsPerMessage(200);
const cappedRuntime = await createTestRuntime(services, {
  settings: { caps: [{ id: 'marketing-daily', channels: 'any', limit: 1, window: 'calendarDay' }] },
});
await seedCustomer(cappedRuntime, 'bench-capped', { ...ANA, email: 'bench-capped@example.com' });
await deliver(deliverTask('bench-capped', { stepId: 'first' }), cappedRuntime);
const beforeCapped = services.dynamoRequests.count;
await deliver(deliverTask('bench-capped', { stepId: 'second' }), cappedRuntime);
const cappedRequests = services.dynamoRequests.count - beforeCapped;
console.log(
  `DynamoDB requests per delivered email: ${sentPerMessage.toFixed(2)} ` +
    `(1 GetItem profile+ledger, 1 conditional UpdateItem caps+idempotency, 1 PutItem history); ` +
    `per capped message: ${cappedRequests} (read + history, no write to the ledger)`,
);

afterAll(async () => {
  await services.close();
});

describe('deliver (dynalite + aws-ses-v2-local over loopback)', () => {
  bench('one email at a time', async () => {
    await deliver(nextTask(), runtime);
  });

  bench('16 emails in flight (ops/s x 16 = deliveries/s)', async () => {
    await Promise.all(Array.from({ length: 16 }, () => deliver(nextTask(), runtime)));
  });

  bench('16 emails in flight to ONE customer (ledger contention)', async () => {
    await Promise.all(
      Array.from({ length: 16 }, () => {
        sequence += 1;
        return deliver(deliverTask('bench-0', { stepId: `hot-${sequence}` }), runtime);
      }),
    );
  });
});
