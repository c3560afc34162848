/** Pinpoint's EMAIL, SMS, PUSH and CUSTOM activities as Waymark send steps. */
import type { Activity } from './pinpoint-schema.ts';
import { waymarkTemplateName } from './template-variables.ts';
import type { JsonObject } from './start-condition.ts';
import type { ActivityContext, TranslatedActivity } from './waits.ts';

/** The template importer's rule (CartReminder_v2 -> cart-reminder-v2), so a send finds its template. */
export function templateFolder(name: string): string {
  return waymarkTemplateName(name) ?? 'pinpoint-template';
}

function templateStep(name: string, context: ActivityContext, differences: string[]): string {
  const folder = templateFolder(name);
  if (folder !== name)
    differences.push(
      `template "${name}" renamed "${folder}" (Waymark folders are lowercase letters, digits and "-")`,
    );
  const known = context.knownTemplates;
  if (known === undefined || (!known.has(name) && !known.has(folder))) {
    differences.push(
      `template missing: placeholder (journeys/templates/${folder}/ until the template is imported)`,
    );
  }
  return folder;
}

/** A name for settings' webhooks or functions, from a URL's host or a function's name. */
function targetName(text: string): string {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '');
  return (name === '' ? 'pinpoint-custom' : name).slice(0, 48).replace(/-+$/, '');
}

function customChannel(
  activityPath: string,
  uri: string | undefined,
  context: ActivityContext,
  differences: string[],
): JsonObject | undefined {
  const lambda =
    /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9_$-]+)?$/.exec(
      uri ?? '',
    );
  const bareName = /^[A-Za-z0-9_-]{1,64}$/.test(uri ?? '') ? uri : undefined;
  const functionName = lambda?.[1] ?? bareName;
  if (functionName !== undefined) {
    const name = targetName(functionName);
    differences.push(
      `Lambda ${uri ?? ''} became the function channel "${name}": declare it in settings.json "functions" (its payload differs from Pinpoint's: see docs/channels.md)`,
    );
    return { channel: 'function', function: name };
  }
  const url = uri?.startsWith('https://') === true && URL.canParse(uri) ? new URL(uri) : undefined;
  if (url !== undefined) {
    const name = targetName(url.hostname.replace(/\./g, '-'));
    differences.push(
      `${uri ?? ''} became the webhook "${name}": declare it in settings.json "webhooks" with its url and a secret (Waymark signs the request)`,
    );
    return { channel: 'webhook', endpoint: name };
  }
  context.findings.problem(
    `${activityPath}.CUSTOM.DeliveryUri`,
    `${JSON.stringify(uri ?? null)} is neither a Lambda function nor an https URL`,
    'a Lambda function name or ARN, or a full https:// URL',
  );
  return undefined;
}

export function sendStep(
  activityId: string,
  activity: Activity,
  kind: 'EMAIL' | 'SMS' | 'PUSH' | 'CUSTOM',
  sid: string,
  path: string,
  context: ActivityContext,
): TranslatedActivity | undefined {
  const differences: string[] = [];
  const send = activity[kind];
  if (send === undefined) return undefined;
  let channel: JsonObject;
  let category = 'marketing';
  if (kind === 'CUSTOM') {
    const custom = customChannel(path, activity.CUSTOM?.DeliveryUri, context, differences);
    if (custom === undefined) return undefined;
    channel = { ...custom, reaches: 'system' };
    differences.push(
      '"reaches": "system": consent, caps and quiet hours do not apply; make it "customer" if the call puts a message before the customer',
    );
    const types = activity.CUSTOM?.EndpointTypes;
    if (types !== undefined)
      differences.push(
        `EndpointTypes ${types.join(', ')}: Waymark calls once per customer, not per endpoint`,
      );
    if (activity.CUSTOM?.MessageConfig?.Data !== undefined) {
      differences.push(
        "MessageConfig.Data: put it in the template's function.json.liquid or webhook.json.liquid",
      );
    }
  } else {
    channel = { channel: kind.toLowerCase() };
    if (activity.SMS?.MessageConfig?.MessageType === 'TRANSACTIONAL') category = 'transactional';
    const config = activity[kind]?.MessageConfig;
    if (config !== undefined) {
      const keys = Object.keys(config).filter((key) => key !== 'MessageType');
      if (keys.length > 0)
        differences.push(`MessageConfig ${keys.join(', ')}: set in settings.json senders, not per step`);
    }
  }
  const name = send.TemplateName ?? (kind === 'CUSTOM' ? `pinpoint-${sid.toLowerCase()}` : undefined);
  if (name === undefined) {
    context.findings.problem(
      `${path}.${kind}.TemplateName`,
      `A ${kind} activity needs a TemplateName`,
      'the name of a Pinpoint message template',
    );
    return undefined;
  }
  const template = templateStep(name, context, differences);
  if (send.TemplateVersion !== undefined)
    differences.push(
      `TemplateVersion ${send.TemplateVersion}: Waymark uses the template folder as committed`,
    );
  differences.push(
    `category "${category}"${category === 'marketing' ? ': opt-in consent, caps and quiet hours apply' : ''}`,
  );
  const description: JsonObject =
    activity.Description === undefined ? {} : { description: activity.Description.slice(0, 1000) };
  const step = {
    type: 'send',
    ...description,
    ...channel,
    template,
    category,
    next: context.target(send.NextActivity),
  };
  return {
    steps: [[sid, step]],
    became: `step "${sid}" (send ${kind === 'CUSTOM' ? String(activity.CUSTOM?.DeliveryUri?.startsWith('https://') === true ? 'webhook' : 'function') : kind.toLowerCase()} "${template}")`,
    differences,
  };
}
