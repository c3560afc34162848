/** An exit or goal event: stop the customer's journeys that end on it and record conversions. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { type GoalOutcome, handleExitEvent } from '../../shared/runtime/goals.ts';
import { logger, metrics, TRACE_OPTIONS, tracer } from '../common/observability.ts';
import { runtimeFromEnvironment } from '../common/runtime.ts';

export const handler = middy<unknown, GoalOutcome>()
  .use(captureLambdaHandler(tracer, TRACE_OPTIONS))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const outcome = await handleExitEvent(event, await runtimeFromEnvironment());
    metrics.addMetric('GoalEvents', MetricUnit.Count, 1);
    if (outcome.status === 'rejected') {
      logger.warn('event not usable for exits', { problems: outcome.problems });
      return outcome;
    }
    for (const exit of outcome.exits) {
      // One journey per metric: several journeys can end on the same event.
      const perJourney = metrics.singleMetric();
      perJourney.addDimensions({ journey: exit.journeyId });
      perJourney.addMetric('Exited', MetricUnit.Count, exit.stopped);
      perJourney.addMetric('Converted', MetricUnit.Count, exit.converted ? 1 : 0);
    }
    return outcome;
  });
