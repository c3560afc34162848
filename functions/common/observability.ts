/**
 * Logs and metrics for every function. Logs carry ids and outcomes, never
 * addresses or message text: the replacer masks any field that could hold
 * personal data, in case one slips into a log call.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

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

export const logger = new Logger({
  serviceName: 'waymark',
  jsonReplacerFn: (key: string, value: unknown) => (PERSONAL_FIELDS.has(key) ? '***' : value),
});

export const metrics = new Metrics({ namespace: 'Waymark', serviceName: 'waymark' });
