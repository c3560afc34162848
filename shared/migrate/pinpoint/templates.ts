/**
 * Pinpoint message templates (what `aws pinpoint get-email-template`, `get-sms-template` and
 * `get-push-template` print, or the bare EmailTemplateRequest, SMSTemplateRequest and
 * PushNotificationTemplateRequest) as the files of a Waymark template folder. Pure: no I/O, and
 * the same input always gives the same bytes.
 */
import { TEMPLATE_PARTS } from '../../render/templates.ts';
import { closest } from '../../text/suggest.ts';
import { convertHandlebars, type PinpointChannel, waymarkTemplateName } from './template-variables.ts';

export { waymarkTemplateName } from './template-variables.ts';

export interface TemplateProblem {
  /** A JSON path into the input, such as `$.EmailTemplateResponse.Subject`. */
  path: string;
  message: string;
  expected: string;
}

export type TemplateTranslation =
  | {
      ok: true;
      name: string;
      /** File name within templates/<name>/ -> content. */
      files: Record<string, string>;
      report: { variable: string; became: string }[];
      differences: string[];
    }
  | { ok: false; problems: TemplateProblem[] };

/** The Waymark renderer parses at most this many characters of one template file. */
export const MAX_PART_CHARACTERS = 200_000;
const MAX_PROBLEMS = 20;

const RESPONSE_ONLY = ['Arn', 'CreationDate', 'LastModifiedDate', 'TemplateName', 'TemplateType', 'Version'];
const COMMON = ['DefaultSubstitutions', 'RecommenderId', 'TemplateDescription', 'tags', ...RESPONSE_ONLY];
const KEYS: Record<PinpointChannel, string[]> = {
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
const PUSH_PLATFORMS = ['Default', 'GCM', 'APNS', 'ADM', 'Baidu'] as const;
type PushPlatform = (typeof PUSH_PLATFORMS)[number];
const DEFAULT_PUSH_KEYS = ['Action', 'Body', 'Sound', 'Title', 'Url'];
const APNS_KEYS = [...DEFAULT_PUSH_KEYS, 'MediaUrl', 'RawContent'];
const ANDROID_KEYS = [...DEFAULT_PUSH_KEYS, 'ImageIconUrl', 'ImageUrl', 'RawContent', 'SmallImageIconUrl'];
const PUSH_KEYS: Record<PushPlatform, string[]> = {
  Default: DEFAULT_PUSH_KEYS,
  APNS: APNS_KEYS,
  GCM: ANDROID_KEYS,
  ADM: ANDROID_KEYS,
  Baidu: ANDROID_KEYS,
};
const PUSH_OBJECT_NAMES: Record<PushPlatform, string> = {
  Default: 'DefaultPushNotificationTemplate',
  APNS: 'APNSPushNotificationTemplate',
  GCM: 'AndroidPushNotificationTemplate',
  ADM: 'AndroidPushNotificationTemplate',
  Baidu: 'AndroidPushNotificationTemplate',
};
const PUSH_ACTIONS = ['OPEN_APP', 'DEEP_LINK', 'URL'];

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Problems {
  readonly list: TemplateProblem[] = [];
  add(path: string, message: string, expected: string): void {
    if (this.list.length < MAX_PROBLEMS) this.list.push({ path, message, expected });
    else if (this.list.length === MAX_PROBLEMS)
      this.list.push({ path: '$', message: 'More problems were left out.', expected: 'a Pinpoint template' });
  }
}

function unknownKeys(
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

function stringField(object: JsonObject, key: string, path: string, problems: Problems): string | undefined {
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
function locate(
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

function parseDefaults(template: JsonObject, path: string, problems: Problems): Map<string, string> {
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

function checkCommon(template: JsonObject, path: string, channel: PinpointChannel, problems: Problems): void {
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

interface Built {
  files: Record<string, string>;
  report: { variable: string; became: string }[];
  differences: string[];
}

function convertPart(
  source: string,
  channel: PinpointChannel,
  file: string,
  at: string,
  defaults: Map<string, string>,
  built: Built,
  problems: Problems,
): string | undefined {
  const conversion = convertHandlebars(source, { channel, file, defaults });
  for (const error of conversion.errors)
    problems.add(at, `Handlebars that cannot be read, ${error}.`, 'a Pinpoint (Handlebars) template');
  if (conversion.errors.length > 0) return undefined;
  for (const entry of conversion.report)
    if (!built.report.some((known) => known.variable === entry.variable)) built.report.push(entry);
  built.differences.push(...conversion.differences);
  if (conversion.liquid.length > MAX_PART_CHARACTERS) {
    problems.add(
      at,
      `As Liquid it is ${conversion.liquid.length} characters long, more than Waymark's renderer reads.`,
      `at most ${MAX_PART_CHARACTERS} characters`,
    );
    return undefined;
  }
  return conversion.liquid;
}

const UNSUBSCRIBE_HTML =
  '<p style="font-size:12px"><a ses:no-track href="{{ unsubscribeUrl }}">Unsubscribe</a></p>';
const UNSUBSCRIBE_TEXT = 'Unsubscribe: {{ unsubscribeUrl }}';

function buildEmail(
  template: JsonObject,
  path: string,
  defaults: Map<string, string>,
  built: Built,
  problems: Problems,
): void {
  const parts = TEMPLATE_PARTS.email;
  const subject = stringField(template, 'Subject', path, problems);
  const html = stringField(template, 'HtmlPart', path, problems);
  const text = stringField(template, 'TextPart', path, problems);
  if (template['Subject'] === undefined)
    problems.add(
      `${path}.Subject`,
      'The email template has no Subject; Waymark needs one.',
      'the subject line',
    );
  if (template['HtmlPart'] === undefined && template['TextPart'] === undefined)
    problems.add(path, 'The email template has neither HtmlPart nor TextPart.', 'HtmlPart, TextPart or both');
  const headers = template['Headers'];
  if (headers !== undefined) {
    const valid =
      Array.isArray(headers) &&
      headers.length <= 15 &&
      headers.every(
        (header) =>
          isObject(header) &&
          typeof header['Name'] === 'string' &&
          typeof header['Value'] === 'string' &&
          Object.keys(header).length === 2,
      );
    if (!valid)
      problems.add(
        `${path}.Headers`,
        'Headers is not a list of {"Name", "Value"}.',
        'at most 15 MessageHeader objects {"Name": "...", "Value": "..."}',
      );
    else if (headers.length > 0)
      built.differences.push(
        'Headers: Waymark does not import custom email headers; it sets List-Unsubscribe and List-Unsubscribe-Post itself.',
      );
  }
  if (subject !== undefined) {
    const liquid = convertPart(subject, 'email', parts.subject, `${path}.Subject`, defaults, built, problems);
    if (liquid !== undefined) built.files[parts.subject] = liquid;
  }
  const htmlLiquid =
    html === undefined
      ? undefined
      : convertPart(html, 'email', parts.html, `${path}.HtmlPart`, defaults, built, problems);
  const textLiquid =
    text === undefined
      ? undefined
      : convertPart(text, 'email', parts.text, `${path}.TextPart`, defaults, built, problems);
  const hasLink = [htmlLiquid, textLiquid].some(
    (part) => part !== undefined && /\{\{-?\s*unsubscribeUrl\b/.test(part),
  );
  if (htmlLiquid !== undefined) {
    const bodyEnd = htmlLiquid.toLowerCase().lastIndexOf('</body>');
    built.files[parts.html] = hasLink
      ? htmlLiquid
      : bodyEnd === -1
        ? `${htmlLiquid}\n${UNSUBSCRIBE_HTML}\n`
        : `${htmlLiquid.slice(0, bodyEnd)}${UNSUBSCRIBE_HTML}\n${htmlLiquid.slice(bodyEnd)}`;
  }
  if (textLiquid !== undefined)
    built.files[parts.text] = hasLink ? textLiquid : `${textLiquid}\n\n${UNSUBSCRIBE_TEXT}\n`;
  if (!hasLink && (htmlLiquid !== undefined || textLiquid !== undefined)) {
    const ownLink = /unsubscribe|opt[- ]?out/i.test(`${html ?? ''}${text ?? ''}`);
    built.differences.push(
      `The template had no Waymark unsubscribe link, which a marketing email must show: one to {{ unsubscribeUrl }} was added at the end of ${[htmlLiquid === undefined ? undefined : parts.html, textLiquid === undefined ? undefined : parts.text].filter((file) => file !== undefined).join(' and ')}${ownLink ? "; the template's own unsubscribe or opt-out link still points where it pointed under Pinpoint: remove it" : ''}.`,
    );
  }
}

function buildSms(
  template: JsonObject,
  path: string,
  defaults: Map<string, string>,
  built: Built,
  problems: Problems,
): void {
  const body = stringField(template, 'Body', path, problems);
  if (template['Body'] === undefined)
    problems.add(`${path}.Body`, 'The SMS template has no Body.', 'the message text');
  if (body === undefined) return;
  const liquid = convertPart(body, 'sms', TEMPLATE_PARTS.sms.text, `${path}.Body`, defaults, built, problems);
  if (liquid !== undefined) built.files[TEMPLATE_PARTS.sms.text] = liquid;
}

function buildPush(
  template: JsonObject,
  path: string,
  defaults: Map<string, string>,
  built: Built,
  problems: Problems,
): void {
  const present: PushPlatform[] = [];
  for (const platform of PUSH_PLATFORMS) {
    const value = template[platform];
    if (value === undefined) continue;
    const at = `${path}.${platform}`;
    if (!isObject(value)) {
      problems.add(at, `${platform} is not a JSON object.`, `a ${PUSH_OBJECT_NAMES[platform]} object`);
      continue;
    }
    unknownKeys(value, PUSH_KEYS[platform], at, PUSH_OBJECT_NAMES[platform], problems);
    for (const key of PUSH_KEYS[platform]) stringField(value, key, at, problems);
    const action = value['Action'];
    if (action !== undefined && (typeof action !== 'string' || !PUSH_ACTIONS.includes(action)))
      problems.add(
        `${at}.Action`,
        `Action ${JSON.stringify(action)} is not one Pinpoint has.`,
        PUSH_ACTIONS.join(', '),
      );
    present.push(platform);
  }
  const [chosen, ...others] = present;
  if (chosen === undefined) {
    problems.add(
      path,
      'The push template has none of Default, GCM, APNS, ADM, Baidu.',
      'at least one of Default, APNS, GCM, ADM, Baidu',
    );
    return;
  }
  const source = template[chosen];
  if (!isObject(source)) return;
  const at = `${path}.${chosen}`;
  if (others.length > 0)
    built.differences.push(
      `Push: Waymark sends one title and body to every platform; the ${chosen} message was imported and the ${others.join(', ')} ${others.length > 1 ? 'messages were' : 'message was'} not.`,
    );
  const parts = TEMPLATE_PARTS.push;
  const text = (key: string): string => {
    const value = source[key];
    return typeof value === 'string' ? value : '';
  };
  if (text('Title') === '')
    built.differences.push(`Push: the ${chosen} message has no Title; ${parts.title} is empty.`);
  if (text('Body') === '')
    built.differences.push(`Push: the ${chosen} message has no Body; ${parts.body} is empty.`);
  const title = convertPart(text('Title'), 'push', parts.title, `${at}.Title`, defaults, built, problems);
  const body = convertPart(text('Body'), 'push', parts.body, `${at}.Body`, defaults, built, problems);
  if (title !== undefined) built.files[parts.title] = title;
  if (body !== undefined) built.files[parts.body] = body;
  const data: Record<string, string> = {};
  if (text('Action') !== '') data['action'] = text('Action');
  if (text('Url') !== '') {
    const url = convertPart(
      text('Url'),
      'push',
      `${parts.data} (url)`,
      `${at}.Url`,
      defaults,
      built,
      problems,
    );
    if (url !== undefined) data['url'] = url;
  }
  if (Object.keys(data).length > 0) {
    built.files[parts.data] = `${JSON.stringify(data, null, 2)}\n`;
    built.differences.push(
      `Push: Action and Url are in ${parts.data} as "action" and "url"; the app reads them from the notification's data.`,
    );
  }
  const dropped = Object.keys(source).filter((key) => !['Action', 'Body', 'Title', 'Url'].includes(key));
  if (dropped.length > 0)
    built.differences.push(
      `Push: ${dropped.join(', ')} of the ${chosen} message ${dropped.length > 1 ? 'are' : 'is'} not imported: Waymark's push messages carry a title, a body and data.`,
    );
}

/** A Pinpoint template as the files of templates/<name>/, with what each variable became and every difference. */
export function translatePinpointTemplate(input: unknown, options: { name?: string }): TemplateTranslation {
  const problems = new Problems();
  const located = locate(input, problems);
  if (located === undefined) return { ok: false, problems: problems.list };
  const { template, path, channel } = located;
  unknownKeys(
    template,
    KEYS[channel],
    path,
    `${channel === 'push' ? 'PushNotification' : channel === 'sms' ? 'SMS' : 'Email'}Template`,
    problems,
  );
  checkCommon(template, path, channel, problems);
  const pinpointName =
    options.name ??
    located.outerName ??
    (typeof template['TemplateName'] === 'string' ? template['TemplateName'] : undefined);
  const name = pinpointName === undefined ? undefined : waymarkTemplateName(pinpointName);
  if (name === undefined)
    problems.add(
      options.name === undefined ? `${path}.TemplateName` : 'options.name',
      pinpointName === undefined
        ? 'The template has no name (a bare request carries none).'
        : `"${pinpointName}" gives no Waymark template name.`,
      'TemplateName in the input, or options.name: letters, digits, "-" or "_"',
    );
  const defaults = parseDefaults(template, path, problems);
  const built: Built = { files: {}, report: [], differences: [] };
  if (typeof template['RecommenderId'] === 'string')
    built.differences.push(
      'RecommenderId: Waymark has no recommender models; Recommendations.* variables are not imported.',
    );
  switch (channel) {
    case 'email':
      buildEmail(template, path, defaults, built, problems);
      break;
    case 'sms':
      buildSms(template, path, defaults, built, problems);
      break;
    case 'push':
      buildPush(template, path, defaults, built, problems);
      break;
    default: {
      const unreachable: never = channel;
      throw new Error(`Unknown channel ${String(unreachable)}`);
    }
  }
  if (problems.list.length > 0 || name === undefined) return { ok: false, problems: problems.list };
  return {
    ok: true,
    name,
    files: built.files,
    report: built.report,
    differences: [...new Set(built.differences)],
  };
}

/**
 * A placeholder for a template a journey names and the export lacks. Each file says so and holds
 * a Liquid tag that does not exist, so rendering it fails and `waymark validate` reports an error
 * naming the file (`tag "PLACEHOLDER-imported-from-Pinpoint-template-not-found" not found`) until
 * someone writes the message.
 */
export function placeholderTemplate(name: string, channels: string[]): Record<string, string> {
  const files: Record<string, string> = {};
  const text = (file: string): string =>
    `{% comment %}PLACEHOLDER imported from Pinpoint: template ${name.replaceAll('%}', '% }')} was not found. Write ${file}, then delete this comment and the tag below, which stops the message from rendering until then.{% endcomment %}\n{% PLACEHOLDER-imported-from-Pinpoint-template-not-found %}\nPLACEHOLDER imported from Pinpoint: template ${name.replaceAll('{%', '{ %').replaceAll('{{', '{ {')} was not found.\n`;
  for (const channel of [...new Set(channels)].sort()) {
    const parts: string[] =
      channel === 'email'
        ? [TEMPLATE_PARTS.email.subject, TEMPLATE_PARTS.email.text]
        : channel === 'sms'
          ? [TEMPLATE_PARTS.sms.text]
          : channel === 'push'
            ? [TEMPLATE_PARTS.push.title, TEMPLATE_PARTS.push.body]
            : channel === 'webhook'
              ? [TEMPLATE_PARTS.webhook.body]
              : channel === 'function'
                ? [TEMPLATE_PARTS.function.body]
                : [];
    for (const file of parts) files[file] = text(file);
  }
  return files;
}
