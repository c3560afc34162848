/**
 * dynalite on a thread of its own. Every event the engine routes costs about a dozen DynamoDB requests, and
 * in the engine's thread dynalite's share of each (parsing the request, LevelDB, the answer) was about a third
 * of all the engine's work under a burst (`npm run bench`, bench/intake.bench.ts): on its own thread it runs
 * beside the functions instead of between them. Same dynalite, same files, same loopback endpoint.
 *
 * The thread is supervised, because without it one DynamoDB request could leave the engine unable to store
 * anything for the rest of its run, with every event then routed into a dead letter:
 * - inside the thread, an error dynalite throws while answering a request is answered as that request's
 *   failure (AWS's 500), instead of ending the thread;
 * - a thread that ends all the same, or stops answering, is started again on the same data folder and the
 *   same port, so the clients that keep the endpoint carry on. What dynalite wrote is in LevelDB's log, which
 *   survives the thread as it survives a kill -9; classic-level closes the database when the thread's
 *   environment ends (after the native work already under way), so the new thread can open the folder.
 *   An in-memory store starts again empty: `prepare` (the host creates its table there) runs on every start.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { isRecord } from '../../shared/json.ts';
import type { LocalDynamo, LocalDynamoOptions } from './dynamodb.ts';
import { errorMessage } from './errors.ts';

/**
 * The thread's code, CommonJS as dynalite is. The settings are startLocalDynamo's: createTableMs 0, since a
 * crash while a table is CREATING would leave it so for ever.
 *
 * dynalite answers from callbacks and throws from them when something it did not expect goes wrong (a null
 * where it wants an object, a client gone mid-request): uncaught, that would end the thread. So each request
 * runs in an async context of its own, which follows it through dynalite's callbacks and LevelDB's, and an
 * error thrown in that context is answered as the request's failure. The request's own events come from the
 * socket, outside that context, so its `emit` is bound to it, and what a listener throws at once is caught
 * there. An error outside any request leaves the thread in a state nobody knows: it ends, and is restarted.
 */
const THREAD_SOURCE = `
const { AsyncLocalStorage, AsyncResource } = require('node:async_hooks');
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require(workerData.dynalite);
const server = dynalite({
  createTableMs: 0,
  deleteTableMs: 0,
  updateTableMs: 0,
  ...(workerData.path === undefined ? {} : { path: workerData.path }),
});

const requestContext = new AsyncLocalStorage();
const unanswered = new Set();
const [answerRequest] = server.listeners('request');
server.removeAllListeners('request');
server.on('request', (request, response) => {
  const pending = { response, since: Date.now(), reported: false };
  unanswered.add(pending);
  response.once('close', () => unanswered.delete(pending));
  const tap = workerData.tapHistory === true && request.headers['x-amz-target'] === PUT_ITEM ? [] : undefined;
  if (tap !== undefined) tapAnswer(response, tap);
  requestContext.run(pending, () => {
    const scope = new AsyncResource('waymark-dynalite-request');
    const emit = request.emit;
    request.emit = (...args) => {
      // The body as dynalite reads it, without a listener of our own (which would start the flow early).
      if (tap !== undefined && args[0] === 'data') tap.push(Buffer.from(args[1]));
      try {
        return scope.runInAsyncScope(emit, request, ...args);
      } catch (error) {
        failed(pending, error);
        return true;
      }
    };
    try {
      answerRequest(request, response);
    } catch (error) {
      failed(pending, error);
    }
  });
});

// The stand-in for the table's stream (infra/local/figures-hook.ts): each history item dynalite put, told
// to the engine before the answer goes out, so a client that has its answer finds the item told (a sync
// message the engine sends after it comes back after every one of them).
const PUT_ITEM = 'DynamoDB_20120810.PutItem';
function tapAnswer(response, chunks) {
  const end = response.end;
  response.end = function (...args) {
    if (response.statusCode === 200) {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const sk = body && body.Item && body.Item.sk && body.Item.sk.S;
        if (typeof sk === 'string' && sk.startsWith('H#')) {
          parentPort.postMessage({
            kind: 'history-put',
            table: body.TableName,
            item: body.Item,
            condition: typeof body.ConditionExpression === 'string' ? body.ConditionExpression : '',
          });
        }
      } catch {
        // Not JSON dynalite could have answered 200 to: nothing was put.
      }
    }
    return end.apply(this, args);
  };
}

function failed(pending, error) {
  if (!pending.reported) {
    pending.reported = true;
    parentPort.postMessage({ kind: 'request-failed', message: String((error && error.message) || error) });
  }
  const response = pending.response;
  // Already answered (dynalite failing after its answer): nothing to add. Half answered: cut off.
  if (response.writableEnded) return;
  if (response.headersSent) return void response.destroy();
  const body = JSON.stringify({
    __type: 'com.amazon.coral.service#InternalFailure',
    message: 'The local DynamoDB stand-in failed on this request.',
  });
  response.writeHead(500, {
    'Content-Type': 'application/x-amz-json-1.0',
    'Content-Length': Buffer.byteLength(body),
    'x-amzn-ErrorType': 'InternalFailure',
  });
  response.end(body);
}

function onUncaught(error) {
  const pending = requestContext.getStore();
  if (pending !== undefined) return failed(pending, error);
  process.off('uncaughtException', onUncaught);
  throw error;
}
process.on('uncaughtException', onUncaught);

server.once('error', (error) => parentPort.postMessage({ kind: 'failed-to-start', message: String(error && error.message) }));
server.listen(workerData.port, '127.0.0.1', () => parentPort.postMessage({ kind: 'listening', port: server.address().port }));
parentPort.on('message', (message) => {
  if (message.kind === 'sync') {
    parentPort.postMessage({ kind: 'synced', id: message.id });
  } else if (message.kind === 'ping') {
    let oldest = Date.now();
    for (const pending of unanswered) oldest = Math.min(oldest, pending.since);
    parentPort.postMessage({ kind: 'pong', oldestRequestMs: Date.now() - oldest });
  } else if (message.kind === 'close') {
    server.close(() => parentPort.close());
  }
});
`;

/** How often the supervisor asks the thread whether it still answers. */
const LIVENESS_INTERVAL_MS = 5_000;
/** A thread that has not answered for this long is stuck (its event loop blocked), and is replaced. */
const UNRESPONSIVE_MS = 20_000;
/**
 * A request unanswered for this long never will be: the edge has given up on it by then, and an error that
 * failed a request while it held one of dynalite's item locks leaves that item locked until a restart.
 */
const STUCK_REQUEST_MS = 60_000;
/** A thread that ran this long before it stopped is restarted at once; one that keeps stopping, ever slower. */
const STABLE_RUN_MS = 10_000;
const MAX_RESTART_DELAY_MS = 5_000;

export interface StoreHealth {
  /** serving: answering requests; restarting: its thread stopped and a new one is being started. */
  state: 'serving' | 'restarting' | 'closed';
  /** How many times the thread was started again after it stopped. */
  restarts: number;
  /** Why it last stopped, and when (the machine's time, not the engine's clock). */
  lastFailure?: { at: string; reason: string };
}

export interface SupervisedDynamo extends LocalDynamo {
  health(): StoreHealth;
  /** True once the store serves (at once if it does), false if it does not within `timeoutMs`. */
  whenServing(timeoutMs: number): Promise<boolean>;
  /** Ends the thread as a crash would; resolves once it has ended and its restart is under way. */
  terminateThread(reason: string): Promise<void>;
  /** Resolves once every history put answered before the call has reached `onHistoryPut`. */
  historyTold(): Promise<void>;
}

export interface DynamoThreadOptions extends LocalDynamoOptions {
  /** Runs against every thread started, before it counts as serving: the host makes its table there. */
  prepare?: (endpoint: string) => Promise<void>;
  /** Where the supervisor says the thread stopped and came back; one line per event. */
  log?: (line: string) => void;
  /**
   * Told of each history item (`sk` H#...) a PutItem stored, before the client has its answer: the
   * local stand-in for the table's stream. Undefined: nothing is told.
   */
  onHistoryPut?: (put: HistoryPut) => void;
}

/** One history item dynalite stored: its table, the item in DynamoDB's typed JSON, the put's condition. */
export interface HistoryPut {
  table: string;
  item: Record<string, unknown>;
  condition: string;
}

interface StoreThread {
  worker: Worker;
  port: number;
  startedAt: number;
  /** Resolves when the thread has ended, with why. */
  ended: Promise<string>;
  /** Set when the supervisor ends the thread itself, to say why. */
  endedBecause?: string;
  pingSentAt?: number;
}

export async function startDynamoThread(options: DynamoThreadOptions = {}): Promise<SupervisedDynamo> {
  const log = options.log ?? ((line: string) => process.emitWarning(line));
  const prepare = options.prepare ?? (() => Promise.resolve());
  let thread = await startServing(options.port ?? 0);
  const port = thread.port;
  const endpoint = `http://127.0.0.1:${port}`;
  let health: StoreHealth = { state: 'serving', restarts: 0 };
  let failuresInARow = 0;
  let waiters: ((serving: boolean) => void)[] = [];
  /** Messages of the request failures already logged: a client repeating one bad request logs it once. */
  const loggedFailures = new Set<string>();
  /** Syncs sent to the thread and not answered yet, by id. */
  const syncs = new Map<number, () => void>();
  let nextSync = 0;

  async function startServing(onPort: number): Promise<StoreThread> {
    const started = await launchThread(options.path, onPort, options.onHistoryPut !== undefined);
    try {
      await prepare(`http://127.0.0.1:${started.port}`);
    } catch (error) {
      await started.worker.terminate();
      throw error;
    }
    return started;
  }

  function supervise(current: StoreThread): void {
    current.worker.on('message', (message: unknown) => {
      if (!isRecord(message)) return;
      if (message.kind === 'pong') {
        current.pingSentAt = undefined;
        const oldest = typeof message.oldestRequestMs === 'number' ? message.oldestRequestMs : 0;
        if (oldest > STUCK_REQUEST_MS) {
          end(current, `a request went unanswered for ${Math.round(oldest / 1000)} s`);
        }
      } else if (message.kind === 'history-put') {
        const { table, item, condition } = message;
        if (typeof table === 'string' && isRecord(item) && typeof condition === 'string')
          options.onHistoryPut?.({ table, item, condition });
      } else if (message.kind === 'synced') {
        const done = syncs.get(Number(message.id));
        syncs.delete(Number(message.id));
        done?.();
      } else if (message.kind === 'request-failed') {
        const text = String(message.message);
        if (loggedFailures.size < 100 && !loggedFailures.has(text)) {
          loggedFailures.add(text);
          log(`DynamoDB stand-in: a request failed inside it (${text}); it was answered with a 500`);
        }
      }
    });
    void current.ended.then((reason) => stopped(current, reason));
  }

  function end(current: StoreThread, reason: string): void {
    current.endedBecause ??= reason;
    void current.worker.terminate();
  }

  function stopped(current: StoreThread, reason: string): void {
    // What the thread had not told by now it never will: nobody waits for it.
    for (const done of syncs.values()) done();
    syncs.clear();
    if (current !== thread || health.state === 'closed') return;
    const ranFor = Date.now() - current.startedAt;
    failuresInARow = ranFor >= STABLE_RUN_MS ? 0 : failuresInARow + 1;
    health = { ...health, state: 'restarting', lastFailure: { at: new Date().toISOString(), reason } };
    log(
      `DynamoDB stand-in stopped (${reason}); restarting it ${
        options.path === undefined ? 'in memory: the items it held are gone' : 'on the same data folder'
      }`,
    );
    void restart();
  }

  async function restart(): Promise<void> {
    for (let attempt = 0; health.state === 'restarting'; attempt += 1) {
      const delay = Math.min(MAX_RESTART_DELAY_MS, failuresInARow === 0 ? 0 : 100 * 2 ** failuresInARow);
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      if (health.state !== 'restarting') return;
      let next: StoreThread;
      try {
        next = await startServing(port);
      } catch (error) {
        failuresInARow += 1;
        if (attempt === 0) log(`DynamoDB stand-in did not restart (${errorMessage(error)}); trying again`);
        continue;
      }
      if (health.state !== 'restarting') {
        await next.worker.terminate();
        return;
      }
      thread = next;
      supervise(next);
      health = { ...health, state: 'serving', restarts: health.restarts + 1 };
      log(`DynamoDB stand-in restarted (restart ${health.restarts})`);
      settleWaiters(true);
    }
  }

  function settleWaiters(serving: boolean): void {
    for (const waiter of waiters.splice(0)) waiter(serving);
  }

  function checkLiveness(): void {
    const current = thread;
    if (health.state !== 'serving') return;
    if (current.pingSentAt === undefined) {
      current.pingSentAt = Date.now();
      current.worker.postMessage({ kind: 'ping' });
      return;
    }
    const sentAt = current.pingSentAt;
    // After the poll phase, so a pong that came while this thread was busy is read first.
    setImmediate(() => {
      if (current.pingSentAt === sentAt && Date.now() - sentAt > UNRESPONSIVE_MS) {
        end(current, `it answered nothing for ${Math.round((Date.now() - sentAt) / 1000)} s`);
      }
    });
  }

  supervise(thread);
  const liveness = setInterval(checkLiveness, LIVENESS_INTERVAL_MS).unref();

  return {
    endpoint,
    health: () => ({ ...health }),
    whenServing(timeoutMs) {
      if (health.state !== 'restarting') return Promise.resolve(health.state === 'serving');
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((waiter) => waiter !== settle);
          resolve(false);
        }, timeoutMs);
        const settle = (serving: boolean): void => {
          clearTimeout(timer);
          resolve(serving);
        };
        waiters.push(settle);
      });
    },
    historyTold() {
      if (health.state !== 'serving' || options.onHistoryPut === undefined) return Promise.resolve();
      const id = nextSync;
      nextSync += 1;
      return new Promise((resolve) => {
        syncs.set(id, resolve);
        thread.worker.postMessage({ kind: 'sync', id });
      });
    },
    async terminateThread(reason) {
      const current = thread;
      end(current, reason);
      await current.ended;
    },
    async close() {
      const wasServing = health.state === 'serving';
      health = { ...health, state: 'closed' };
      clearInterval(liveness);
      settleWaiters(false);
      if (!wasServing) return;
      thread.worker.postMessage({ kind: 'close' });
      await thread.ended;
    },
  };
}

/** A new thread with dynalite listening on `port` (0: any free port). */
async function launchThread(
  path: string | undefined,
  port: number,
  tapHistory: boolean,
): Promise<StoreThread> {
  const worker = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: {
      // Resolved here: the thread's own require would look from the current folder, not from Waymark's.
      dynalite: createRequire(import.meta.url).resolve('dynalite'),
      path,
      port,
      tapHistory,
    },
  });
  let lastError: string | undefined;
  worker.on('error', (error) => {
    lastError = errorMessage(error);
  });
  const exitCode = new Promise<number>((resolve) => worker.once('exit', resolve));
  let onMessage: (message: unknown) => void = () => undefined;
  const listening = await new Promise<number>((resolve, reject) => {
    onMessage = (message) => {
      if (!isRecord(message)) return;
      if (message.kind === 'listening' && typeof message.port === 'number') resolve(message.port);
      else if (message.kind === 'failed-to-start') {
        reject(new Error(`dynalite did not start: ${String(message.message)}`));
      }
    };
    worker.on('message', onMessage);
    void exitCode.then(() =>
      reject(new Error(`dynalite stopped before it started: ${lastError ?? 'no error'}`)),
    );
  })
    .catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    })
    .finally(() => worker.off('message', onMessage));
  const thread: StoreThread = {
    worker,
    port: listening,
    startedAt: Date.now(),
    ended: exitCode.then((code) => thread.endedBecause ?? lastError ?? `its thread exited with code ${code}`),
  };
  return thread;
}
