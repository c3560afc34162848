/** Every journey step that sends nothing: entry, branches, schedules, profile updates, waits, the end. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { parseTask, stepsTaskSchema } from '../../shared/contract/parse.ts';
import { runStepsTask, type StepsResult } from '../../shared/runtime/steps.ts';
import { logger, metrics } from '../common/observability.ts';
import { runtimeFromEnvironment } from '../common/runtime.ts';

export const handler = middy<unknown, StepsResult>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const task = parseTask(stepsTaskSchema, event);
    logger.appendKeys({ journeyId: task.journeyId, customerId: task.customerId, task: task.task });
    const result = await runStepsTask(task, await runtimeFromEnvironment());
    if (task.task === 'enter' && 'admitted' in result) {
      const metric = metrics.singleMetric();
      metric.addDimensions({ journey: task.journeyId, outcome: result.admitted ? 'entered' : result.reason });
      metric.addMetric('Entries', MetricUnit.Count, 1);
    }
    if (task.task === 'finish') {
      const metric = metrics.singleMetric();
      metric.addDimensions({ journey: task.journeyId, outcome: task.outcome });
      metric.addMetric('Finished', MetricUnit.Count, 1);
    }
    return result;
  });
