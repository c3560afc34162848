import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** Listens on 127.0.0.1 (port 0: any free port) and answers the endpoint URL the SDK clients use. */
export async function listenOnLoopback(server: Server, port = 0): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  return `http://127.0.0.1:${actual}`;
}

/** A request body over the limit `readRequestBody` was given; each server answers it in its own API's terms. */
export class RequestBodyTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`The request body is larger than ${maxBytes} bytes.`);
  }
}

/**
 * The whole body as UTF-8 text. Past `maxBytes` the rest is read but not kept, so a runaway client cannot
 * fill the engine's memory, and the promise rejects with RequestBodyTooLarge once the request ends.
 */
export function readRequestBody(request: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > maxBytes) reject(new RequestBodyTooLarge(maxBytes));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
  });
}

/**
 * Makes every answer after the first a no-op: a handler that answers twice (aws-ses-v2-local's
 * `/get-emlContent` does) would otherwise throw ERR_HTTP_HEADERS_SENT from a callback, or have Node emit an
 * unheard 'error' for a write after the end, and either one ends the whole process. Call it before any
 * handler sees the response.
 */
export function answerOnce(response: ServerResponse): void {
  const setHeader = response.setHeader.bind(response);
  const writeHead = response.writeHead.bind(response);
  const write = response.write.bind(response);
  const end = response.end.bind(response);
  const late = (): boolean => response.headersSent || response.writableEnded;
  // defineProperty, not assignment: the methods are overloaded, and each stand-in keeps its own copy.
  Object.defineProperty(response, 'setHeader', {
    configurable: true,
    writable: true,
    value: (...args: unknown[]) => {
      if (!response.headersSent) Reflect.apply(setHeader, undefined, args);
      return response;
    },
  });
  Object.defineProperty(response, 'writeHead', {
    configurable: true,
    writable: true,
    value: (...args: unknown[]) => {
      if (!late()) Reflect.apply(writeHead, undefined, args);
      return response;
    },
  });
  Object.defineProperty(response, 'write', {
    configurable: true,
    writable: true,
    value: (...args: unknown[]): boolean =>
      response.writableEnded ? false : Boolean(Reflect.apply(write, undefined, args)),
  });
  Object.defineProperty(response, 'end', {
    configurable: true,
    writable: true,
    value: (...args: unknown[]) => {
      if (!response.writableEnded) Reflect.apply(end, undefined, args);
      return response;
    },
  });
  // Whatever still goes wrong with one answer (the client gone mid-write) concerns that answer only.
  response.on('error', () => undefined);
}
