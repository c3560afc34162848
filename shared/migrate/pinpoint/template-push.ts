/**
 * A Pinpoint push template (Default, APNS, GCM, ADM, Baidu messages) as Waymark's push title, body
 * and data files: one message is imported for every platform, and what is left is named. Pure.
 */
import { TEMPLATE_PARTS } from '../../render/templates.ts';
import { convertPart, type Built } from './template-parts.ts';
import { isObject, type JsonObject, type Problems, stringField, unknownKeys } from './template-schema.ts';

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

/** Checks every platform message and imports the first present, in the order of PUSH_PLATFORMS. */
export function buildPush(
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
