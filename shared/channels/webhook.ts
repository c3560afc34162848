/**
 * One webhook attempt: a signed POST with the rendered JSON body. A timeout,
 * a refused connection, a 5xx or a 429 is `throttled` (the state machine
 * tries the step again with backoff, a bounded number of times); any other
 * answer but 2xx is `rejected` and never retried: a 4xx will not change, and
 * a 3xx is not followed (the URL in settings should be the final one).
 */
import { type ClientRequest, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { withoutContactDetails } from '../text/mask.ts';
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
  if (answer.kind === 'unsendable')
    return { ok: false, kind: 'rejected', reason: `${where}: ${answer.reason}` };
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

type Exchange =
  | { kind: 'answered'; status: number; snippet: string }
  /** Nothing came back in time, or the connection failed: another attempt may fare better. */
  | { kind: 'failed'; reason: string }
  /** The request cannot be made as configured (a header value HTTP cannot carry): no attempt will. */
  | { kind: 'unsendable'; reason: string };

/**
 * One POST, the whole exchange within `timeoutMs`; only the start of the answer is read. Never
 * rejects: whatever goes wrong on the way is a reason. Once the status is in, it is the answer: a
 * body still coming when the time is up is cut there (a 2xx is delivered, a 400 is not retried).
 */
function exchange(
  url: URL,
  headers: Record<string, string>,
  body: Buffer,
  timeoutMs: number,
): Promise<Exchange> {
  return new Promise((resolve) => {
    let settled = false;
    let outgoing: ClientRequest | undefined;
    const finish = (result: Exchange): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outgoing?.destroy();
      resolve(result);
    };
    // The answer so far: its status once the head is in, and the start of its body.
    let status: number | undefined;
    const chunks: Buffer[] = [];
    const answered = (): Exchange => ({ kind: 'answered', status: status ?? 0, snippet: snippetOf(chunks) });
    const timer = setTimeout(
      () =>
        finish(
          status === undefined
            ? { kind: 'failed', reason: `no answer within ${timeoutMs / 1000} s` }
            : answered(),
        ),
      timeoutMs,
    );
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    try {
      outgoing = send(url, { method: 'POST', headers }, (incoming) => {
        status = incoming.statusCode ?? 0;
        let size = 0;
        incoming.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          // Enough to say what went wrong: a 10 MB answer is cut here, never read whole.
          if (size >= MAX_RESPONSE_BYTES) finish(answered());
        });
        incoming.on('end', () => finish(answered()));
        incoming.on('error', () => finish(answered()));
      });
    } catch (error) {
      // Node refuses before sending anything, e.g. a header value with a line break or an emoji.
      const why = error instanceof Error ? answerSnippet(error.message) : 'refused';
      finish({ kind: 'unsendable', reason: `the request cannot be made from its settings: ${why}` });
      return;
    }
    outgoing.on('error', (error: Error) => {
      // Cut off after the status came: that status is the answer.
      if (status !== undefined) {
        finish(answered());
        return;
      }
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
  return answerSnippet(Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8'));
}

/**
 * What a receiver (an endpoint, a function) said, fit for a stored reason: one line, no contact
 * details, at most 200 characters.
 */
export function answerSnippet(text: string): string {
  return withoutContactDetails(text).slice(0, REASON_SNIPPET);
}
