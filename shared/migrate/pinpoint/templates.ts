/**
 * Pinpoint message templates (what `aws pinpoint get-email-template`, `get-sms-template` and
 * `get-push-template` print, or the bare EmailTemplateRequest, SMSTemplateRequest and
 * PushNotificationTemplateRequest) as the files of a Waymark template folder. Pure: no I/O, and
 * the same input always gives the same bytes.
 */
import { TEMPLATE_PARTS } from '../../render/templates.ts';
import { buildPush } from './template-push.ts';
import { buildEmail, buildSms, type Built } from './template-parts.ts';
import {
  checkCommon,
  KEYS,
  locate,
  parseDefaults,
  Problems,
  type TemplateProblem,
  unknownKeys,
} from './template-schema.ts';
import { waymarkTemplateName } from './template-variables.ts';

export { MAX_PART_CHARACTERS, type TemplateProblem } from './template-schema.ts';
export { waymarkTemplateName } from './template-variables.ts';

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
