/**
 * Webhooks of the samples on a machine with no network: an endpoint under a
 * domain reserved for examples (RFC 2606 and 6761: example.com, .example,
 * .test, .invalid) can never be anyone's real receiver, so the local engine
 * answers it itself (200, nothing sent) instead of retrying a lookup that
 * cannot succeed for hours. Every other URL is called as it is.
 */
import type { ChannelGateway } from '../../shared/channels/gateway.ts';

const RESERVED = /(^|\.)(example\.(com|net|org)|example|test|invalid)$/i;

export function isPlaceholderHost(hostname: string): boolean {
  return RESERVED.test(hostname);
}

export function withPlaceholderWebhooks(inner: ChannelGateway): ChannelGateway {
  return {
    ...inner,
    callWebhook: (request) => {
      const url = URL.canParse(request.url) ? new URL(request.url) : undefined;
      if (url === undefined || !isPlaceholderHost(url.hostname)) return inner.callWebhook(request);
      return Promise.resolve({
        ok: true,
        messageId: request.idempotencyKey,
        response: `HTTP 200 (placeholder ${url.hostname}: answered by the local engine, not sent)`,
      });
    },
  };
}

/** A secret the environment does not set, locally: fixed and documented, like the unsubscribe one. */
export function localSecret(name: string): string {
  return `waymark-local-secret:${name}`;
}
