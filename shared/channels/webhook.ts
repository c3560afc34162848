/**
 * One webhook attempt: a signed POST with the rendered JSON body. A timeout,
 * a refused connection, a 5xx or a 429 is `throttled` (the state machine
 * tries the step again with backoff, a bounded number of times); any other
 * answer but 2xx is `rejected` and never retried: a 4xx will not change, and
 * a 3xx is not followed (the URL in settings should be the final one).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { SendResult, WebhookRequest } from './gateway.ts';
import { webhookUrlRefusal } from './endpoint-url.ts';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, webhookSignature } from './webhook-signature.ts';

/** Enough of an answer to say what went wrong; the rest of a large body is never read. */
const MAX_RESPONSE_BYTES = 16 * 1024;
const REASON_SNIPPET = 200;

export async function callWebhook(
  request: WebhookRequest,
  now: () => Date = () => new Date(),
): Promise<SendResult> {
  const where = `webhook "${request.endpoint}"`;
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return { ok: false, kind: 'rejected', reason: `${where}: the URL in settings is not a URL` };
  }
  const refusal = webhookUrlRefusal(url, request.allowLoopbackHttp);
  if (refusal !== undefined) return { ok: false, kind: 'rejected', reason: `${where}: ${refusal}` };
  const body = Buffer.from(request.body, 'utf8');
  const headers = {
    ...request.headers,
    'content-type': 'application/json',
    'content-length': String(body.length),
    'user-agent': 'Waymark-Webhook/1',
    [SIGNATURE_HEADER]: webhookSignature(request.secret, request.body, now()),
    [IDEMPOTENCY_HEADER]: request.idempotencyKey,
  };
  const answer = await exchange(url, headers, body, request.timeoutMs);
  if (answer.kind === 'failed') return { ok: false, kind: 'throttled', reason: `${where}: ${answer.reason}` };
  const { status, snippet } = answer;
  if (status >= 200 && status < 300) {
    return { ok: true, messageId: request.idempotencyKey, response: `HTTP ${status}` };
  }
  const said = snippet === '' ? '' : `: ${snippet}`;
  if (status === 429 || status >= 500) {
    return { ok: false, kind: 'throttled', reason: `${where} answered HTTP ${status}${said}` };
  }
  if (status >= 300 && status < 400) {
    return {
      ok: false,
      kind: 'rejected',
      reason: `${where} answered HTTP ${status}, a redirect; webhooks do not follow redirects (set the final URL in settings)`,
    };
  }
  return { ok: false, kind: 'rejected', reason: `${where} answered HTTP ${status}${said} (not retried)` };
}

type Exchange = { kind: 'answered'; status: number; snippet: string } | { kind: 'failed'; reason: string };

/**
 * One POST, the whole exchange within `timeoutMs`; only the start of the answer is read. Never
 * rejects: whatever goes wrong on the way is a reason.
 */
function exchange(
  url: URL,
  headers: Record<string, string>,
  body: Buffer,
  timeoutMs: number,
): Promise<Exchange> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Exchange): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outgoing.destroy();
      resolve(result);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const outgoing = send(url, { method: 'POST', headers }, (incoming) => {
      const status = incoming.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      incoming.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        // Enough to say what went wrong: a 10 MB answer is cut here, never read whole.
        if (size >= MAX_RESPONSE_BYTES) finish({ kind: 'answered', status, snippet: snippetOf(chunks) });
      });
      incoming.on('end', () => finish({ kind: 'answered', status, snippet: snippetOf(chunks) }));
      incoming.on('error', () => finish({ kind: 'answered', status, snippet: snippetOf(chunks) }));
    });
    const timer = setTimeout(
      () => finish({ kind: 'failed', reason: `no answer within ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
    outgoing.on('error', (error: Error) => {
      const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
      finish({
        kind: 'failed',
        reason: code === undefined ? 'the request failed' : `the request failed (${code})`,
      });
    });
    outgoing.end(body);
  });
}

function snippetOf(chunks: readonly Buffer[]): string {
  const text = Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
  return printable(text).slice(0, REASON_SNIPPET);
}

/** Reasons are stored and shown: no control characters, no contact details from the receiver's answer. */
function printable(text: string): string {
  return text
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/[^\s<>"',;:]+@[^\s<>"',;]+/g, '<address>')
    .replace(/\+\d{7,15}/g, '<phone>')
    .trim();
}
