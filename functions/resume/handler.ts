/** An awaited event: resume the journey steps waiting for it (SendTaskSuccess), once each. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { resumeWaits, type ResumeOutcome } from '../../shared/runtime/resume.ts';
import { logger, metrics, TRACE_OPTIONS, tracer } from '../common/observability.ts';
import { runtimeFromEnvironment } from '../common/runtime.ts';

export const handler = middy<unknown, ResumeOutcome>()
  .use(captureLambdaHandler(tracer, TRACE_OPTIONS))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const outcome = await resumeWaits(event, await runtimeFromEnvironment());
    metrics.addMetric('ResumeEvents', MetricUnit.Count, 1);
    if (outcome.status === 'handled') {
      metrics.addMetric('Resumed', MetricUnit.Count, outcome.resumed);
      metrics.addMetric('ResumedLate', MetricUnit.Count, outcome.late);
    } else {
      logger.warn('event not usable for resuming', { problems: outcome.problems });
    }
    return outcome;
  });
