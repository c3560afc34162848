/**
 * The edge's way to the two stand-ins that run as servers of their own: dynalite for DynamoDB and
 * aws-ses-v2-local for SESv2. Only their AWS API goes through (a stand-in's own routes, such as
 * aws-ses-v2-local's `/store` with every email sent, stay unreachable), a request that would break the
 * stand-in is refused first, and whatever the stand-in answers reaches the client as AWS would answer: an
 * AWS error with a type, never a stand-in's HTML page with a stack trace and the paths of this machine.
 */
import { type IncomingHttpHeaders, type IncomingMessage, request as httpRequest } from 'node:http';
import { isRecord } from '../../shared/json.ts';
import { dynamoBodyRefusal } from './dynamo-body-guard.ts';
import { type Reply, awsError } from './edge-reply.ts';
import { publicMessage, publicText } from './errors.ts';
import { parseJsonText } from './json-file.ts';
import { jsonNestingDepth } from './json-guard.ts';
import { readRequestBody } from './loopback.ts';

export type StandIn = 'dynamodb' | 'ses';

/** An answer to hand on: a stand-in's as it came, or one the edge made in AWS's shape. */
export type StandInAnswer =
  | { kind: 'as-is'; status: number; headers: Record<string, string | string[]>; body: Buffer }
  | { kind: 'reply'; reply: Reply };

/** The largest DynamoDB request is a BatchWriteItem of 16 MB. */
const DYNAMO_MAX_REQUEST_BYTES = 16 * 1024 * 1024;
/** aws-ses-v2-local reads JSON bodies up to 25 MB; past that it would answer with an HTML page. */
const SES_MAX_REQUEST_BYTES = 25 * 1024 * 1024;
/**
 * How deep a DynamoDB request's JSON may nest. DynamoDB keeps 32 levels of nested attributes, two JSON levels
 * each ({"M": {"a": …}}), inside a few levels of request (TransactItems[].Put.Item): about 72 at most. Far
 * deeper, dynalite runs out of stack in a callback and takes the whole process down.
 */
const DYNAMO_MAX_JSON_DEPTH = 100;
/** An SESv2 request is a few levels deep; this keeps the stand-in's validators clear of a runaway nesting. */
const SES_MAX_JSON_DEPTH = 100;
/** A stand-in that has not answered by then never will (a handler that failed without answering). */
const STAND_IN_TIMEOUT_MS = 60_000;
/** How long a request waits for a stand-in being restarted before it is answered with an error. */
const STAND_IN_RESTART_WAIT_MS = 15_000;

/**
 * Resolves true once the stand-in serves (at once if it does), false if it does not within `timeoutMs`: a
 * supervised stand-in that is being restarted.
 */
export type WhenServing = (timeoutMs: number) => Promise<boolean>;

const DYNAMO_TARGET_PREFIX = 'DynamoDB_20120810.';
const SES_API_PATH = /^\/v2\/email\//;

/**
 * Answers one request signed for a stand-in's service. `pathname` is the request's path as the URL parser
 * left it (dot segments resolved), which is also the path forwarded, so `/v2/email/../../store` is `/store`.
 * With `whenServing`, a request the stand-in refused to connect (it is being restarted) waits for it and is
 * sent once more: it never reached the stand-in, so sending it again cannot do anything twice.
 */
export async function forwardToStandIn(
  standIn: StandIn,
  request: IncomingMessage,
  url: URL,
  endpoint: string,
  whenServing?: WhenServing,
): Promise<StandInAnswer> {
  switch (standIn) {
    case 'dynamodb':
      return forwardToDynamo(request, url, endpoint, whenServing);
    case 'ses':
      return forwardToSes(request, url, endpoint);
    default: {
      const unreachable: never = standIn;
      throw new Error(`No stand-in for ${String(unreachable)}`);
    }
  }
}

async function forwardToDynamo(
  request: IncomingMessage,
  url: URL,
  endpoint: string,
  whenServing: WhenServing | undefined,
): Promise<StandInAnswer> {
  if (request.method !== 'POST' || url.pathname !== '/') {
    return refused(
      awsError(
        404,
        'UnknownOperationException',
        `The local engine serves DynamoDB's API only (POST / with X-Amz-Target ${DYNAMO_TARGET_PREFIX}<Operation>), not ${describe(request, url)}.`,
      ),
    );
  }
  const target = headerValue(request.headers, 'x-amz-target') ?? '';
  if (!target.startsWith(DYNAMO_TARGET_PREFIX) || target.length === DYNAMO_TARGET_PREFIX.length) {
    return refused(
      awsError(
        400,
        'UnknownOperationException',
        `X-Amz-Target must name a DynamoDB operation (${DYNAMO_TARGET_PREFIX}<Operation>), not "${target.slice(0, 80)}".`,
      ),
    );
  }
  const body = await readRequestBody(request, DYNAMO_MAX_REQUEST_BYTES);
  if (jsonNestingDepth(body, DYNAMO_MAX_JSON_DEPTH) > DYNAMO_MAX_JSON_DEPTH) {
    // AWS's own words for an item nested past its 32 levels.
    return refused(awsError(400, 'ValidationException', 'Nesting Levels have exceeded supported limits'));
  }
  const refusal = dynamoBodyRefusal(body);
  if (refusal !== undefined) return refused(refusal);
  return exchange('DynamoDB', request, url, endpoint, body, (status) => typeByStatus(status), whenServing);
}

async function forwardToSes(request: IncomingMessage, url: URL, endpoint: string): Promise<StandInAnswer> {
  if (!SES_API_PATH.test(url.pathname)) {
    return refused(
      awsError(
        404,
        'UnknownOperationException',
        `The local engine serves the SESv2 API only (/v2/email/...), not ${describe(request, url)}.`,
      ),
    );
  }
  const body = await readRequestBody(request, SES_MAX_REQUEST_BYTES);
  const problem = body.trim() === '' ? undefined : sesBodyProblem(body);
  // aws-ses-v2-local answers these with Express's HTML error page, a stack trace with this machine's paths.
  if (problem !== undefined) return refused(awsError(400, 'BadRequestException', problem));
  return exchange('SES', request, url, endpoint, body, (status) =>
    status === 400 ? 'BadRequestException' : typeByStatus(status),
  );
}

function sesBodyProblem(body: string): string | undefined {
  if (jsonNestingDepth(body, SES_MAX_JSON_DEPTH) > SES_MAX_JSON_DEPTH) {
    return `The request body nests deeper than ${SES_MAX_JSON_DEPTH} levels.`;
  }
  try {
    const parsed: unknown = JSON.parse(body);
    return isRecord(parsed) ? undefined : 'The request body must be a JSON object.';
  } catch (error) {
    return `The request body is not valid JSON: ${publicMessage(error)}`;
  }
}

/** The error type AWS gives a status when the stand-in names none. */
function typeByStatus(status: number): string {
  if (status === 404) return 'NotFoundException';
  if (status === 413) return 'RequestEntityTooLarge';
  if (status === 429) return 'TooManyRequestsException';
  if (status >= 500) return 'InternalFailure';
  return 'BadRequestException';
}

/** Sends the request on with its (already read) body and reads the whole answer; never rejects. */
async function exchange(
  service: 'DynamoDB' | 'SES',
  request: IncomingMessage,
  url: URL,
  endpoint: string,
  body: string,
  errorType: (status: number) => string,
  whenServing?: WhenServing,
): Promise<StandInAnswer> {
  const payload = Buffer.from(body, 'utf8');
  const headers: IncomingHttpHeaders = { ...request.headers, 'content-length': String(payload.length) };
  delete headers['transfer-encoding'];
  delete headers.connection;
  // Only the path and query go on: an absolute URL in the request must not point the edge elsewhere.
  const target = new URL(`${url.pathname}${url.search}`, endpoint);
  const send = (): ReturnType<typeof roundTrip> =>
    roundTrip(target, request.method ?? 'GET', headers, payload);
  let answer: { status: number; headers: IncomingHttpHeaders; body: Buffer };
  try {
    answer = await send().catch(async (error: unknown) => {
      if (whenServing === undefined || !connectionRefused(error)) throw error;
      if (!(await whenServing(STAND_IN_RESTART_WAIT_MS))) throw new Error('it is being restarted');
      return send();
    });
  } catch (error) {
    return refused(
      awsError(
        500,
        'InternalFailure',
        `The local ${service} stand-in failed on this request: ${publicMessage(error)}`,
      ),
    );
  }
  if (answer.status < 400 || hasAwsErrorShape(answer.body)) {
    return { kind: 'as-is', status: answer.status, headers: passedOn(answer.headers), body: answer.body };
  }
  return refused(standInError(service, answer, errorType(answer.status)));
}

/** A stand-in's error that names no AWS type: its message kept if it has one, anything else replaced. */
function standInError(
  service: 'DynamoDB' | 'SES',
  answer: { status: number; headers: IncomingHttpHeaders; body: Buffer },
  fallbackType: string,
): Reply {
  const parsed = parseJsonText(answer.body.toString('utf8'));
  const status = answer.status >= 500 ? 500 : answer.status;
  if (!isRecord(parsed)) {
    // HTML, XML or text: a stack trace or an internal page, never for the client's eyes.
    return awsError(
      status,
      fallbackType,
      status >= 500
        ? `The local ${service} stand-in failed on this request.`
        : `The local ${service} stand-in refused the request (HTTP ${answer.status}).`,
    );
  }
  // aws-ses-v2-local says "Bad Request Exception" in `message` and what was wrong in `detail`.
  const type =
    typeof parsed.type === 'string' ? parsed.type : headerValue(answer.headers, 'x-amzn-errortype');
  const message = [parsed.detail, parsed.message].find((value) => typeof value === 'string');
  return awsError(
    status,
    type ?? fallbackType,
    publicText(message ?? `The local ${service} stand-in refused the request.`),
  );
}

/** A JSON error body with `__type`, as dynalite and AWS write them: the SDK reads it as it is. */
function hasAwsErrorShape(body: Buffer): boolean {
  const parsed = parseJsonText(body.toString('utf8'));
  return isRecord(parsed) && typeof parsed.__type === 'string';
}

/** The stand-in's headers, but those that describe the connection, which the edge's own server sets. */
function passedOn(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    kept[name] = value;
  }
  return kept;
}

const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
]);

function roundTrip(
  target: URL,
  method: string,
  headers: IncomingHttpHeaders,
  payload: Buffer,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(target, { method, headers, timeout: STAND_IN_TIMEOUT_MS }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () =>
        resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(chunks) }),
      );
      answer.on('error', reject);
    });
    upstream.on('timeout', () => upstream.destroy(new Error('it did not answer in time')));
    upstream.on('error', reject);
    upstream.end(payload);
  });
}

/** The stand-in was not listening: the request never reached it. */
function connectionRefused(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ECONNREFUSED';
}

function refused(reply: Reply): StandInAnswer {
  return { kind: 'reply', reply };
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function describe(request: IncomingMessage, url: URL): string {
  const path = url.pathname.length > 80 ? `${url.pathname.slice(0, 80)}…` : url.pathname;
  return `${request.method ?? 'GET'} ${path}`;
}
