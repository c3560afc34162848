/**
 * The tracked links and open pixels of local emails (email-tracking.ts): a
 * verified click is recorded and redirected to its link, a verified open is
 * recorded and answered with a pixel. Anything else records nothing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmailTracking } from './email-tracking.ts';
import type { Outbox } from './outbox.ts';
import { send } from './edge-reply.ts';

// The smallest transparent GIF: 1x1, one colour.
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const NOT_VALID =
  'This tracking link is not valid, or its message is not in this engine: nothing was recorded.';

export async function serveTracking(
  tracking: EmailTracking,
  outbox: Outbox,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    send(response, {
      status: 405,
      body: 'Tracking links are opened with GET.',
      headers: { allow: 'GET, HEAD' },
    });
    return;
  }
  const action = tracking.verify(url.pathname);
  const sent = action === undefined ? undefined : outbox.find(action.m);
  if (action === undefined || sent?.channel !== 'email' || sent.from === undefined) {
    send(response, { status: 404, body: NOT_VALID });
    return;
  }
  const mail = { messageId: sent.messageId, tags: sent.tags ?? {}, to: sent.recipient, from: sent.from };
  // A HEAD is a link checker or a mail scanner looking, not the customer opening or clicking.
  if (request.method === 'GET') await tracking.engaged(mail, action, request.headers['user-agent']);
  if (action.k === 'c') {
    response.writeHead(302, { location: action.u, 'cache-control': 'no-store' });
    response.end();
    return;
  }
  response.writeHead(200, {
    'content-type': 'image/gif',
    'content-length': PIXEL.length,
    'cache-control': 'no-store',
  });
  response.end(request.method === 'HEAD' ? undefined : PIXEL);
}
