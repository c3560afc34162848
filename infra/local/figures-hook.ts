/**
 * The local engine's stand-in for the table's DynamoDB Stream and the figures function: dynalite tells
 * each history item it stored (infra/local/dynamodb-thread.ts), and this counts them in batches through
 * the same code the figures function runs on AWS (shared/figures/, shared/store/figures.ts).
 *
 * Which puts count is the stream's rule (shared/figures/stream.ts): a new history item, and an event
 * entry once record has put it (`recorded`, under `attribute_not_exists(recorded)`, so once per event
 * however the resume function's copy came first).
 *
 * What a kill loses: puts told but not yet counted (a batch waits a few milliseconds) are not counted
 * after a restart. The figures are a view of the history; `waymark figures --recount` rebuilds them.
 */
import { applyHistoryChanges } from '../../shared/store/figures.ts';
import { type HistoryChange, sequenceKey } from '../../shared/figures/aggregate.ts';
import { fromImage, historyItem } from '../../shared/figures/stream.ts';
import type { StoreContext } from '../../shared/store/context.ts';
import { errorMessage } from '../../shared/text/error-message.ts';
import type { HistoryPut } from './dynamodb-thread.ts';

/** How long puts gather before a batch is counted: the stream's batching window, in small. */
const BATCH_WINDOW_MS = 10;
/** The figures function's batch size on AWS (infra/cdk/constructs/figures.ts). */
const BATCH_SIZE = 1000;
/** A failed batch is tried again after this (the table being restarted, say). */
const RETRY_MS = 500;
export const LOCAL_SHARD = 'local';

export interface LocalFiguresOptions {
  /** The table whose history is counted; puts to other tables are not. */
  table: string;
  log: (line: string) => void;
}

export class LocalFigures {
  private readonly queue: HistoryChange[] = [];
  private store: StoreContext | undefined;
  private now: () => Date = () => new Date();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private lastSequence = 0n;
  private closed = false;

  constructor(private readonly options: LocalFiguresOptions) {}

  /** Counting starts once the store is known; puts told before then wait in the queue. */
  start(store: StoreContext, now: () => Date): void {
    this.store = store;
    this.now = now;
    this.schedule(0);
  }

  receive(put: HistoryPut): void {
    if (this.closed || put.table !== this.options.table) return;
    const item = fromImage(put.item);
    const found = historyItem(item);
    if (found?.entry === undefined) return;
    // An event counts when record puts it (the resume function's copy has no `recorded`).
    if (found.entry.kind === 'event' && item.recorded !== true) return;
    this.queue.push({
      shard: LOCAL_SHARD,
      sequence: this.nextSequence(),
      customerId: found.customerId,
      entry: found.entry,
    });
    this.schedule(BATCH_WINDOW_MS);
  }

  /**
   * Time-based (microseconds), so a restart goes on past the sequence marks it left on the counters;
   * never below the last one, whatever the machine's clock does within a run.
   */
  private nextSequence(): string {
    const now = BigInt(Date.now()) * 1000n;
    this.lastSequence = now > this.lastSequence ? now : this.lastSequence + 1n;
    return sequenceKey(this.lastSequence);
  }

  /** Resolves once everything told so far has been counted (or given up at close). */
  whenIdle(): Promise<void> {
    if (this.queue.length === 0 && this.running === undefined) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(delay: number): void {
    if (this.timer !== undefined || this.running !== undefined || this.store === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.countBatch().finally(() => {
        this.running = undefined;
        if (this.queue.length > 0 && !this.closed) this.schedule(0);
        else this.settleWaiters();
      });
    }, delay);
  }

  private async countBatch(): Promise<void> {
    const store = this.store;
    if (store === undefined) return;
    const batch = this.queue.slice(0, BATCH_SIZE);
    try {
      await applyHistoryChanges(store, batch, this.now());
      this.queue.splice(0, batch.length);
    } catch (error) {
      // Kept at the front, in order: the same changes are counted again (once) when the table answers.
      this.options.log(
        `Figures: a batch of ${batch.length} history entries was not counted (${errorMessage(error)}); trying again`,
      );
      if (!this.closed) await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }

  private settleWaiters(): void {
    for (const waiter of this.idleWaiters.splice(0)) waiter();
  }

  /** Counts what is queued (while the table answers), then stops. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    while (this.queue.length > 0 && this.store !== undefined) {
      const before = this.queue.length;
      await this.countBatch();
      if (this.queue.length === before) break;
    }
    this.settleWaiters();
  }
}
