/**
 * What a Pinpoint template input may hold (the keys of get-*-template output and of the
 * Email/SMS/PushNotification template requests, from Pinpoint's API reference), and the checks that
 * collect every problem with its JSON path instead of throwing. Pure.
 */
import { closest } from '../../text/suggest.ts';
import type { PinpointChannel } from './template-variables.ts';

export interface TemplateProblem {
  /** A JSON path into the input, such as `$.EmailTemplateResponse.Subject`. */
  path: string;
  message: string;
  expected: string;
}

/** The Waymark renderer parses at most this many characters of one template file. */
export const MAX_PART_CHARACTERS = 200_000;
const MAX_PROBLEMS = 20;

const RESPONSE_ONLY = ['Arn', 'CreationDate', 'LastModifiedDate', 'TemplateName', 'TemplateType', 'Version'];
const COMMON = ['DefaultSubstitutions', 'RecommenderId', 'TemplateDescription', 'tags', ...RESPONSE_ONLY];
export const KEYS: Record<PinpointChannel, string[]> = {
  email: ['Subject', 'HtmlPart', 'TextPart', 'Headers', ...COMMON],
  sms: ['Body', ...COMMON],
  push: ['Default', 'APNS', 'GCM', 'ADM', 'Baidu', ...COMMON],
};
const WRAPPERS: Record<string, PinpointChannel> = {
  EmailTemplateResponse: 'email',
  EmailTemplateRequest: 'email',
  SMSTemplateResponse: 'sms',
  SMSTemplateRequest: 'sms',
  PushNotificationTemplateResponse: 'push',
  PushNotificationTemplateRequest: 'push',
};
const TEMPLATE_TYPES: Record<string, PinpointChannel> = { EMAIL: 'email', SMS: 'sms', PUSH: 'push' };

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class Problems {
  readonly list: TemplateProblem[] = [];
  add(path: string, message: string, expected: string): void {
    if (this.list.length < MAX_PROBLEMS) this.list.push({ path, message, expected });
    else if (this.list.length === MAX_PROBLEMS)
      this.list.push({ path: '$', message: 'More problems were left out.', expected: 'a Pinpoint template' });
  }
}

export function unknownKeys(
  object: JsonObject,
  known: string[],
  path: string,
  what: string,
  problems: Problems,
): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    const suggestion = closest(key, known);
    problems.add(
      `${path}.${key}`,
      `Pinpoint's ${what} has no "${key}"${suggestion === undefined ? '' : `; did you mean "${suggestion}"?`}`,
      `one of ${known.join(', ')}`,
    );
  }
}

export function stringField(
  object: JsonObject,
  key: string,
  path: string,
  problems: Problems,
): string | undefined {
  const value = object[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    problems.add(
      `${path}.${key}`,
      `"${key}" is ${JSON.stringify(value)?.slice(0, 40) ?? typeof value}.`,
      'a string',
    );
    return undefined;
  }
  if (value.length > MAX_PART_CHARACTERS) {
    problems.add(
      `${path}.${key}`,
      `"${key}" is ${value.length} characters long; Waymark's renderer reads at most ${MAX_PART_CHARACTERS} in one template file.`,
      `a string of at most ${MAX_PART_CHARACTERS} characters`,
    );
    return undefined;
  }
  return value;
}

/** Where the template is in the input, and which channel it is for. */
export function locate(
  input: unknown,
  problems: Problems,
): { template: JsonObject; path: string; channel: PinpointChannel; outerName?: string } | undefined {
  const expected =
    'the output of aws pinpoint get-email-template, get-sms-template or get-push-template ({"EmailTemplateResponse": {...}}), or an EmailTemplateRequest, SMSTemplateRequest or PushNotificationTemplateRequest';
  if (!isObject(input)) {
    problems.add(
      '$',
      `The input is ${Array.isArray(input) ? 'a list' : input === null ? 'null' : typeof input}, not a JSON object.`,
      expected,
    );
    return undefined;
  }
  const wrappers = Object.keys(input).filter((key) => WRAPPERS[key] !== undefined);
  const [wrapper] = wrappers;
  if (wrapper !== undefined) {
    if (wrappers.length > 1)
      problems.add('$', `The input holds ${wrappers.join(' and ')}: one template a file.`, expected);
    // `aws pinpoint create-*-template --cli-input-json` puts TemplateName beside the request.
    unknownKeys(
      input,
      [wrapper, ...(wrapper.endsWith('Request') ? ['TemplateName'] : [])],
      '$',
      'get-*-template output',
      problems,
    );
    const template = input[wrapper];
    const channel = WRAPPERS[wrapper];
    if (!isObject(template) || channel === undefined) {
      problems.add(`$.${wrapper}`, `${wrapper} is not a JSON object.`, `a ${wrapper} object`);
      return undefined;
    }
    const outerName = stringField(input, 'TemplateName', '$', problems);
    return { template, path: `$.${wrapper}`, channel, ...(outerName === undefined ? {} : { outerName }) };
  }
  const type = input['TemplateType'];
  const byType = typeof type === 'string' ? TEMPLATE_TYPES[type] : undefined;
  if (type !== undefined && byType === undefined) {
    problems.add(
      '$.TemplateType',
      `TemplateType ${JSON.stringify(type)} is not a template Waymark imports.`,
      'EMAIL, SMS or PUSH',
    );
    return undefined;
  }
  const channels = (['email', 'sms', 'push'] as const).filter((channel) =>
    Object.keys(input).some((key) => KEYS[channel].includes(key) && !COMMON.includes(key)),
  );
  const channel = byType ?? (channels.length === 1 ? channels[0] : undefined);
  if (channel === undefined) {
    problems.add(
      '$',
      channels.length > 1
        ? `The input mixes the fields of ${channels.join(' and ')} templates.`
        : `The input is no Pinpoint template: it has none of Subject, HtmlPart, TextPart, Body, Default, APNS, GCM, ADM, Baidu (keys: ${Object.keys(input).slice(0, 10).join(', ') || 'none'}).`,
      expected,
    );
    return undefined;
  }
  return { template: input, path: '$', channel };
}

export function parseDefaults(template: JsonObject, path: string, problems: Problems): Map<string, string> {
  const defaults = new Map<string, string>();
  const text = stringField(template, 'DefaultSubstitutions', path, problems);
  if (text === undefined) return defaults;
  const expected =
    'a string holding a JSON object of variable names and default values, e.g. "{\\"User.UserAttributes.FirstName\\": \\"there\\"}"';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    problems.add(`${path}.DefaultSubstitutions`, 'DefaultSubstitutions is not JSON.', expected);
    return defaults;
  }
  if (!isObject(parsed)) {
    problems.add(`${path}.DefaultSubstitutions`, 'DefaultSubstitutions is not a JSON object.', expected);
    return defaults;
  }
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      defaults.set(key.trim().replace(/\.\[0\]$|\.0$/, ''), String(value));
    else problems.add(`${path}.DefaultSubstitutions`, `The default of "${key}" is not a string.`, expected);
  }
  return defaults;
}

export function checkCommon(
  template: JsonObject,
  path: string,
  channel: PinpointChannel,
  problems: Problems,
): void {
  for (const key of [
    'Arn',
    'CreationDate',
    'LastModifiedDate',
    'TemplateName',
    'Version',
    'RecommenderId',
    'TemplateDescription',
  ])
    stringField(template, key, path, problems);
  const type = template['TemplateType'];
  if (type !== undefined && (typeof type !== 'string' || TEMPLATE_TYPES[type] !== channel))
    problems.add(
      `${path}.TemplateType`,
      `TemplateType ${JSON.stringify(type)} does not match the ${channel} template it is in.`,
      channel.toUpperCase(),
    );
  const tags = template['tags'];
  if (
    tags !== undefined &&
    (!isObject(tags) || Object.values(tags).some((value) => typeof value !== 'string'))
  )
    problems.add(`${path}.tags`, 'tags is not an object of strings.', 'a string-to-string map');
}
