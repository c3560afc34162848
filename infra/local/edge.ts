/**
 * One endpoint for every AWS API the project uses, so any SDK client works
 * with `endpoint` (or AWS_ENDPOINT_URL) set to it. Requests are routed by the
 * service in their SigV4 credential scope: DynamoDB and SESv2 go on to
 * dynalite and aws-ses-v2-local, SNS, EventBridge and Step Functions are
 * answered here. `/_local/...` is the engine's own API.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, request as httpRequest, type ServerResponse } from 'node:http';
import { compareTimelineEntries } from '../../shared/customer/history.ts';
import { readHistory } from '../../shared/store/history.ts';
import type { Runtime } from '../../shared/runtime/runtime.ts';
import { parseDuration } from '../../shared/time/duration.ts';
import type { VirtualClock } from './clock.ts';
import { LOCAL_BUS } from './constants.ts';
import type { LocalEngine } from './engine.ts';
import { errorMessage } from './errors.ts';
import { handleEventBridge, type LocalBus } from './eventbridge.ts';
import { listenOnLoopback, readRequestBody, RequestBodyTooLarge } from './loopback.ts';
import type { Outbox } from './outbox.ts';
import type { PanelHandler } from '../panel/server.ts';
import { createSnsHandler, type SnsState } from './sns.ts';
import { handleStepFunctions } from './stepfunctions.ts';

export interface EdgeParts {
  engine: LocalEngine;
  clock: VirtualClock;
  outbox: Outbox;
  runtime: Runtime;
  advanceTo: (target: Date) => Promise<void>;
  /** Browser requests (no AWS signature) go to the panel. */
  panel: PanelHandler;
}

export interface Edge {
  endpoint: string;
  /** The engine comes to life after the edge listens (its clients need the edge's address). */
  attach(parts: EdgeParts): void;
  close(): Promise<void>;
}

export interface EdgeOptions {
  port: number;
  dynamoEndpoint: string;
  sesEndpoint: string;
  sns: SnsState;
}

type Reply = { status: number; body: unknown; headers?: Record<string, string> };

/**
 * Far above any request the APIs answered here take (PutEvents and StartExecution stop at 256 KB), so an
 * oversized call still gets its service's own error; the cap only keeps a runaway client from filling memory.
 */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

export async function createEdge(options: EdgeOptions): Promise<Edge> {
  let parts: EdgeParts | undefined;
  const sns = createSnsHandler(options.sns);
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof RequestBodyTooLarge) {
        send(response, { status: 413, body: { __type: 'RequestEntityTooLarge', message: error.message } });
        return;
      }
      // Nothing a request does may take the engine down: answer as AWS answers an internal error.
      send(response, { status: 500, body: { __type: 'InternalFailure', message: errorMessage(error) } });
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/_local/')) {
      send(response, await localApi(request, url, await readBody(request)));
      return;
    }
    const service = signedService(request.headers.authorization);
    switch (service) {
      case 'dynamodb':
        proxy(request, response, options.dynamoEndpoint);
        return;
      case 'ses':
        proxy(request, response, options.sesEndpoint);
        return;
      case 'sns':
        sns(request, response);
        return;
      case 'events': {
        const running = attached();
        send(response, await handleEventBridge(operationOf(request), await readBody(request), bus(running)));
        return;
      }
      case 'states':
        send(response, {
          ...handleStepFunctions(operationOf(request), await readBody(request), attached().engine),
          headers: { 'content-type': 'application/x-amz-json-1.0' },
        });
        return;
      default:
        // A browser sends no AWS signature at all; a signature this edge cannot read still gets an AWS error.
        if (request.headers.authorization === undefined && !url.searchParams.has('X-Amz-Credential')) {
          await attached().panel(request, response);
          return;
        }
        send(response, {
          status: 400,
          body: {
            __type: 'UnrecognizedClientException',
            message: `This endpoint serves dynamodb, ses, sns, events and states; the request was signed for ${service ?? 'no service'}.`,
          },
        });
    }
  }

  function attached(): EdgeParts {
    if (parts === undefined) throw new Error('The local engine is still starting');
    return parts;
  }

  async function localApi(request: IncomingMessage, url: URL, body: string): Promise<Reply> {
    const running = attached();
    const path = url.pathname;
    if (request.method === 'GET' && path === '/_local/health') {
      return {
        status: 200,
        body: { ok: true, journeys: running.engine.journeyIds(), now: running.clock.now().toISOString() },
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
      const customerId = decodeURIComponent(timeline[1]);
      return { status: 200, body: { customerId, entries: await customerTimeline(running, customerId) } };
    }
    return { status: 404, body: { message: `No local API at ${request.method ?? 'GET'} ${path}` } };
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

function proxy(request: IncomingMessage, response: ServerResponse, target: string): void {
  // Only the path and query go on: an absolute URL in the request must not point the proxy elsewhere.
  const incoming = new URL(request.url ?? '/', 'http://localhost');
  const url = new URL(`${incoming.pathname}${incoming.search}`, target);
  const upstream = httpRequest(url, { method: request.method, headers: request.headers }, (answer) => {
    const headers = { ...answer.headers };
    // aws-ses-v2-local's errors carry no type, which the SDK would report as "Unknown".
    if ((answer.statusCode ?? 200) >= 400 && headers['x-amzn-errortype'] === undefined) {
      headers['x-amzn-errortype'] = 'BadRequestException';
    }
    response.writeHead(answer.statusCode ?? 502, headers);
    answer.pipe(response);
    // A stand-in that breaks off mid-answer must not leave the client waiting for ever.
    answer.on('error', () => response.destroy());
  });
  upstream.on('error', (error) => {
    send(response, { status: 502, body: { __type: 'ServiceUnavailable', message: errorMessage(error) } });
  });
  request.pipe(upstream);
}

function readBody(request: IncomingMessage): Promise<string> {
  return readRequestBody(request, MAX_REQUEST_BYTES);
}

function send(response: ServerResponse, reply: Reply): void {
  if (response.headersSent) return;
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  const type = typeof reply.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  const errorType =
    reply.status >= 400 && typeof reply.body === 'object' && reply.body !== null && '__type' in reply.body
      ? { 'x-amzn-errortype': String(reply.body.__type) }
      : {};
  response.writeHead(reply.status, {
    'content-type': type,
    'x-amzn-requestid': randomUUID(),
    ...errorType,
    ...reply.headers,
  });
  response.end(text);
}

function optional(name: string, value: string | null): Record<string, string> {
  return value === null || value === '' ? {} : { [name]: value };
}
