/** Every journey step that sends nothing: entry, branches, schedules, profile updates, waits, the end. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { parseTask, stepsTaskSchema } from '../../shared/contract/parse.ts';
import type { StepsTask } from '../../shared/contract/tasks.ts';
import { runStepsTask, type StepsResult } from '../../shared/runtime/steps.ts';
import { logger, metrics, TRACE_OPTIONS, tracer } from '../common/observability.ts';
import { runtimeFromEnvironment } from '../common/runtime.ts';
import { isRecord } from '../../shared/json.ts';

export const handler = middy<unknown, StepsResult>()
  .use(captureLambdaHandler(tracer, TRACE_OPTIONS))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const task = parseTask(stepsTaskSchema, event);
    logger.appendKeys({ journeyId: task.journeyId, customerId: task.customerId, task: task.task });
    const result = await runStepsTask(task, await runtimeFromEnvironment());
    const outcome = outcomeOf(task, result);
    // Closed sets only (see infra/cdk/constructs/monitoring.ts); the journey dimension is for entries.
    metrics.addDimensions({ task: task.task, outcome });
    metrics.addMetric('StepTasks', MetricUnit.Count, 1);
    if (outcome === 'entered') {
      const perJourney = metrics.singleMetric();
      perJourney.addDimensions({ journey: task.journeyId });
      perJourney.addMetric('Entered', MetricUnit.Count, 1);
    }
    return result;
  });

/** What the dashboard counts: entries by reason, parks and resumes, journeys by how they ended. */
function outcomeOf(task: StepsTask, result: StepsResult): string {
  switch (task.task) {
    case 'finish':
      return task.outcome;
    case 'enter':
      if ('admitted' in result && result.admitted === true) return 'entered';
      return 'reason' in result && typeof result.reason === 'string' ? result.reason : 'refused';
    case 'park':
      return 'parked' in result && typeof result.parked === 'string' ? result.parked : 'done';
    case 'resume':
      return 'run' in result && isRecord(result.run) && result.run.next === null ? 'not-resumed' : 'resumed';
    default:
      return 'done';
  }
}
