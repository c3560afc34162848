/**
 * Delivery when things break between its writes: a function killed after it
 * reserved a send and before it sent (a real child process, SIGKILL), and a
 * history that cannot be written after the message went out.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useRuntime } from '../functions/common/runtime.ts';
import { handler as deliverHandler } from '../functions/deliver/handler.ts';
import type { DeliverTask } from '../shared/contract/tasks.ts';
import { isRecord } from '../shared/json.ts';
import { deliver } from '../shared/runtime/deliver.ts';
import { readCustomer } from '../shared/store/customers.ts';
import { lambdaContext } from './support/lambda.ts';
import { ANA, deliverTask, seedCustomer } from './support/runtime-fixtures.ts';
import {
  createTestRuntime,
  expectVariant,
  historyEntries,
  localServicesForFile,
  type TestRuntime,
} from './support/runtime-services.ts';

const services = localServicesForFile();
const CHILD = fileURLToPath(new URL('./support/crash-deliver-child.ts', import.meta.url));

afterEach(() => {
  useRuntime(undefined);
  vi.restoreAllMocks();
});

/** Runs the task in a child process that is killed right after its reservation is stored. */
function deliverAndCrash(runtime: TestRuntime, task: DeliverTask): Promise<NodeJS.Signals | number | null> {
  const input = JSON.stringify({
    dynamoEndpoint: services.dynamoEndpoint,
    sesEndpoint: services.sesEndpoint,
    table: runtime.store.table,
    task,
  });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, input], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(signal ?? code));
  });
}

describe('a crash between the reservation and the send', () => {
  it('sends a transactional message again on the retry (at least once), under the same reservation', async () => {
    // Prepare
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-crash-tx', { ...ANA, email: 'crash-tx@example.com' });
    const task = deliverTask('c-crash-tx', { category: 'transactional', stepId: 'receipt' });
    // Act
    const ended = await deliverAndCrash(runtime, task);
    const sentBeforeRetry = await services.emailsTo('crash-tx@example.com');
    const retry = await deliver(task, runtime);
    // Assess
    expect(ended).toBe('SIGKILL');
    expect(sentBeforeRetry).toHaveLength(0);
    expect(retry).toMatchObject({ status: 'sent', channel: 'email' });
    expect(await services.emailsTo('crash-tx@example.com')).toHaveLength(1);
    const messages = await historyEntries(runtime, 'c-crash-tx', 'message');
    expect(messages).toHaveLength(1);
    // One reservation, not two: the retry counts once toward the caps.
    const customer = expectVariant(await readCustomer(runtime.store, 'c-crash-tx'), 'found', true).customer;
    expect(customer.ledger.sends).toHaveLength(1);
    // A third attempt finds the message recorded and sends nothing more.
    expect(await deliver(task, runtime)).toMatchObject({ status: 'sent' });
    expect(await services.emailsTo('crash-tx@example.com')).toHaveLength(1);
  });

  it('does not send a marketing message again (at most once); its cap slot stays used', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'c-crash-mk', { ...ANA, email: 'crash-mk@example.com' });
    const task = deliverTask('c-crash-mk');
    const ended = await deliverAndCrash(runtime, task);
    const retry = await deliver(task, runtime);
    expect(ended).toBe('SIGKILL');
    expect(retry).toMatchObject({ status: 'sent', messageId: expect.stringMatching(/^unconfirmed:/) });
    expect(await services.emailsTo('crash-mk@example.com')).toHaveLength(0);
    const customer = expectVariant(await readCustomer(runtime.store, 'c-crash-mk'), 'found', true).customer;
    expect(customer.ledger.sends).toHaveLength(1);
    // The timeline says what is known, rather than nothing.
    expect(await historyEntries(runtime, 'c-crash-mk', 'skipped')).toEqual([
      expect.objectContaining({ status: 'failed', reason: expect.stringContaining('unconfirmed') }),
    ]);
  });
});

/** A runtime whose table refuses the message's history entry, as a throttled or failing table would. */
async function runtimeFailingHistory(): Promise<TestRuntime> {
  const runtime = await createTestRuntime(services);
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      endpoint: services.dynamoEndpoint,
    }),
  );
  db.middlewareStack.add(
    (next) => (args) => {
      const request: unknown = args.input;
      const item = isRecord(request) && isRecord(request.Item) ? request.Item : {};
      if (item.kind === 'message') {
        return Promise.reject(Object.assign(new Error('injected'), { name: 'InternalServerError' }));
      }
      return next(args);
    },
    { step: 'initialize', name: 'failMessageHistory' },
  );
  return { ...runtime, store: { db, table: runtime.store.table } };
}

/** Everything printed while `act` runs: Powertools writes logs and EMF metrics to stdout. */
async function printedDuring(act: () => Promise<unknown>): Promise<string> {
  const lines: string[] = [];
  const keep = (chunk: string | Uint8Array): boolean => {
    lines.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  for (const level of ['log', 'info', 'warn', 'error'] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) =>
      lines.push(args.map(String).join(' ')),
    );
  }
  await act();
  vi.restoreAllMocks();
  return lines.join('\n');
}

describe('ids in function logs', () => {
  it('masks a customer id that is an email address or a phone number', async () => {
    const runtime = await createTestRuntime(services);
    useRuntime(runtime);
    for (const customerId of ['maria.silva@example.com', '+5511912345678']) {
      await seedCustomer(runtime, customerId, { ...ANA, email: 'masked.ids@example.com' });
      const printed = await printedDuring(() => deliverHandler(deliverTask(customerId), lambdaContext));
      expect(printed).toContain('"customerId"');
      expect(printed).not.toContain(customerId);
    }
    const printed = await printedDuring(() => deliverHandler(deliverTask('cust-42'), lambdaContext));
    expect(printed).toContain('"customerId":"cust-42"');
  });
});

describe('a history write that fails after the message was sent', () => {
  it('keeps the step as sent, and the handler logs it without the address and counts it in a metric', async () => {
    // Prepare
    const runtime = await runtimeFailingHistory();
    await seedCustomer(runtime, 'c-unrecorded', { ...ANA, email: 'unrecorded.person@example.com' });
    useRuntime(runtime);
    // Act
    let outcome: unknown;
    const printed = await printedDuring(async () => {
      outcome = await deliverHandler(deliverTask('c-unrecorded'), lambdaContext);
    });
    // Assess
    expect(outcome).toMatchObject({ status: 'sent', unrecorded: true });
    expect(await services.emailsTo('unrecorded.person@example.com')).toHaveLength(1);
    expect(await historyEntries(runtime, 'c-unrecorded', 'message')).toHaveLength(0);
    const metric = printed
      .split('\n')
      .filter((line) => line.includes('"_aws"'))
      .map((line): unknown => JSON.parse(line))
      .find((line) => isRecord(line) && line.HistoryWritesDropped !== undefined);
    expect(metric).toMatchObject({ HistoryWritesDropped: 1 });
    expect(printed).toContain('message sent but not recorded in the history');
    expect(printed).not.toContain('unrecorded.person@example.com');
  });
});
