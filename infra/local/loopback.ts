import type { IncomingMessage, Server } from 'node:http';

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
