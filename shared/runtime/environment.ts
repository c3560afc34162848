/**
 * The environment variables the functions read, named once: the CDK stack
 * sets them from these names and the functions read them by these names.
 */
export const ENVIRONMENT = {
  table: 'WAYMARK_TABLE',
  /** The journeys folder (journeys, settings.json, templates/) bundled with the function. */
  projectDir: 'WAYMARK_PROJECT_DIR',
  /** The secret's value, for the local engine and tests. */
  unsubscribeSecret: 'WAYMARK_UNSUBSCRIBE_SECRET',
  /** On AWS: the Secrets Manager secret holding it, read once per container. */
  unsubscribeSecretArn: 'WAYMARK_UNSUBSCRIBE_SECRET_ARN',
  /** A stage's overrides of journeys/settings.json, set by the CDK stack from cdk.json. */
  senderFrom: 'WAYMARK_SENDER_FROM',
  configurationSet: 'WAYMARK_CONFIGURATION_SET',
  smsOriginationNumber: 'WAYMARK_SMS_ORIGINATION_NUMBER',
  unsubscribeBaseUrl: 'WAYMARK_UNSUBSCRIBE_BASE_URL',
  /** The stage's send rates (JSON, `{ "email": 14 }`), over settings.json's `sendRates`. */
  sendRates: 'WAYMARK_SEND_RATES',
  /** The stage's webhook URLs (JSON, `{ "ads-audience": "https://..." }`), over settings.json's. */
  webhookUrls: 'WAYMARK_WEBHOOK_URLS',
  /** The journeys' bus, for the functions that put events on it (record, for segment entries). */
  eventBus: 'WAYMARK_EVENT_BUS',
  /** The audience function: how many parallel scan segments a broadcast reads the table in. */
  broadcastScanSegments: 'WAYMARK_BROADCAST_SCAN_SEGMENTS',
  /** The stage's EventBridge Scheduler group, where high-volume journeys park their runs. */
  scheduleGroup: 'WAYMARK_SCHEDULE_GROUP',
  /** The queue a schedule's failed start goes to after Scheduler's retries. */
  scheduleDeadLetterArn: 'WAYMARK_SCHEDULE_DLQ_ARN',
} as const;
