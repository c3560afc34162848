/**
 * Pinpoint message variables as Waymark Liquid expressions. Pure: text in, text out.
 *
 * The attribute contract with the endpoint importer (endpoints.ts): a Pinpoint endpoint's
 * `User.UserAttributes.X` and `Attributes.X` (lists of strings) land on the profile as
 * `profile.attributes.X`, under Pinpoint's own attribute name, holding the first value (a list of
 * one string renders the same in Liquid, so either way of storing it gives the same text).
 * `User.UserId` is the customer id; `Demographic.Timezone` and `Demographic.Locale` are the
 * profile's time zone and locale; the endpoint `Address` is the email address or phone number.
 * When a user attribute and an endpoint attribute share a name, the profile holds the user attribute's
 * value, and the endpoint importer reports the endpoint's as not imported.
 *
 * The Handlebars around the variables is converted in handlebars.ts.
 */

export type PinpointChannel = 'email' | 'sms' | 'push';

export type VariableMapping =
  /** `always`: the value is on every profile, so no `| default` is needed. */
  | { kind: 'mapped'; liquid: string; always: boolean }
  | { kind: 'literal'; text: string }
  | { kind: 'none'; why: string };

/** A Pinpoint template name as a Waymark template folder name: "CartReminder_v2" -> "cart-reminder-v2". */
export function waymarkTemplateName(pinpointName: string): string | undefined {
  const name = pinpointName
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return name === '' ? undefined : name;
}

/** `User.UserAttributes.FirstName.[0]` -> ["User", "UserAttributes", "FirstName", "0"]. */
export function pathSegments(path: string): string[] {
  const segments: string[] = [];
  const pattern = /\[([^\]]*)\]|([^.[\]/]+)/g;
  for (const match of path.matchAll(pattern)) segments.push(match[1] ?? match[2] ?? '');
  return segments;
}

/** The key a variable is known by in DefaultSubstitutions, with a first-value index dropped. */
export function variableKey(path: string): string {
  const segments = pathSegments(path);
  if (segments.length > 1 && segments.at(-1) === '0') segments.pop();
  return segments.join('.');
}

/** A Liquid string literal for any text (a double quote inside is kept by quoting with single quotes). */
export function liquidString(text: string): string | undefined {
  if (!text.includes('"')) return `"${text}"`;
  if (!text.includes("'")) return `'${text}'`;
  return undefined;
}

/** `name` as a member of the Liquid expression `base`: `base.name`, or `base["odd name"]`. */
export function member(base: string, name: string): string | undefined {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `${base}.${name}`;
  const quoted = liquidString(name);
  return quoted === undefined ? undefined : `${base}[${quoted}]`;
}

/** Endpoint fields Pinpoint has and Waymark keeps nothing like. */
const NO_COUNTERPART: Record<string, string> = {
  Id: 'a Waymark profile is a customer, not one of its endpoints; profile.customerId is the customer id',
  Location: 'Waymark keeps no location on a profile',
  Metrics: 'Waymark keeps no endpoint metrics on a profile',
  Demographic: 'Waymark keeps only the time zone and locale of a device on a profile',
  OptOut: 'consent is per channel in Waymark (profile.consent), and opted-out customers get no message',
  EndpointStatus: 'Waymark keeps no endpoint status',
  EffectiveDate: 'Waymark keeps no endpoint dates',
  CreationDate: 'Waymark keeps no endpoint dates',
  RequestId: 'Waymark keeps no endpoint request ids',
  CohortId: 'Waymark keeps no cohort ids',
  ApplicationId: 'a Waymark project has no Pinpoint application',
  Recommendations: 'Waymark has no recommender models',
  User: 'Waymark keeps only the user id and attributes of a Pinpoint user',
  Address: 'a push address is a device token, which Waymark keeps out of templates',
  ChannelType: 'a push message goes to every platform the customer has',
};

/** What a Pinpoint variable becomes in a template of this channel. */
export function mapVariable(path: string, channel: PinpointChannel): VariableMapping {
  const segments = pathSegments(path);
  if (segments.length > 1 && segments.at(-1) === '0') segments.pop();
  const [root, second, third] = segments;
  const attribute = (name: string | undefined, rest: number): VariableMapping => {
    const liquid = name === undefined || rest > 0 ? undefined : member('profile.attributes', name);
    return liquid === undefined
      ? { kind: 'none', why: 'only a whole attribute, or its first value, has a Waymark counterpart' }
      : { kind: 'mapped', liquid, always: false };
  };
  if (root === 'User' && second === 'UserId' && segments.length === 2)
    return { kind: 'mapped', liquid: 'profile.customerId', always: true };
  if (root === 'User' && second === 'UserAttributes') return attribute(third, segments.length - 3);
  if (root === 'Attributes') return attribute(second, segments.length - 2);
  if (root === 'Demographic' && segments.length === 2 && second === 'Timezone')
    return { kind: 'mapped', liquid: 'profile.timeZone', always: false };
  if (root === 'Demographic' && segments.length === 2 && second === 'Locale')
    return { kind: 'mapped', liquid: 'profile.locale', always: false };
  if (root === 'Address' && segments.length === 1 && channel !== 'push')
    return { kind: 'mapped', liquid: channel === 'email' ? 'profile.email' : 'profile.phone', always: false };
  if (root === 'ChannelType' && segments.length === 1 && channel !== 'push')
    return { kind: 'literal', text: channel === 'email' ? 'EMAIL' : 'SMS' };
  const why = root === undefined ? undefined : NO_COUNTERPART[root];
  if (why !== undefined) return { kind: 'none', why };
  // A name that is no endpoint field is a message variable: a journey value in Waymark.
  if (root !== undefined && segments.length === 1) {
    const liquid = member('values', root);
    if (liquid !== undefined) return { kind: 'mapped', liquid, always: false };
  }
  return { kind: 'none', why: 'it is neither an endpoint field nor a message variable Waymark can take' };
}
