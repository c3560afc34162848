/**
 * Logs, metrics and traces for every function. Logs carry ids and outcomes,
 * never addresses or message text: the replacer masks any field that could
 * hold personal data, in case one slips into a log call. Traces show each
 * AWS call (functions/common/runtime.ts instruments the clients) but neither
 * the event nor the answer: both hold customer data.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { maskIdentifier } from '../../shared/text/mask.ts';

const PERSONAL_FIELDS = new Set([
  'email',
  'phone',
  'phoneNumber',
  'to',
  'address',
  'endpointArn',
  'token',
  'taskToken',
  'firstName',
  'lastName',
  'attributes',
  'detail',
  'body',
  'text',
  'html',
  'subject',
  'headline',
  'preview',
  'values',
  'unsubscribeUrl',
  'trigger',
]);

/** Ids are kept so a log can be followed, but one that is an email or a phone number is shown masked. */
const IDENTIFIER_FIELDS = new Set(['customerId']);

export const logger = new Logger({
  serviceName: 'waymark',
  jsonReplacerFn: (key: string, value: unknown) => {
    if (PERSONAL_FIELDS.has(key)) return '***';
    if (IDENTIFIER_FIELDS.has(key) && typeof value === 'string') return maskIdentifier(value);
    return value;
  },
});

export const metrics = new Metrics({ namespace: 'Waymark', serviceName: 'waymark' });

export const tracer = new Tracer({ serviceName: 'waymark', captureHTTPsRequests: false });

/** For `captureLambdaHandler`: the handler's answer names customers and channels, so it stays out of traces. */
export const TRACE_OPTIONS = { captureResponse: false } as const;
