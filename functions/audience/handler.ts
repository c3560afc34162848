/** Each task of a broadcast run: plan, read the segment's members, start them wave by wave, finish. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type BroadcastTaskResults, broadcastTaskSchema } from '../../shared/contract/broadcast.ts';
import { parseTask } from '../../shared/contract/parse.ts';
import { type BroadcastOptions, runBroadcastTask } from '../../shared/runtime/broadcast.ts';
import { ENVIRONMENT } from '../../shared/runtime/environment.ts';
import { logger, metrics, TRACE_OPTIONS, tracer } from '../common/observability.ts';
import { runtimeFromEnvironment } from '../common/runtime.ts';

const DEFAULT_SCAN_SEGMENTS = 8;

/** The account and region the members' events name, from the function's own ARN. */
function optionsFor(context: Context): BroadcastOptions {
  const [, , , region = 'us-east-1', account = '000000000000'] = context.invokedFunctionArn.split(':');
  const segments = Number(process.env[ENVIRONMENT.broadcastScanSegments] ?? DEFAULT_SCAN_SEGMENTS);
  return {
    totalSegments:
      Number.isInteger(segments) && segments >= 1 && segments <= 1000 ? segments : DEFAULT_SCAN_SEGMENTS,
    account,
    region,
  };
}

export const handler = middy<unknown, BroadcastTaskResults[keyof BroadcastTaskResults]>()
  .use(captureLambdaHandler(tracer, TRACE_OPTIONS))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event, context) => {
    const task = parseTask(broadcastTaskSchema, event);
    logger.appendKeys({ journeyId: task.journeyId, task: task.task });
    const result = await runBroadcastTask(task, await runtimeFromEnvironment(), optionsFor(context));
    metrics.addDimensions({ task: task.task });
    metrics.addMetric('BroadcastTasks', MetricUnit.Count, 1);
    if (task.task === 'enter' && 'started' in result) {
      metrics.addMetric('BroadcastMembersStarted', MetricUnit.Count, result.started);
    }
    if (task.task === 'plan' && 'skip' in result && result.skip)
      logger.info('broadcast skipped', { reason: result.reason });
    return result;
  });
