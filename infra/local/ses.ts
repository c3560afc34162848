/**
 * SESv2 on one machine: aws-ses-v2-local on loopback. It keeps sent mail in
 * module memory and lists it at `GET /store`, a route the edge does not forward.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { isRecord } from '../../shared/json.ts';
import { answerOnce } from './loopback.ts';

export interface LocalSes {
  endpoint: string;
  close: () => Promise<void>;
}

type ServerFactory = (config: { host: string; port: number }) => Promise<Server>;

function isServerFactory(value: unknown): value is ServerFactory {
  return typeof value === 'function';
}

export async function startLocalSes(port = 0): Promise<LocalSes> {
  // require, not import: Node's ESM loader and vitest disagree on what a CommonJS default export is.
  const required: unknown = createRequire(import.meta.url)('aws-ses-v2-local');
  const factory = isRecord(required) ? required.default : undefined;
  if (!isServerFactory(factory)) throw new Error('aws-ses-v2-local no longer exports a server factory');
  const server = await factory({ host: '127.0.0.1', port });
  // Its handlers answer some requests twice (/get-emlContent with an unknown id); the edge forwards only
  // the SESv2 API, but whatever reaches the stand-in must not be able to end the process.
  server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) =>
    answerOnce(response),
  );
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  const actual =
    typeof address === 'object' && address !== null ? (address satisfies AddressInfo).port : port;
  return {
    endpoint: `http://127.0.0.1:${actual}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
