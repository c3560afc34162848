/**
 * How the edge writes an answer it makes itself: JSON with AWS's error shape (`__type` in the body and
 * `x-amzn-errortype`, which the SDKs read to name the exception), or plain text.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

export type Reply = { status: number; body: unknown; headers?: Record<string, string> };

/** An AWS error: the SDK raises it as an exception named `type` with this message. */
export function awsError(status: number, type: string, message: string): Reply {
  return { status, body: { __type: type, message } };
}

export function send(response: ServerResponse, reply: Reply): void {
  if (response.headersSent) {
    // Too late to say what went wrong: cut the answer off so the client sees a failure, not a short answer.
    if (!response.writableEnded) response.destroy();
    return;
  }
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
