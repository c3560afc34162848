/**
 * What a customer sees after following an unsubscribe link. Opening the link
 * changes nothing, because mail scanners open links to check them: the first
 * page asks, and its button POSTs. Mailbox providers' one-click requests
 * (RFC 8058) get a short text answer instead of a page.
 */
import type { Channel } from '../../shared/customer/profile.ts';
import type { TokenCheck } from '../../shared/preferences/unsubscribe-token.ts';
import type { UnsubscribeOutcome } from '../../shared/runtime/preferences.ts';
import { escapeHtml } from '../../shared/text/html-escape.ts';

/** The shape of a Lambda function URL (or API Gateway v2) response. */
export interface PageResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Who the messages come from, as the pages name them. */
export interface PageContext {
  /** The display name of the email sender ("Demo Shop" in "Demo Shop <hello@shop.example.com>"). */
  sender: string | undefined;
}

/** A one-click request from a mailbox provider, or the confirmation page's own button. */
export type UnsubscribeRequest = 'one-click' | 'form';

export function senderName(from: string): string | undefined {
  const match = /^\s*"?([^"<]*?)"?\s*<[^>]*>\s*$/.exec(from);
  const name = match?.[1]?.trim();
  return name === undefined || name === '' ? undefined : name;
}

function messagesOf(channel: Channel): string {
  switch (channel) {
    case 'email':
      return 'emails';
    case 'sms':
      return 'text messages';
    case 'push':
      return 'push notifications';
    case 'whatsapp':
      return 'WhatsApp messages';
    case 'webhook':
    case 'function':
      return 'messages in our app';
    default: {
      const unreachable: never = channel;
      throw new Error(`Unknown channel ${String(unreachable)}`);
    }
  }
}

function fromWhom(context: PageContext): string {
  return context.sender === undefined ? 'us' : escapeHtml(context.sender);
}

/** RFC 8058 asks for `List-Unsubscribe=One-Click` as a form field, URL-encoded or multipart. */
export function unsubscribeRequestKind(
  body: string | undefined,
  isBase64Encoded: boolean,
  contentType: string | undefined,
): UnsubscribeRequest {
  const text =
    body === undefined ? '' : isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  if (contentType?.toLowerCase().startsWith('multipart/form-data') === true) {
    const part = /name="?List-Unsubscribe"?[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n\s*One-Click\b/i;
    return part.test(text) ? 'one-click' : 'form';
  }
  return new URLSearchParams(text).get('List-Unsubscribe') === 'One-Click' ? 'one-click' : 'form';
}

// Pages carry the token in their form, so they are neither cached, indexed nor sent on as a referrer.
const PAGE_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex',
  'x-content-type-options': 'nosniff',
};

function htmlResponse(statusCode: number, title: string, content: string): PageResponse {
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 0; padding: 3rem 1rem; color: #1f2328; background: #f6f8fa; }
main { max-width: 32rem; margin: 0 auto; padding: 2rem; background: #fff; border-radius: 8px; }
h1 { font-size: 1.4rem; margin-top: 0; }
button { font: inherit; padding: 0.6rem 1.2rem; border: 0; border-radius: 6px; background: #1f2328; color: #fff; cursor: pointer; }
</style>
</head>
<body>
<main>
<h1>${title}</h1>
${content}
</main>
</body>
</html>
`;
  return {
    statusCode,
    headers: {
      ...PAGE_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    },
    body,
  };
}

function textResponse(statusCode: number, text: string): PageResponse {
  return {
    statusCode,
    headers: { ...PAGE_HEADERS, 'content-type': 'text/plain; charset=utf-8' },
    body: `${text}\n`,
  };
}

export function confirmPage(channel: Channel, token: string, context: PageContext): PageResponse {
  const messages = messagesOf(channel);
  // A relative action keeps whatever path the link came through (the function URL, or a proxy's path).
  const action = `?token=${encodeURIComponent(token)}`;
  return htmlResponse(
    200,
    `Unsubscribe from ${messages}?`,
    `<p>You will stop getting ${messages} from ${fromWhom(context)}.</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="confirm" value="unsubscribe">
<button type="submit">Unsubscribe</button>
</form>`,
  );
}

export function invalidPage(reason: string): PageResponse {
  return htmlResponse(
    400,
    'This link does not work',
    `<p>${escapeHtml(reason)}</p>
<p>Use the unsubscribe link in a recent message, or contact us and we will stop sending it.</p>`,
  );
}

/** What the GET of a link shows: the question, or why the link cannot be used. */
export function linkPage(check: TokenCheck, token: string, context: PageContext): PageResponse {
  return check.ok ? confirmPage(check.claims.channel, token, context) : invalidPage(check.reason);
}

export function unsubscribeResponse(
  outcome: UnsubscribeOutcome,
  request: UnsubscribeRequest,
  context: PageContext,
): PageResponse {
  switch (outcome.status) {
    // An erased customer gets nothing any more: the same answer, without saying what we hold.
    case 'unsubscribed':
    case 'already':
    case 'unknown-customer': {
      const messages = messagesOf(outcome.channel);
      if (request === 'one-click') return textResponse(200, `Unsubscribed from ${messages}.`);
      const title = outcome.status === 'already' ? 'You were already unsubscribed' : 'You are unsubscribed';
      return htmlResponse(
        200,
        title,
        `<p>You will not get ${messages} from ${fromWhom(context)} any more.</p>`,
      );
    }
    case 'invalid':
      return request === 'one-click' ? textResponse(400, outcome.reason) : invalidPage(outcome.reason);
    case 'failed':
      return request === 'one-click'
        ? textResponse(500, 'The unsubscribe could not be recorded; try again later.')
        : htmlResponse(
            500,
            'Something went wrong',
            '<p>Your choice could not be recorded just now. Please use the link again later.</p>',
          );
    default: {
      const unreachable: never = outcome;
      throw new Error(`Unknown outcome ${JSON.stringify(unreachable)}`);
    }
  }
}

export function methodNotAllowed(): PageResponse {
  const response = textResponse(405, 'Use GET to see the page, or POST to unsubscribe.');
  return { ...response, headers: { ...response.headers, allow: 'GET, POST' } };
}
