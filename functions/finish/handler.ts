/** A journey execution's end (Step Functions' status change): free the customer's place, record the outcome. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { finishExecution, type FinishOutcome } from '../../shared/runtime/finish.ts';
import { logger, metrics, TRACE_OPTIONS, tracer } from '../common/observability.ts';
import { runtimeFromEnvironment } from '../common/runtime.ts';

export const handler = middy<unknown, FinishOutcome>()
  .use(captureLambdaHandler(tracer, TRACE_OPTIONS))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const outcome = await finishExecution(event, await runtimeFromEnvironment());
    // A few values each: what the end recorded, why an event was ignored, or that it was refused.
    const end =
      outcome.status === 'finished'
        ? (outcome.action ?? 'exited')
        : outcome.status === 'ignored'
          ? outcome.reason
          : 'invalid';
    metrics.addDimensions({ end });
    metrics.addMetric('ExecutionEnds', MetricUnit.Count, 1);
    // A malformed event is answered, not thrown: a retry would not fix it. Outcomes name the journey,
    // the status and field names, never the customer (the execution's input stays out of the logs).
    if (outcome.status === 'invalid') logger.warn('status-change event refused', { outcome });
    else if (outcome.status === 'ignored' && ['unknown-execution', 'no-customer'].includes(outcome.reason))
      logger.warn('execution end not recorded', { outcome });
    else logger.info('execution end', { outcome });
    return outcome;
  });
