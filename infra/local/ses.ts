/**
 * SESv2 on one machine: aws-ses-v2-local on loopback. It keeps sent mail in
 * module memory and lists it at `GET /store`, a route the edge does not forward.
 * In front of it, the account's maximum send rate, when one is set: every
 * SendEmail comes here, the engine's own straight from its SDK client and a
 * developer's through the edge.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { isRecord } from '../../shared/json.ts';
import { awsError, send } from './edge-reply.ts';
import { answerOnce } from './loopback.ts';
import type { SendRateLimiter } from './send-limits.ts';

export interface LocalSes {
  endpoint: string;
  /** Refuses SendEmail past the limiter's rate as SES does; undefined lifts the limit. */
  limitSendEmail: (limiter: SendRateLimiter | undefined) => void;
  close: () => Promise<void>;
}

const SEND_EMAIL_PATH = '/v2/email/outbound-emails';

/**
 * What SESv2 answers a SendEmail past the account's maximum send rate: HTTP 429, TooManyRequestsException,
 * "Maximum sending rate exceeded." (the SDK model's SendEmail error, and the answer seen from
 * email.<region>.amazonaws.com/v2/email/outbound-emails; the SES guide's "ThrottlingException" is not what
 * the v2 API names it).
 */
const SES_MAX_SEND_RATE_EXCEEDED = {
  status: 429,
  type: 'TooManyRequestsException',
  message: 'Maximum sending rate exceeded.',
};

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
  let limiter: SendRateLimiter | undefined;
  // The stand-in's own listener runs behind the rate check, so a refused SendEmail never reaches it.
  const standIn = server.listeners('request');
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    // Its handlers answer some requests twice (/get-emlContent with an unknown id); the edge forwards only
    // the SESv2 API, but whatever reaches the stand-in must not be able to end the process.
    answerOnce(response);
    if (limiter !== undefined && isSendEmail(request)) {
      const slot = limiter.take();
      if (slot === undefined) {
        request.resume();
        const { status, type, message } = SES_MAX_SEND_RATE_EXCEEDED;
        send(response, awsError(status, type, message));
        return;
      }
      // A SendEmail the stand-in refuses (no recipient, say) sent nothing and counts for nothing.
      response.once('finish', () => {
        if (response.statusCode >= 400) slot.release();
      });
    }
    for (const listener of standIn) Reflect.apply(listener, server, [request, response]);
  });
  if (!server.listening) await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const address = server.address();
  const actual =
    typeof address === 'object' && address !== null ? (address satisfies AddressInfo).port : port;
  return {
    endpoint: `http://127.0.0.1:${actual}`,
    limitSendEmail: (next) => {
      limiter = next;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Express routes without regard to case or a trailing slash, so the check does too. */
function isSendEmail(request: IncomingMessage): boolean {
  if (request.method !== 'POST') return false;
  try {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    return path.toLowerCase().replace(/\/+$/, '') === SEND_EMAIL_PATH;
  } catch {
    // Not a path at all: the stand-in answers it, and it is no SendEmail.
    return false;
  }
}
