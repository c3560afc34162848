/** Sends one message step: the only function allowed to call SES and SNS. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { deliverTaskSchema, parseTask } from '../../shared/contract/parse.ts';
import type { DeliveryOutcome } from '../../shared/contract/tasks.ts';
import { deliver } from '../../shared/runtime/deliver.ts';
import { DeferredError } from '../../shared/runtime/errors.ts';
import { logger, metrics, TRACE_OPTIONS, tracer } from '../common/observability.ts';
import { runtimeFromEnvironment } from '../common/runtime.ts';

export const handler = middy<unknown, DeliveryOutcome>()
  .use(captureLambdaHandler(tracer, TRACE_OPTIONS))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const task = parseTask(deliverTaskSchema, event);
    logger.appendKeys({ journeyId: task.journeyId, stepId: task.stepId, customerId: task.customerId });
    const outcome = await deliver(task, await runtimeFromEnvironment({ unsubscribeSecret: true }));
    // Dimensions from closed sets only, so the number of billed metrics does not grow with journeys
    // and steps (the bound is in infra/cdk/constructs/monitoring.ts); per step, read the report.
    metrics.addDimensions({ channel: outcome.channel ?? 'none', outcome: outcome.status });
    metrics.addMetric('Deliveries', MetricUnit.Count, 1);
    if (outcome.status === 'sent') {
      const perJourney = metrics.singleMetric();
      perJourney.addDimensions({ journey: task.journeyId });
      perJourney.addMetric('MessagesSent', MetricUnit.Count, 1);
    }
    if (outcome.status === 'sent' && outcome.unrecorded === true) {
      // Compliance and attribution read the history: a message missing from it must not go unnoticed.
      metrics.addMetric('HistoryWritesDropped', MetricUnit.Count, 1);
      logger.error('message sent but not recorded in the history', { channel: outcome.channel });
    }
    logger.info('delivery', {
      status: outcome.status,
      channel: outcome.channel,
      reason: 'reason' in outcome ? outcome.reason : undefined,
    });
    const deferred = outcome.status === 'deferred' || outcome.status === 'rate-limited';
    if (deferred && task.deferral === 'error') {
      // Counted (service dimension only) so the errors alarm leaves these out: deferrals are no failure.
      metrics.singleMetric().addMetric('DeferralsThrown', MetricUnit.Count, 1);
      throw new DeferredError(outcome);
    }
    return outcome;
  });
