/**
 * Message templates: one folder per template under journeys/templates/,
 * one Liquid file per part of each channel's message. A send step may use
 * a template only for the channels whose parts the folder has.
 */
import { Liquid, type Template } from 'liquidjs';
import * as z from 'zod';
import { type Channel, type JsonValue, jsonValueSchema } from '../customer/profile.ts';
import { errorMessage } from '../text/error-message.ts';

export const TEMPLATE_PARTS = {
  email: { subject: 'email.subject.liquid', html: 'email.html.liquid', text: 'email.text.liquid' },
  sms: { text: 'sms.liquid' },
  push: { title: 'push.title.liquid', body: 'push.body.liquid', data: 'push.data.json' },
  /** An approved WhatsApp template's name, language and body parameters (each a Liquid string). */
  whatsapp: { template: 'whatsapp.json' },
  /** The request body: Liquid that must render to JSON (write values with `| json`). */
  webhook: { body: 'webhook.json.liquid' },
  /** The `data` of the function's payload: Liquid that must render to JSON. */
  function: { body: 'function.json.liquid' },
} as const;

/** The files of one template folder, by file name. */
export interface TemplateSource {
  name: string;
  files: Readonly<Record<string, string>>;
}

export interface TemplateContext {
  profile: Record<string, unknown>;
  /** The trigger event's detail. */
  event: Record<string, unknown>;
  trigger: { id: string; detailType: string; source: string; time: string };
  values: Record<string, unknown>;
  journey: { id: string; name: string; stepId: string };
  unsubscribeUrl: string;
}

export type RenderedMessage =
  | { channel: 'email'; subject: string; html: string | undefined; text: string | undefined }
  | { channel: 'sms'; text: string }
  | { channel: 'push'; title: string; body: string; data: Record<string, string> }
  | { channel: 'whatsapp'; template: string; language: string; parameters: string[] }
  /** `body` is the rendered JSON text as sent; `data` the same, parsed. */
  | { channel: 'webhook' | 'function'; body: string; data: JsonValue };

export interface TemplateProblem {
  template: string;
  file: string;
  line: number;
  column: number;
  message: string;
}

export type RenderResult =
  { ok: true; message: RenderedMessage } | { ok: false; problems: TemplateProblem[] };

// Strict: a misspelt variable is an error, never a blank in a customer's message. lenientIf keeps
// `{% if x %}` and `| default:` usable for optional fields. No file system (an empty in-memory one),
// so `{% render 'x' %}` cannot pull files from wherever the process runs, and limits so a template
// like `{% for i in (1..300000000) %}` fails instead of taking the process down.
const engineOptions = {
  strictVariables: true,
  strictFilters: true,
  lenientIf: true,
  jsTruthy: true,
  templates: {},
  parseLimit: 200_000,
  renderLimit: 1_000,
  memoryLimit: 10_000_000,
} as const;
const plainEngine = new Liquid(engineOptions);
// HTML parts escape every output: event data (a chat summary, a social comment) must not become markup.
const htmlEngine = new Liquid({ ...engineOptions, outputEscape: 'escape' });

const parsed = new Map<string, Template[]>();

function parseCached(engine: Liquid, key: string, text: string): Template[] {
  const cacheKey = `${engine === htmlEngine ? 'html' : 'plain'}\u0000${key}\u0000${text}`;
  let templates = parsed.get(cacheKey);
  if (templates === undefined) {
    templates = engine.parse(text);
    parsed.set(cacheKey, templates);
  }
  return templates;
}

/** Parts a channel needs that the folder lacks. */
export function missingParts(source: TemplateSource, channel: Channel): string[] {
  const has = (file: string): boolean => source.files[file] !== undefined;
  switch (channel) {
    case 'email': {
      const parts = TEMPLATE_PARTS.email;
      const missing: string[] = has(parts.subject) ? [] : [parts.subject];
      if (!has(parts.html) && !has(parts.text)) missing.push(`${parts.html} or ${parts.text}`);
      return missing;
    }
    case 'sms':
      return has(TEMPLATE_PARTS.sms.text) ? [] : [TEMPLATE_PARTS.sms.text];
    case 'push':
      return [TEMPLATE_PARTS.push.title, TEMPLATE_PARTS.push.body].filter((file) => !has(file));
    case 'whatsapp':
    case 'webhook':
    case 'function': {
      const file = Object.values(TEMPLATE_PARTS[channel])[0];
      return file === undefined || has(file) ? [] : [file];
    }
    default: {
      const unreachable: never = channel;
      throw new Error(`Unknown channel ${String(unreachable)}`);
    }
  }
}

export function renderMessage(
  source: TemplateSource,
  channel: Channel,
  context: TemplateContext,
): RenderResult {
  const problems: TemplateProblem[] = missingParts(source, channel).map((file) => ({
    template: source.name,
    file,
    line: 0,
    column: 0,
    message: `The template has no ${file}, which ${channel} messages need.`,
  }));
  if (problems.length > 0) return { ok: false, problems };
  const renderText = (file: string, text: string, engine: Liquid = plainEngine): string | undefined => {
    try {
      const output: unknown = engine.renderSync(parseCached(engine, `${source.name}/${file}`, text), context);
      return typeof output === 'string' ? output.trim() : '';
    } catch (error) {
      problems.push(liquidProblem(source.name, file, error));
      return undefined;
    }
  };
  const render = (file: string, engine?: Liquid): string | undefined => {
    const text = source.files[file];
    return text === undefined ? undefined : renderText(file, text, engine);
  };
  const message = renderChannel(channel, render, (file, text) => renderText(file, text), source, problems);
  return problems.length > 0 || message === undefined ? { ok: false, problems } : { ok: true, message };
}

function renderChannel(
  channel: Channel,
  render: (file: string, engine?: Liquid) => string | undefined,
  renderText: (file: string, text: string) => string | undefined,
  source: TemplateSource,
  problems: TemplateProblem[],
): RenderedMessage | undefined {
  switch (channel) {
    case 'email': {
      const subject = render(TEMPLATE_PARTS.email.subject);
      const html = render(TEMPLATE_PARTS.email.html, htmlEngine);
      const text = render(TEMPLATE_PARTS.email.text);
      return subject === undefined ? undefined : { channel, subject, html, text };
    }
    case 'sms': {
      const text = render(TEMPLATE_PARTS.sms.text);
      return text === undefined ? undefined : { channel, text };
    }
    case 'push': {
      const title = render(TEMPLATE_PARTS.push.title);
      const body = render(TEMPLATE_PARTS.push.body);
      const data = renderPushData(source, renderText, problems);
      return title === undefined || body === undefined || data === undefined
        ? undefined
        : { channel, title, body, data };
    }
    case 'whatsapp':
      return renderWhatsapp(source, renderText, problems);
    case 'webhook':
    case 'function': {
      const file = TEMPLATE_PARTS[channel].body;
      const body = render(file);
      if (body === undefined) return undefined;
      const data = parseRenderedJson(source.name, file, body, problems);
      return data === undefined ? undefined : { channel, body, data };
    }
    default: {
      const unreachable: never = channel;
      throw new Error(`Unknown channel ${String(unreachable)}`);
    }
  }
}

/** A rendered body that is not JSON is a problem of the template, named with where it stops being JSON. */
function parseRenderedJson(
  template: string,
  file: string,
  text: string,
  problems: TemplateProblem[],
): JsonValue | undefined {
  const parsed = parseJson(text);
  if (parsed.ok) return parsed.value;
  problems.push({
    template,
    file,
    line: 0,
    column: 0,
    message: `It rendered to text that is not JSON (${parsed.problem}); write values with "| json", e.g. {{ profile.attributes.firstName | json }}.`,
  });
  return undefined;
}

/**
 * JSON text as a value, or where it stops being JSON, never the text itself: the parser's message
 * quotes the text around the error, which holds the customer's data, and the reason is stored.
 */
function parseJson(text: string): { ok: true; value: JsonValue } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec(errorMessage(error))?.[1];
    return {
      ok: false,
      problem: position === undefined ? 'invalid JSON' : `invalid JSON at character ${position}`,
    };
  }
  const json = jsonValueSchema.safeParse(value);
  return json.success ? { ok: true, value: json.data } : { ok: false, problem: 'not a JSON value' };
}

const whatsappFileSchema = z.strictObject({
  template: z
    .string()
    .regex(/^[a-z0-9_]{1,512}$/, 'a WhatsApp template name: lowercase letters, digits, "_"'),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'a WhatsApp language code such as "en_US" or "pt_BR"'),
  parameters: z.array(z.string()).max(100).default([]),
});

/** whatsapp.json names an approved template; its body parameters are Liquid strings. */
function renderWhatsapp(
  source: TemplateSource,
  renderText: (file: string, text: string) => string | undefined,
  problems: TemplateProblem[],
): RenderedMessage | undefined {
  const file = TEMPLATE_PARTS.whatsapp.template;
  const json = parseJson(source.files[file] ?? '');
  const parsed = whatsappFileSchema.safeParse(json.ok ? json.value : undefined);
  if (!parsed.success) {
    problems.push({
      template: source.name,
      file,
      line: 0,
      column: 0,
      message: `Expected {"template", "language", "parameters": [...]}: ${z.prettifyError(parsed.error)}`,
    });
    return undefined;
  }
  const parameters: string[] = [];
  for (const [index, text] of parsed.data.parameters.entries()) {
    const rendered = renderText(`${file} (parameters[${index}])`, text);
    if (rendered === undefined) return undefined;
    parameters.push(rendered);
  }
  return { channel: 'whatsapp', template: parsed.data.template, language: parsed.data.language, parameters };
}

/** push.data.json is a flat JSON object whose string values are Liquid. */
function renderPushData(
  source: TemplateSource,
  renderText: (file: string, text: string) => string | undefined,
  problems: TemplateProblem[],
): Record<string, string> | undefined {
  const file = TEMPLATE_PARTS.push.data;
  const text = source.files[file];
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    problems.push({
      template: source.name,
      file,
      line: 0,
      column: 0,
      message: `Invalid JSON: ${errorMessage(error)}`,
    });
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({
      template: source.name,
      file,
      line: 1,
      column: 1,
      message: 'Expected a JSON object of strings.',
    });
    return undefined;
  }
  const data: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      problems.push({
        template: source.name,
        file,
        line: 0,
        column: 0,
        message: `"${key}" must be a string.`,
      });
      continue;
    }
    const rendered = renderText(`${file} (${key})`, entry);
    if (rendered !== undefined) data[key] = rendered;
  }
  return data;
}

function liquidProblem(template: string, file: string, error: unknown): TemplateProblem {
  const message = errorMessage(error);
  const position = /line:(\d+), col:(\d+)/.exec(message);
  return {
    template,
    file,
    line: Number(position?.[1] ?? 0),
    column: Number(position?.[2] ?? 0),
    message: message.replace(/, line:\d+, col:\d+.*$/s, ''),
  };
}
