/**
 * Who may talk to a server that listens on loopback: programs and pages on this machine, not a web page
 * elsewhere that a visitor's browser happens to load. The panel and the local engine's edge both apply
 * these rules, so "loopback" means the same in both.
 */
import type { IncomingMessage } from 'node:http';

/** Why a request is refused; undefined from `requestRefusal` means it may be served. */
export type RequestRefusal =
  /** The Host header names something other than a loopback address: another name rebound to 127.0.0.1. */
  | { kind: 'foreign-host'; host: string }
  /** A request that changes something, sent by a page on another site. */
  | { kind: 'cross-site' };

const LOOPBACK_HOST = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(:\d{1,5})?$/i;

/** Methods a browser may send across sites and that change nothing here; every other one must come from here. */
const READ_ONLY_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

export function requestRefusal(request: IncomingMessage): RequestRefusal | undefined {
  // Another name for this address (DNS rebinding) must not read customers through a visitor's browser.
  const host = request.headers.host ?? '';
  if (!LOOPBACK_HOST.test(host)) return { kind: 'foreign-host', host };
  // A page elsewhere must not send events or move the clock through a visitor's browser. A form or a
  // `text/plain` fetch needs no CORS preflight, so the answer being unreadable to that page is no defence.
  if (!READ_ONLY_METHODS.has(request.method ?? 'GET') && !fromThisSite(request))
    return { kind: 'cross-site' };
  return undefined;
}

/**
 * Browsers name the page's origin on every cross-site request that can change something, and say
 * `Sec-Fetch-Site: cross-site`; SDKs, curl and mail servers send neither, so they are served.
 */
function fromThisSite(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return request.headers['sec-fetch-site'] !== 'cross-site';
  try {
    return new URL(origin).host.toLowerCase() === (request.headers.host ?? '').toLowerCase();
  } catch {
    // "null" (a sandboxed frame, a file:// page) or something unreadable: not this site.
    return false;
  }
}

/** The sentence a refused client reads, naming what to change. */
export function describeRefusal(refusal: RequestRefusal, server: string): string {
  switch (refusal.kind) {
    case 'foreign-host':
      return `${server} answers on loopback addresses only (127.0.0.1, localhost, [::1]), not "${refusal.host}".`;
    case 'cross-site':
      return `${server} accepts requests that change something from this machine only, not from a page on another site.`;
    default: {
      const unreachable: never = refusal;
      return String(unreachable);
    }
  }
}
