/**
 * The unsubscribe link of a local email, served by the real unsubscribe function (functions/unsubscribe)
 * as a Lambda function URL serves it on AWS: the Node request becomes the function URL event, the result
 * becomes the HTTP answer. So a link in the outbox works on this machine, page, button and one-click POST.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';

export type UnsubscribeFunction = (
  event: LambdaFunctionURLEvent,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** Where the edge serves the link, and so what `npm start` makes the links in its emails point to. */
export const UNSUBSCRIBE_PATH = '/unsubscribe';

/**
 * The unsubscribe base URL of a local engine: the edge's own `/unsubscribe`, so the links it sends work
 * here; the address in settings.json belongs to a deployed stage and would point local clicks at it. A
 * stage's override (WAYMARK_UNSUBSCRIBE_BASE_URL, as the deployed functions read it) still wins, for one who
 * serves the links elsewhere.
 */
export function localUnsubscribeBaseUrl(endpoint: string, override: string | undefined): string {
  if (override === undefined || override === '') return `${endpoint}${UNSUBSCRIBE_PATH}`;
  if (!URL.canParse(override)) {
    throw new Error(
      `WAYMARK_UNSUBSCRIBE_BASE_URL is not a URL: "${override}". Unset it to use ${endpoint}${UNSUBSCRIBE_PATH}.`,
    );
  }
  return override;
}

/**
 * Calls the function for one request and writes its answer. Its body is handed on as text: the two bodies
 * the function reads (its page's form, a one-click `List-Unsubscribe=One-Click`) are text, as a function URL
 * hands them on too. A failing function gets the answer a function URL gives, without details.
 */
export async function serveUnsubscribe(
  unsubscribe: UnsubscribeFunction,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  body: string,
): Promise<void> {
  let result: APIGatewayProxyStructuredResultV2;
  try {
    result = await unsubscribe(functionUrlEvent(request, url, body));
  } catch {
    response.writeHead(502, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ Message: 'Internal Server Error' }));
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies !== undefined && result.cookies.length > 0) headers['set-cookie'] = result.cookies;
  const text = result.body ?? '';
  response.writeHead(result.statusCode ?? 200, headers);
  response.end(result.isBase64Encoded === true ? Buffer.from(text, 'base64') : text);
}

/** The event a Lambda function URL would make of this request (payload format 2.0). */
export function functionUrlEvent(request: IncomingMessage, url: URL, body: string): LambdaFunctionURLEvent {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const name of new Set(url.searchParams.keys())) query[name] = url.searchParams.getAll(name).join(',');
  const host = headers.host ?? 'localhost';
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(headers.cookie === undefined ? {} : { cookies: headers.cookie.split(/;\s*/) }),
    headers,
    ...(url.search === '' ? {} : { queryStringParameters: query }),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body === '' ? {} : { body }),
    isBase64Encoded: false,
  };
}
