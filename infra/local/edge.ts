/**
 * One endpoint for every AWS API the project uses, so any SDK client works
 * with `endpoint` (or AWS_ENDPOINT_URL) set to it. Requests are routed by the
 * service in their SigV4 credential scope: DynamoDB and SESv2 go on to
 * dynalite and aws-ses-v2-local (their API only), SNS, EventBridge, Step
 * Functions and EventBridge Scheduler are answered here. `/_local/...` is the engine's own API,
 * `/unsubscribe` the links in its emails, anything else unsigned the panel.
 *
 * Whatever a client sends, the edge answers that request and goes on: bad
 * input gets the service's error, a failure inside an AWS-shaped 500, and no
 * answer carries a stack trace or a path on this machine. Like the panel, it
 * serves loopback host names only and takes no change from another site.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { compareTimelineEntries } from '../../shared/customer/history.ts';
import { readHistory } from '../../shared/store/history.ts';
import type { Runtime } from '../../shared/runtime/runtime.ts';
import { parseDuration } from '../../shared/time/duration.ts';
import type { VirtualClock } from './clock.ts';
import { LOCAL_BUS } from './constants.ts';
import type { SupervisedDynamo } from './dynamodb-thread.ts';
import { awsError, type Reply, send } from './edge-reply.ts';
import { forwardToStandIn } from './edge-stand-ins.ts';
import type { LocalEngine } from './engine.ts';
import { publicMessage } from './errors.ts';
import { handleEventBridge, type LocalBus } from './eventbridge.ts';
import { answerOnce, listenOnLoopback, readRequestBody, RequestBodyTooLarge } from './loopback.ts';
import type { Outbox } from './outbox.ts';
import type { PanelHandler } from '../panel/server.ts';
import { describeRefusal, type RequestRefusal, requestRefusal } from './request-guard.ts';
import { createSnsHandler, type SnsState } from './sns.ts';
import { handleStepFunctions } from './stepfunctions.ts';
import { handleScheduler } from './scheduler.ts';
import type { LocalScheduler } from './scheduler-store.ts';
import { type EmailTracking, TRACKING_PATH } from './email-tracking.ts';
import { serveTracking } from './tracking-route.ts';
import { LocalLambda } from './lambda.ts';
import { LocalWhatsapp } from './whatsapp.ts';
import { serveUnsubscribe, UNSUBSCRIBE_PATH, type UnsubscribeFunction } from './unsubscribe-route.ts';

export interface EdgeParts {
  engine: LocalEngine;
  clock: VirtualClock;
  outbox: Outbox;
  runtime: Runtime;
  advanceTo: (target: Date) => Promise<void>;
  /** Browser requests (no AWS signature) go to the panel. */
  panel: PanelHandler;
  /** The unsubscribe function, called for the links in the engine's emails. */
  unsubscribe: UnsubscribeFunction;
  /** The tracked links and open pixels of the engine's emails. */
  tracking: EmailTracking;
  /** EventBridge Scheduler's schedules, fired on the engine's clock. */
  schedules: LocalScheduler;
}

export interface Edge {
  endpoint: string;
  /** The engine comes to life after the edge listens (its clients need the edge's address). */
  attach(parts: EdgeParts): void;
  close(): Promise<void>;
}

export interface EdgeOptions {
  port: number;
  /** dynalite's thread: where DynamoDB requests go, and whether it serves (a restart under way). */
  dynamo: Pick<SupervisedDynamo, 'endpoint' | 'health' | 'whenServing'>;
  sesEndpoint: string;
  sns: SnsState;
}

/** Who a request is for, read from its path and signature before anything else. */
type Route =
  | { kind: 'local-api' }
  | { kind: 'unsubscribe' }
  | { kind: 'tracking' }
  | { kind: 'aws'; service: ServedService }
  /** Signed (or presigned) for a service this endpoint does not serve. */
  | { kind: 'other-service'; service: string | undefined }
  | { kind: 'panel' };

/**
 * Far above any request the APIs answered here take (PutEvents and StartExecution stop at 256 KB), so an
 * oversized call still gets its service's own error; the cap only keeps a runaway client from filling memory.
 */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

export async function createEdge(options: EdgeOptions): Promise<Edge> {
  let parts: EdgeParts | undefined;
  const sns = createSnsHandler(options.sns);
  // The account is settings.json as the engine runs it, read when a request comes.
  const whatsapp = new LocalWhatsapp(() => parts?.runtime.project.settings.senders.whatsapp);
  const lambda = new LocalLambda(() => parts?.runtime.project.settings.functions ?? {});
  const server = createServer((request, response) => {
    // Whatever answers below, a second answer to one request must not throw from a callback.
    answerOnce(response);
    handle(request, response).catch((error: unknown) => {
      if (error instanceof RequestBodyTooLarge) {
        send(response, awsError(413, 'RequestEntityTooLarge', error.message));
        return;
      }
      // Nothing a request does may take the engine down: answer as AWS answers an internal error.
      send(response, awsError(500, 'InternalFailure', publicMessage(error)));
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = requestUrl(request);
    if (url === undefined) {
      send(response, {
        status: 400,
        body: { message: 'The request target is not a path this endpoint can read.' },
      });
      return;
    }
    const route = routeOf(request, url);
    // The panel applies the same rules itself, in its own words, wherever it is mounted. The unsubscribe link
    // needs no exception: opening it is a GET (a top-level navigation from a mail page), its page's button
    // posts from the same origin, and a mailbox provider's one-click POST (RFC 8058) comes from its servers,
    // with no Origin. Only a page on another site posting through a visitor's browser is refused.
    const refusal = route.kind === 'panel' ? undefined : requestRefusal(request);
    if (refusal !== undefined) {
      send(response, refusalReply(route, refusal));
      return;
    }
    if (parts === undefined) {
      send(
        response,
        awsError(503, 'ServiceUnavailable', 'The local engine is still starting; try again in a moment.'),
      );
      return;
    }
    const running = parts;
    switch (route.kind) {
      case 'local-api':
        send(response, await localApi(running, options.dynamo, request, url, await readBody(request)));
        return;
      case 'unsubscribe':
        await serveUnsubscribe(running.unsubscribe, request, response, url, await readBody(request));
        return;
      case 'tracking':
        request.resume();
        await serveTracking(running.tracking, running.outbox, request, response, url);
        return;
      case 'panel':
        await running.panel(request, response);
        return;
      case 'other-service':
        send(
          response,
          awsError(
            400,
            'UnrecognizedClientException',
            `This endpoint serves ${SERVED_SERVICES.join(', ')}; the request was signed for ${route.service ?? 'no service'}.`,
          ),
        );
        return;
      case 'aws':
        await answerAws(running, route.service, request, response, url);
        return;
      default: {
        const unreachable: never = route;
        throw new Error(`Unknown route ${JSON.stringify(unreachable)}`);
      }
    }
  }

  async function answerAws(
    running: EdgeParts,
    service: Extract<Route, { kind: 'aws' }>['service'],
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
  ): Promise<void> {
    switch (service) {
      case 'dynamodb':
      case 'ses': {
        const answer =
          service === 'dynamodb'
            ? await forwardToStandIn(
                service,
                request,
                url,
                options.dynamo.endpoint,
                options.dynamo.whenServing,
              )
            : await forwardToStandIn(service, request, url, options.sesEndpoint);
        if (answer.kind === 'reply') {
          send(response, answer.reply);
          return;
        }
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body);
        return;
      }
      case 'sns':
        sns(request, response);
        return;
      case 'events':
        send(response, await handleEventBridge(operationOf(request), await readBody(request), bus(running)));
        return;
      case 'states':
        send(response, {
          ...handleStepFunctions(operationOf(request), await readBody(request), running.engine),
          headers: { 'content-type': 'application/x-amz-json-1.0' },
        });
        return;
      case 'scheduler':
        send(response, await handleScheduler(request, url, running.schedules));
        return;
      case 'social-messaging':
        send(response, whatsapp.handle(request.method ?? 'GET', url.pathname, await readBody(request)));
        return;
      case 'lambda': {
        const invocationType = request.headers['x-amz-invocation-type'];
        send(
          response,
          lambda.handle(
            request.method ?? 'GET',
            url.pathname,
            await readBody(request),
            typeof invocationType === 'string' ? invocationType : undefined,
          ),
        );
        return;
      }
      default: {
        const unreachable: never = service;
        throw new Error(`Unknown service ${String(unreachable)}`);
      }
    }
  }

  const endpoint = await listenOnLoopback(server, options.port);
  return {
    endpoint,
    attach(next) {
      parts = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The request's path and query; undefined when its target is no URL at all. */
function requestUrl(request: IncomingMessage): URL | undefined {
  try {
    return new URL(request.url ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

const SERVED_SERVICES = [
  'dynamodb',
  'ses',
  'sns',
  'events',
  'states',
  'scheduler',
  'social-messaging',
  'lambda',
] as const;
type ServedService = (typeof SERVED_SERVICES)[number];

function isServedService(service: string): service is ServedService {
  return SERVED_SERVICES.some((served) => served === service);
}

function routeOf(request: IncomingMessage, url: URL): Route {
  if (url.pathname.startsWith('/_local/')) return { kind: 'local-api' };
  const service = signedService(request.headers.authorization);
  if (service !== undefined && isServedService(service)) return { kind: 'aws', service };
  // A browser sends no AWS signature at all; a signature this edge cannot read still gets an AWS error.
  if (request.headers.authorization !== undefined || url.searchParams.has('X-Amz-Credential')) {
    return { kind: 'other-service', service };
  }
  if (url.pathname === UNSUBSCRIBE_PATH) return { kind: 'unsubscribe' };
  if (url.pathname.startsWith(TRACKING_PATH)) return { kind: 'tracking' };
  return { kind: 'panel' };
}

/** A refusal in the terms of whoever the request was for: an AWS error for an SDK, a sentence otherwise. */
function refusalReply(route: Route, refusal: RequestRefusal): Reply {
  const message = describeRefusal(refusal, 'The local engine');
  switch (route.kind) {
    case 'aws':
    case 'other-service':
      return awsError(403, 'AccessDeniedException', message);
    case 'local-api':
      return { status: 403, body: { message } };
    case 'unsubscribe':
    case 'tracking':
    case 'panel':
      return { status: 403, body: message };
    default: {
      const unreachable: never = route;
      return { status: 403, body: String(unreachable) };
    }
  }
}

async function localApi(
  running: EdgeParts,
  dynamo: EdgeOptions['dynamo'],
  request: IncomingMessage,
  url: URL,
  body: string,
): Promise<Reply> {
  const path = url.pathname;
  if (request.method === 'GET' && path === '/_local/health') {
    const store = dynamo.health();
    return {
      status: 200,
      body: {
        // Not ok while the store is being restarted: what is routed meanwhile may end as a dead letter.
        ok: store.state === 'serving',
        store,
        journeys: running.engine.journeyIds(),
        now: running.clock.now().toISOString(),
        // Accepted and not yet routed, and routed to a target that kept failing (kept in intake/dead-letters.jsonl).
        routingBacklog: running.engine.routingBacklog(),
        deadLetters: running.engine.deadLetters,
        // One-time schedules waiting to fire, and those given up on since this start (scheduler/dead-letters.jsonl).
        schedules: { pending: running.schedules.pending(), deadLetters: running.schedules.deadLetters },
      },
    };
  }
  if (path === '/_local/clock') {
    if (request.method === 'POST') {
      const target = clockTarget(body, running.clock.now());
      if (typeof target === 'string') return { status: 400, body: { message: target } };
      await running.advanceTo(target);
    }
    return { status: 200, body: { now: running.clock.now().toISOString(), mode: running.clock.mode } };
  }
  if (request.method === 'GET' && path === '/_local/outbox') {
    const filter = {
      ...optional('customerId', url.searchParams.get('customerId')),
      ...optional('channel', url.searchParams.get('channel')),
      ...optional('journeyId', url.searchParams.get('journeyId')),
    };
    return { status: 200, body: { messages: running.outbox.list(filter) } };
  }
  const timeline = /^\/_local\/customers\/([^/]+)\/timeline$/.exec(path);
  if (request.method === 'GET' && timeline?.[1] !== undefined) {
    const customerId = pathSegment(timeline[1]);
    if (customerId === undefined) {
      return {
        status: 400,
        body: {
          message: `The customer id in ${shorten(path)} has a broken %-escape; encode it with encodeURIComponent.`,
        },
      };
    }
    return { status: 200, body: { customerId, entries: await customerTimeline(running, customerId) } };
  }
  return { status: 404, body: { message: `No local API at ${request.method ?? 'GET'} ${shorten(path)}` } };
}

/** A path segment decoded, or undefined when its %-escapes do not make text. */
function pathSegment(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function shorten(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** Everything about one customer, in time order: events, messages, skipped messages, journey steps. */
export async function customerTimeline(
  parts: Pick<EdgeParts, 'runtime' | 'engine'>,
  customerId: string,
): Promise<Record<string, unknown>[]> {
  const history = await readHistory(
    parts.runtime.store,
    customerId,
    '1970-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z',
  );
  const entries: Record<string, unknown>[] = history.map(({ entry }) => ({ ...entry }));
  for (const execution of parts.engine.listExecutions()) {
    if (execution.customerId !== customerId) continue;
    for (const step of execution.steps) {
      // Journey steps only: the compiler's own states are named with a dot (remind.outcome, Waymark.Enter).
      if (step.event !== 'entered' || step.state.includes('.')) continue;
      entries.push({
        kind: 'step',
        time: step.time,
        journeyId: execution.journeyId,
        executionId: execution.executionArn,
        stepId: step.state,
      });
    }
  }
  // Within one instant (a frozen clock makes many), the order things happen in a journey.
  return entries.sort((a, b) =>
    compareTimelineEntries(
      { time: String(a.time), kind: String(a.kind), action: a.action },
      { time: String(b.time), kind: String(b.kind), action: b.action },
    ),
  );
}

function bus(parts: EdgeParts): LocalBus {
  return {
    name: LOCAL_BUS,
    rules: () => parts.engine.rules(),
    now: parts.clock.now,
    newEventId: randomUUID,
    publish: (event) => parts.engine.publish(event),
  };
}

function clockTarget(body: string, now: Date): Date | string {
  let request: unknown;
  try {
    request = JSON.parse(body === '' ? '{}' : body);
  } catch {
    return 'The body is not JSON: send {"to": "<ISO time>"} or {"by": "2h"}.';
  }
  if (typeof request !== 'object' || request === null) return 'Send {"to": "<ISO time>"} or {"by": "2h"}.';
  if ('to' in request && typeof request.to === 'string') {
    const to = Date.parse(request.to);
    if (Number.isNaN(to)) return `"to" is not a time: ${request.to}`;
    if (to < now.getTime()) return 'The clock only moves forward.';
    return new Date(to);
  }
  if ('by' in request && typeof request.by === 'string') {
    const parsed = parseDuration(request.by);
    if (!parsed.ok) return parsed.message;
    return new Date(now.getTime() + parsed.seconds * 1000);
  }
  // {}: move nowhere, but answer once everything already due has happened.
  if (Object.keys(request).length === 0) return now;
  return 'Send {"to": "<ISO time>"} or {"by": "2h"}, or {} to let what is due happen.';
}

/** The service in `Credential=<key>/<date>/<region>/<service>/aws4_request`. */
function signedService(authorization: string | undefined): string | undefined {
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization ?? '')?.[1];
}

function operationOf(request: IncomingMessage): string {
  const target = request.headers['x-amz-target'];
  const value = Array.isArray(target) ? target[0] : target;
  return value?.split('.').at(-1) ?? '';
}

function readBody(request: IncomingMessage): Promise<string> {
  return readRequestBody(request, MAX_REQUEST_BYTES);
}

function optional(name: string, value: string | null): Record<string, string> {
  return value === null || value === '' ? {} : { [name]: value };
}
