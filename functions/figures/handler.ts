/**
 * The figures: the table's DynamoDB Stream (history items only, by the event source mapping's filter)
 * counted into the counters the panel and `waymark report` read. Off every message's path: the
 * functions that write the history make no request for it.
 *
 * The event source mapping has a tumbling window only for the `shardId` it adds to each event: the
 * counters keep a sequence mark per shard (shared/store/figures.ts). The window's state is not used.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { DEFAULT_BATCH_OPTIONS, WRITE_SHARDS_ENVIRONMENT } from '../../shared/figures/batch.ts';
import { historyChangesOfStream } from '../../shared/figures/stream.ts';
import { applyHistoryChanges } from '../../shared/store/figures.ts';
import { logger, metrics, TRACE_OPTIONS, tracer } from '../common/observability.ts';
import { runtimeFromEnvironment } from '../common/runtime.ts';

const streamBatchSchema = z.object({
  Records: z.array(z.unknown()).default([]),
  shardId: z.string().min(1),
});

/** What a tumbling window's invocation answers: the state for the next (none kept). */
interface WindowAnswer {
  state: Record<string, never>;
}

const writeShards = Math.max(1, Number.parseInt(process.env[WRITE_SHARDS_ENVIRONMENT] ?? '1', 10) || 1);

export const handler = middy<unknown, WindowAnswer>()
  .use(captureLambdaHandler(tracer, TRACE_OPTIONS))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event) => {
    // Thrown, not answered: without the shard the batch cannot be counted once (the mapping lacks its window).
    const batch = streamBatchSchema.parse(event);
    if (batch.Records.length === 0) return { state: {} };
    const reading = historyChangesOfStream(batch.Records, batch.shardId);
    const { store } = await runtimeFromEnvironment();
    // A failure throws: Lambda retries the batch, and what an item counted already is not counted again.
    const outcome = await applyHistoryChanges(store, reading.changes, new Date(), {
      ...DEFAULT_BATCH_OPTIONS,
      writeShards,
    });
    metrics.addMetric('FiguresChanges', MetricUnit.Count, outcome.changes);
    metrics.addMetric('FiguresUpdates', MetricUnit.Count, outcome.counterUpdates + outcome.markerUpdates);
    if (outcome.alreadyCounted > 0)
      metrics.addMetric('FiguresRecounted', MetricUnit.Count, outcome.alreadyCounted);
    if (reading.ignored.unreadable > 0)
      logger.warn('stream records not counted', { ignored: reading.ignored });
    // Counts only: the records hold customer data.
    logger.info('figures counted', { records: batch.Records.length, outcome, ignored: reading.ignored });
    return { state: {} };
  });
