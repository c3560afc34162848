/** The panel's replies and how they are written: the Reply union, page and error frames, assets, form bodies. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import type { Html } from './html.ts';
import type { PanelSources } from './sources.ts';
import { errorPage, page, type PageFrame, type Section } from './views/layout.ts';
import { journeyGraphCss } from './views/journey-graph.ts';

export type Reply =
  | { kind: 'page'; status: number; body: Html }
  /** A live fragment that has not changed: htmx leaves the page as it is. */
  | { kind: 'unchanged' }
  | { kind: 'redirect'; location: string }
  | { kind: 'asset'; type: string; body: string | Buffer }
  | { kind: 'preview'; body: string }
  | { kind: 'text'; status: number; body: string };

const MAX_FORM_BYTES = 256 * 1024;

/** A request that cannot be answered as asked: the status and a sentence saying why. */
export class BadRequest extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Assets {
  htmx: string;
  css: string;
}

export function loadAssets(): Assets {
  const require = createRequire(import.meta.url);
  return {
    htmx: readFileSync(require.resolve('htmx.org/dist/htmx.min.js'), 'utf8'),
    css: `${readFileSync(new URL('./assets/panel.css', import.meta.url), 'utf8')}\n${journeyGraphCss}`,
  };
}

function frame(sources: PanelSources, section: Section, title: string): PageFrame {
  return {
    title,
    section,
    now: sources.now(),
    ...(sources.clock === undefined ? {} : { clockMode: sources.clock.mode }),
  };
}

export function pageReply(
  sources: PanelSources,
  section: Section,
  title: string,
  body: Html,
): Extract<Reply, { kind: 'page' }> {
  return { kind: 'page', status: 200, body: page(frame(sources, section, title), body) };
}

export function notFound(sources: PanelSources, message: string): Reply {
  return problemPage(sources, 404, message);
}

export function problemPage(sources: PanelSources, status: number, message: string): Reply {
  return { kind: 'page', status, body: errorPage(frame(sources, 'customers', 'Error'), status, message) };
}

/** A short hash of what a live fragment shows. */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 16);
}

export async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_FORM_BYTES) throw new BadRequest(413, `The form is larger than ${MAX_FORM_BYTES} bytes.`);
    chunks.push(buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  // Not no-referrer: with it the browser sends `Origin: null` on the panel's own forms, which then look foreign.
  'referrer-policy': 'same-origin',
  'x-frame-options': 'SAMEORIGIN',
};

export function write(response: ServerResponse, reply: Reply): void {
  switch (reply.kind) {
    case 'page':
      response.writeHead(reply.status, {
        ...SECURITY_HEADERS,
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy':
          "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-src 'self'; " +
          "form-action 'self'; base-uri 'none'; frame-ancestors 'self'",
      });
      response.end(reply.body.text);
      return;
    case 'text':
      response.writeHead(reply.status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      response.end(reply.body);
      return;
    case 'unchanged':
      response.writeHead(204, { 'cache-control': 'no-store' });
      response.end();
      return;
    case 'redirect':
      response.writeHead(303, { location: reply.location });
      response.end();
      return;
    case 'asset':
      response.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': `${reply.type}; charset=utf-8`,
        'cache-control': 'max-age=300',
      });
      response.end(reply.body);
      return;
    case 'preview':
      // An email is someone else's markup: no scripts, no requests home, and its own null origin.
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
        'content-security-policy': "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'",
      });
      response.end(reply.body);
      return;
    default: {
      const unreachable: never = reply;
      throw new Error(`Unhandled reply ${JSON.stringify(unreachable)}`);
    }
  }
}
