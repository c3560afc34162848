/**
 * SNS on one machine, for SMS and mobile push: no npm package covers
 * PhoneNumber publishing and platform endpoints on Node 20, so this speaks
 * just enough of the AWS Query protocol (form-encoded POST with
 * `Action=...`, XML replies) for the SDK v3 SNS client. Nothing is sent
 * anywhere; accepted messages are kept in memory for tests to read (the
 * local engine keeps its own outbox instead, and turns that off).
 *
 * `createSnsHandler` is a plain request listener, so the local engine can
 * mount it on its own edge server; `startLocalSns` gives it a loopback port.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { PushPlatform } from '../../shared/customer/profile.ts';
import { type JsonValue, toJsonValue } from '../../shared/json.ts';
import { listenOnLoopback, readRequestBody, RequestBodyTooLarge } from './loopback.ts';
import { type SendRateLimiter, underSendRate } from './send-limits.ts';

const SNS_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
/** SNS refuses messages over 256 KiB. */
const MAX_MESSAGE_BYTES = 256 * 1024;
const MAX_REQUEST_BYTES = 1024 * 1024;
/** ListPhoneNumbersOptedOut returns at most 100 numbers per page. */
const OPTED_OUT_PAGE_SIZE = 100;
const E164 = /^\+[1-9]\d{1,14}$/;
const PLATFORM_APPLICATION_ARN =
  /^arn:(aws[a-z-]*):sns:([a-z0-9-]+):(\d{12}):app\/(GCM|APNS|APNS_SANDBOX)\/([A-Za-z0-9_.-]+)$/;

export type SmsType = 'Promotional' | 'Transactional';

export interface PublishedSms {
  kind: 'sms';
  messageId: string;
  /** ISO 8601, when the local SNS accepted it. */
  time: string;
  phoneNumber: string;
  message: string;
  /** Absent when the publisher left it to the account default. */
  smsType?: SmsType;
  originationNumber?: string;
  senderId?: string;
}

export interface PublishedPush {
  kind: 'push';
  messageId: string;
  time: string;
  targetArn: string;
  platform: PushPlatform;
  /** The Message parameter as published. */
  message: string;
  /** With MessageStructure json: the entry for the endpoint's platform, parsed; absent when the default text went out. */
  payload?: JsonValue;
}

export type PublishedMessage = PublishedSms | PublishedPush;

/** The key a MessageStructure json message uses for a platform, as in the application ARN. */
type PlatformKey = 'GCM' | 'APNS' | 'APNS_SANDBOX';

export interface PlatformEndpoint {
  arn: string;
  platform: PushPlatform;
  platformKey: PlatformKey;
  /** Enabled, Token, CustomUserData: the strings GetEndpointAttributes returns. */
  attributes: Map<string, string>;
}

/** Everything the local SNS knows; shared by reference so a host can inspect or seed it. */
export interface SnsState {
  /** Empty unless `keepPublished`. */
  published: PublishedMessage[];
  /** Whether accepted messages are kept in `published`: tests read them, a long-running host would only grow. */
  readonly keepPublished: boolean;
  optedOut: Set<string>;
  endpoints: Map<string, PlatformEndpoint>;
  /** The account's send rates for Publish, per kind of target; none: no limit. */
  limits: { sms?: SendRateLimiter; push?: SendRateLimiter };
}

export function createSnsState(options: { keepPublished?: boolean } = {}): SnsState {
  return {
    published: [],
    keepPublished: options.keepPublished ?? true,
    optedOut: new Set(),
    endpoints: new Map(),
    limits: {},
  };
}

function keep(state: SnsState, message: PublishedMessage): void {
  if (state.keepPublished) state.published.push(message);
}

/** An error SNS would answer with; `code` is the Query error code the SDK maps to `<code>Exception`. */
class SnsFault extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function invalidParameter(message: string): SnsFault {
  return new SnsFault('InvalidParameter', 400, message);
}

/**
 * A Publish past the account's rate: the Query code `Throttled`, which the SDK names ThrottledException, at
 * the HTTP 429 the SNS model gives it, with the "Rate exceeded" AWS answers throttled calls with.
 */
function throttled(): SnsFault {
  return new SnsFault('Throttled', 429, 'Rate exceeded');
}

function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') {
    throw invalidParameter(`Invalid parameter: ${name} Reason: no value for required parameter`);
  }
  return value;
}

/** Query maps arrive flattened: `<prefix>.entry.1.<field>`, `<prefix>.entry.2.<field>`, ... */
function entryPrefixes(params: URLSearchParams, prefix: string, keyField: string): string[] {
  const prefixes: string[] = [];
  for (let index = 1; params.has(`${prefix}.entry.${index}.${keyField}`); index += 1) {
    prefixes.push(`${prefix}.entry.${index}`);
  }
  return prefixes;
}

function readAttributes(params: URLSearchParams): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const entry of entryPrefixes(params, 'Attributes', 'key')) {
    attributes.set(params.get(`${entry}.key`) ?? '', params.get(`${entry}.value`) ?? '');
  }
  return attributes;
}

function readMessageAttributes(params: URLSearchParams): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const entry of entryPrefixes(params, 'MessageAttributes', 'Name')) {
    const name = params.get(`${entry}.Name`) ?? '';
    const dataType = params.get(`${entry}.Value.DataType`);
    const value = params.get(`${entry}.Value.StringValue`);
    if (dataType === null || value === null) {
      throw invalidParameter(
        `Invalid parameter: MessageAttributes Reason: ${name} needs a DataType and a StringValue`,
      );
    }
    attributes.set(name, value);
  }
  return attributes;
}

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

function element(name: string, text: string): string {
  return `<${name}>${escapeXml(text)}</${name}>`;
}

function readSmsType(attributes: Map<string, string>): SmsType | undefined {
  const value = attributes.get('AWS.SNS.SMS.SMSType');
  if (value === undefined || value === 'Promotional' || value === 'Transactional') return value;
  throw invalidParameter(
    `Invalid parameter: MessageAttributes Reason: AWS.SNS.SMS.SMSType must be Promotional or Transactional`,
  );
}

function publishSms(state: SnsState, phoneNumber: string, message: string, params: URLSearchParams): string {
  if (!E164.test(phoneNumber)) {
    throw invalidParameter(`Invalid parameter: PhoneNumber Reason: not an E.164 number`);
  }
  const attributes = readMessageAttributes(params);
  const smsType = readSmsType(attributes);
  const messageId = randomUUID();
  // Real SNS accepts a publish to an opted-out number and then delivers nothing.
  if (state.optedOut.has(phoneNumber)) return messageId;
  const originationNumber = attributes.get('AWS.MM.SMS.OriginationNumber');
  const senderId = attributes.get('AWS.SNS.SMS.SenderID');
  keep(state, {
    kind: 'sms',
    messageId,
    time: new Date().toISOString(),
    phoneNumber,
    message,
    ...(smsType === undefined ? {} : { smsType }),
    ...(originationNumber === undefined ? {} : { originationNumber }),
    ...(senderId === undefined ? {} : { senderId }),
  });
  return messageId;
}

function parseJson(text: string, what: string): JsonValue {
  try {
    const parsed: unknown = JSON.parse(text);
    return toJsonValue(parsed);
  } catch {
    throw invalidParameter(`Invalid parameter: Message Reason: ${what} is not valid JSON`);
  }
}

/** What the device gets under MessageStructure json: its platform's entry, parsed, or undefined for the default text. */
function platformPayload(message: string, platformKey: PlatformKey): JsonValue | undefined {
  const structured = parseJson(message, 'a MessageStructure json message');
  if (typeof structured !== 'object' || structured === null || Array.isArray(structured)) {
    throw invalidParameter(
      'Invalid parameter: Message Reason: a MessageStructure json message must be an object',
    );
  }
  if (typeof structured['default'] !== 'string') {
    throw invalidParameter('Invalid parameter: Message Structure - No default entry in JSON message body');
  }
  const entry = structured[platformKey];
  if (entry === undefined) return undefined;
  if (typeof entry !== 'string') {
    throw invalidParameter(
      `Invalid parameter: Message Reason: the ${platformKey} entry must be a JSON string`,
    );
  }
  return parseJson(entry, `the ${platformKey} entry`);
}

function publishPush(state: SnsState, targetArn: string, message: string, params: URLSearchParams): string {
  const endpoint = state.endpoints.get(targetArn);
  if (endpoint === undefined) {
    throw invalidParameter(
      'Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified',
    );
  }
  if (endpoint.attributes.get('Enabled') !== 'true') {
    throw new SnsFault('EndpointDisabled', 400, 'Endpoint is disabled');
  }
  const structure = params.get('MessageStructure');
  if (structure !== null && structure !== 'json') {
    throw invalidParameter('Invalid parameter: MessageStructure Reason: only json is supported');
  }
  const payload = structure === 'json' ? platformPayload(message, endpoint.platformKey) : undefined;
  const messageId = randomUUID();
  keep(state, {
    kind: 'push',
    messageId,
    time: new Date().toISOString(),
    targetArn,
    platform: endpoint.platform,
    message,
    ...(payload === undefined ? {} : { payload }),
  });
  return messageId;
}

function publish(state: SnsState, params: URLSearchParams): string {
  const message = required(params, 'Message');
  if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES) {
    throw invalidParameter('Invalid parameter: Message too long');
  }
  const phoneNumber = params.get('PhoneNumber');
  const targetArn = params.get('TargetArn');
  if (params.has('TopicArn')) {
    throw invalidParameter('Invalid parameter: TopicArn Reason: topics are not supported by the local SNS');
  }
  let messageId: string;
  if (phoneNumber !== null && targetArn === null) {
    messageId = underSendRate(state.limits.sms, throttled, () =>
      publishSms(state, phoneNumber, message, params),
    );
  } else if (targetArn !== null && phoneNumber === null) {
    messageId = underSendRate(state.limits.push, throttled, () =>
      publishPush(state, targetArn, message, params),
    );
  } else {
    throw invalidParameter('Invalid parameter: give exactly one of PhoneNumber or TargetArn');
  }
  return element('MessageId', messageId);
}

/** Real SNS returns the existing endpoint for a token it already knows; a hash of app and token keeps that across restarts too. */
function endpointId(applicationArn: string, token: string): string {
  const hex = createHash('sha256').update(`${applicationArn}\n${token}`).digest('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join(
    '-',
  );
}

function createPlatformEndpoint(state: SnsState, params: URLSearchParams): string {
  const applicationArn = required(params, 'PlatformApplicationArn');
  const token = required(params, 'Token');
  const match = PLATFORM_APPLICATION_ARN.exec(applicationArn);
  const [, partition, region, account, platformKey, application] = match ?? [];
  if (
    partition === undefined ||
    region === undefined ||
    account === undefined ||
    application === undefined ||
    (platformKey !== 'GCM' && platformKey !== 'APNS' && platformKey !== 'APNS_SANDBOX')
  ) {
    throw invalidParameter(
      'Invalid parameter: PlatformApplicationArn Reason: expected arn:aws:sns:<region>:<account>:app/<GCM|APNS|APNS_SANDBOX>/<name>',
    );
  }
  const arn = `arn:${partition}:sns:${region}:${account}:endpoint/${platformKey}/${application}/${endpointId(applicationArn, token)}`;
  if (!state.endpoints.has(arn)) {
    const attributes = new Map([['Enabled', 'true'], ...readAttributes(params), ['Token', token]]);
    const customUserData = params.get('CustomUserData');
    if (customUserData !== null) attributes.set('CustomUserData', customUserData);
    state.endpoints.set(arn, {
      arn,
      platform: platformKey === 'GCM' ? 'fcm' : 'apns',
      platformKey,
      attributes,
    });
  }
  return element('EndpointArn', arn);
}

function existingEndpoint(state: SnsState, params: URLSearchParams): PlatformEndpoint {
  const endpoint = state.endpoints.get(required(params, 'EndpointArn'));
  if (endpoint === undefined) throw new SnsFault('NotFound', 404, 'Endpoint does not exist');
  return endpoint;
}

function setEndpointAttributes(state: SnsState, params: URLSearchParams): undefined {
  const endpoint = existingEndpoint(state, params);
  const attributes = readAttributes(params);
  const enabled = attributes.get('Enabled');
  if (enabled !== undefined && enabled !== 'true' && enabled !== 'false') {
    throw invalidParameter('Invalid parameter: Attributes Reason: Enabled must be true or false');
  }
  for (const [key, value] of attributes) endpoint.attributes.set(key, value);
  return undefined;
}

function getEndpointAttributes(state: SnsState, params: URLSearchParams): string {
  const entries = [...existingEndpoint(state, params).attributes].map(
    ([key, value]) => `<entry>${element('key', key)}${element('value', value)}</entry>`,
  );
  return `<Attributes>${entries.join('')}</Attributes>`;
}

function checkIfPhoneNumberIsOptedOut(state: SnsState, params: URLSearchParams): string {
  return element('isOptedOut', String(state.optedOut.has(required(params, 'phoneNumber'))));
}

function listPhoneNumbersOptedOut(state: SnsState, params: URLSearchParams): string {
  const start = Number(params.get('nextToken') ?? '0');
  if (!Number.isInteger(start) || start < 0) throw invalidParameter('Invalid parameter: nextToken');
  const numbers = [...state.optedOut];
  const page = numbers.slice(start, start + OPTED_OUT_PAGE_SIZE);
  const next =
    start + OPTED_OUT_PAGE_SIZE < numbers.length
      ? element('nextToken', String(start + OPTED_OUT_PAGE_SIZE))
      : '';
  return `<phoneNumbers>${page.map((phone) => element('member', phone)).join('')}</phoneNumbers>${next}`;
}

function optInPhoneNumber(state: SnsState, params: URLSearchParams): string {
  state.optedOut.delete(required(params, 'phoneNumber'));
  return '';
}

/** Each action returns the inside of its `<Action>Result>`, or undefined for actions whose reply has none. */
const ACTIONS = new Map<string, (state: SnsState, params: URLSearchParams) => string | undefined>([
  ['Publish', publish],
  ['CreatePlatformEndpoint', createPlatformEndpoint],
  ['SetEndpointAttributes', setEndpointAttributes],
  ['GetEndpointAttributes', getEndpointAttributes],
  ['CheckIfPhoneNumberIsOptedOut', checkIfPhoneNumberIsOptedOut],
  ['ListPhoneNumbersOptedOut', listPhoneNumbersOptedOut],
  ['OptInPhoneNumber', optInPhoneNumber],
]);

interface Reply {
  status: number;
  xml: string;
}

function answer(state: SnsState, params: URLSearchParams, requestId: string): Reply {
  const action = required(params, 'Action');
  const run = ACTIONS.get(action);
  if (run === undefined) {
    throw invalidParameter(`Invalid parameter: Action Reason: ${action} is not supported by the local SNS`);
  }
  const result = run(state, params);
  const resultXml = result === undefined ? '' : `<${action}Result>${result}</${action}Result>`;
  const metadata = `<ResponseMetadata>${element('RequestId', requestId)}</ResponseMetadata>`;
  return {
    status: 200,
    xml: `<${action}Response xmlns="${SNS_NAMESPACE}">${resultXml}${metadata}</${action}Response>`,
  };
}

function faultReply(fault: SnsFault, requestId: string): Reply {
  const type = fault.status >= 500 ? 'Receiver' : 'Sender';
  const error = `<Error>${element('Type', type)}${element('Code', fault.code)}${element('Message', fault.message)}</Error>`;
  return {
    status: fault.status,
    xml: `<ErrorResponse xmlns="${SNS_NAMESPACE}">${error}${element('RequestId', requestId)}</ErrorResponse>`,
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  try {
    return await readRequestBody(request, MAX_REQUEST_BYTES);
  } catch (error) {
    if (error instanceof RequestBodyTooLarge)
      throw invalidParameter('Invalid parameter: request body too large');
    throw error;
  }
}

/** A request listener for the SNS Query API over `state`. */
export function createSnsHandler(
  state: SnsState,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const requestId = randomUUID();
    const send = ({ status, xml }: Reply): void => {
      response.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': requestId });
      response.end(xml);
    };
    readBody(request)
      .then((body) => {
        // Query also allows GET with the parameters in the query string.
        const query = new URL(request.url ?? '/', 'http://localhost').search;
        send(answer(state, new URLSearchParams(request.method === 'POST' ? body : query), requestId));
      })
      .catch((error: unknown) => {
        const fault =
          error instanceof SnsFault
            ? error
            : new SnsFault('InternalError', 500, 'The local SNS failed unexpectedly');
        send(faultReply(fault, requestId));
      });
  };
}

export interface LocalSns {
  endpoint: string;
  close: () => Promise<void>;
  /** Every message SNS would have delivered, oldest first; publishes to opted-out numbers are not here. */
  published: () => PublishedMessage[];
  /** Forgets published messages; endpoints and opt-outs stay. */
  clear: () => void;
  /** What a reply of STOP does. */
  optOut: (phone: string) => void;
  /** What SNS does when APNs or FCM reports the token invalid. */
  disableEndpoint: (arn: string) => void;
}

export async function startLocalSns(options: { port?: number } = {}): Promise<LocalSns> {
  const state = createSnsState();
  const server = createServer(createSnsHandler(state));
  return {
    endpoint: await listenOnLoopback(server, options.port),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The SDK keeps connections alive; without this close waits for them to time out.
        server.closeAllConnections();
      }),
    published: () => [...state.published],
    clear: () => {
      state.published.length = 0;
    },
    optOut: (phone) => {
      state.optedOut.add(phone);
    },
    disableEndpoint: (arn) => {
      const endpoint = state.endpoints.get(arn);
      if (endpoint === undefined) throw new Error(`No platform endpoint ${arn} in the local SNS`);
      endpoint.attributes.set('Enabled', 'false');
    },
  };
}
