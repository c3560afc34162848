/**
 * The parts of Pinpoint email and SMS templates as Waymark template files, each through the
 * Handlebars converter, with the unsubscribe link a marketing email must show. Pure.
 */
import { TEMPLATE_PARTS } from '../../render/templates.ts';
import { convertHandlebars } from './handlebars.ts';
import type { PinpointChannel } from './template-variables.ts';
import {
  isObject,
  type JsonObject,
  MAX_PART_CHARACTERS,
  type Problems,
  stringField,
} from './template-schema.ts';

/** The files, variable report and differences of one template, as its parts are added. */
export interface Built {
  files: Record<string, string>;
  report: { variable: string; became: string }[];
  differences: string[];
}

/** One part as Liquid, or undefined (with the problem added) when it cannot be read or is too long. */
export function convertPart(
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

export function buildEmail(
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

export function buildSms(
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
