/** Every customer event on the bus: profile and history, once per event id. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { recordEvent, type RecordOutcome } from '../../shared/runtime/record.ts';
import { logger, metrics, TRACE_OPTIONS, tracer } from '../common/observability.ts';
import { runtimeFromEnvironment } from '../common/runtime.ts';

export const handler = middy<unknown, RecordOutcome>()
  .use(captureLambdaHandler(tracer, TRACE_OPTIONS))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const outcome = await recordEvent(event, await runtimeFromEnvironment());
    metrics.addMetric(`Events_${outcome.status}`, MetricUnit.Count, 1);
    // A malformed event is answered, not thrown: a retry would not fix it. The reasons name fields, not values.
    if (outcome.status === 'invalid' || outcome.status === 'rejected') {
      logger.warn('event not applied', { status: outcome.status, problems: outcome.problems });
    }
    return outcome;
  });
