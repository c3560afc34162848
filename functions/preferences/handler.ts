/** SES's events (suppression, engagement), SMS and WhatsApp statuses, and erasure requests, from EventBridge. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { handlePreferenceEvent, type PreferenceEventOutcome } from '../../shared/runtime/preferences.ts';
import { logger, metrics, TRACE_OPTIONS, tracer } from '../common/observability.ts';
import { runtimeFromEnvironment } from '../common/runtime.ts';

export const handler = middy<unknown, PreferenceEventOutcome>()
  .use(captureLambdaHandler(tracer, TRACE_OPTIONS))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const result = await handlePreferenceEvent(await runtimeFromEnvironment(), event);
    const outcome = result.kind === 'ignored' ? 'ignored' : result.outcome.status;
    metrics.addDimensions({ kind: result.kind, outcome });
    metrics.addMetric('PreferenceEvents', MetricUnit.Count, 1);
    // Outcomes carry ids, counts and reasons, never an address: SES addresses are hashed before this.
    // Statuses of other senders in the account, and SMS statuses still on the way, are expected: info.
    if (outcome === 'ignored' && result.kind !== 'receipt')
      logger.warn('preference event ignored', { result });
    else logger.info('preference event', { result });
    return result;
  });
