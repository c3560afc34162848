/**
 * dynalite on a thread of its own. Every event the engine routes costs about a dozen DynamoDB requests, and
 * in the engine's thread dynalite's share of each (parsing the request, LevelDB, the answer) was about a third
 * of all the engine's work under a burst (`npm run bench`, bench/intake.bench.ts): on its own thread it runs
 * beside the functions instead of between them. Same dynalite, same files, same loopback endpoint.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { isRecord } from '../../shared/json.ts';
import type { LocalDynamo, LocalDynamoOptions } from './dynamodb.ts';
import { errorMessage } from './errors.ts';

/**
 * The thread's code, CommonJS as dynalite is. The settings are startLocalDynamo's: createTableMs 0, since a
 * crash while a table is CREATING would leave it so for ever.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require(workerData.dynalite);
const server = dynalite({
  createTableMs: 0,
  deleteTableMs: 0,
  updateTableMs: 0,
  ...(workerData.path === undefined ? {} : { path: workerData.path }),
});
server.once('error', (error) => parentPort.postMessage({ failed: String(error && error.message) }));
server.listen(workerData.port, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', () => server.close(() => parentPort.close()));
`;

export async function startDynamoThread(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  const worker = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: {
      // Resolved here: the thread's own require would look from the current folder, not from Waymark's.
      dynalite: createRequire(import.meta.url).resolve('dynalite'),
      path: options.path,
      port: options.port ?? 0,
    },
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (message: unknown) => {
      if (isRecord(message) && typeof message.port === 'number') resolve(message.port);
      else reject(new Error(`dynalite did not start: ${isRecord(message) ? String(message.failed) : ''}`));
    });
    worker.once('error', reject);
    void exited.then(() => reject(new Error('dynalite stopped before it started')));
  });
  // From now on a failure of the thread shows as refused requests, each answered as an error: not a crash.
  worker.on('error', (error) => {
    process.emitWarning(`The local DynamoDB thread stopped: ${errorMessage(error)}`);
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      worker.postMessage('close');
      await exited;
    },
  };
}
