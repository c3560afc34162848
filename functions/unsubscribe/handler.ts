/**
 * The unsubscribe link's function URL. GET only shows a question (mail
 * scanners fetch links); POST, from its button or a mailbox provider's
 * one-click request, unsubscribes.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import {
  linkPage,
  methodNotAllowed,
  senderName,
  unsubscribeRequestKind,
  unsubscribeResponse,
} from './pages.ts';
import { checkUnsubscribeLink, unsubscribe } from '../../shared/runtime/preferences.ts';
import { logger, metrics, TRACE_OPTIONS, tracer } from '../common/observability.ts';
import { runtimeFromEnvironment } from '../common/runtime.ts';

// The structured member of LambdaFunctionURLResult: every answer here has a status and headers.
export const handler = middy<LambdaFunctionURLEvent, APIGatewayProxyStructuredResultV2>()
  .use(captureLambdaHandler(tracer, TRACE_OPTIONS))
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const runtime = await runtimeFromEnvironment({ unsubscribeSecret: true });
    const token = event.queryStringParameters?.token ?? '';
    const context = { sender: senderName(runtime.project.settings.senders.email.from) };
    const method = event.requestContext.http.method;
    if (method === 'GET') return linkPage(checkUnsubscribeLink(runtime, token), token, context);
    if (method !== 'POST') return methodNotAllowed();
    const request = unsubscribeRequestKind(event.body, event.isBase64Encoded, event.headers['content-type']);
    const outcome = await unsubscribe(runtime, token);
    metrics.addDimensions({ outcome: outcome.status, request });
    metrics.addMetric('Unsubscribes', MetricUnit.Count, 1);
    if (outcome.status === 'invalid' || outcome.status === 'failed') {
      logger.warn('unsubscribe refused', { ...outcome, request });
    } else {
      logger.info('unsubscribe', { ...outcome, request });
    }
    return unsubscribeResponse(outcome, request, context);
  });
