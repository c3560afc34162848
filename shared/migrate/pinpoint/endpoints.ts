/**
 * A Pinpoint segment export (JSON Lines, one endpoint a line, as Pinpoint's CreateExportJob writes it)
 * read into one `customer.profile.updated` detail per customer. Pure: no file, no client; the CLI
 * (infra/cli/import-endpoints.ts) reads the file and puts the events.
 *
 * Decisions, each visible in the result:
 * - Customer: `User.UserId`; an endpoint without one becomes its own customer, with the endpoint `Id`
 *   as customer id (Pinpoint itself treats such an endpoint as an anonymous user of its own).
 * - Addresses: EMAIL to `email`, SMS to `phone`, APNS / APNS_SANDBOX / GCM to `push`. Waymark keeps one
 *   address per channel, so of a customer's endpoints on one channel the newest (`EffectiveDate`, then
 *   the later line) wins and the others are skipped with that reason.
 * - Push: Pinpoint keeps the device token, Waymark sends through an SNS platform endpoint. An address
 *   that is already an SNS endpoint ARN becomes `endpointArn`; a raw token is kept as `token`, so it is
 *   not lost: Waymark skips pushes to it ("the device token has no SNS endpoint yet") until an SNS
 *   platform endpoint is created for it (CreatePlatformEndpoint) and sent as `push.endpointArn`.
 * - Consent: `OptOut: "ALL"` makes the channel `opted-out`, from any endpoint of the customer on that
 *   channel, the skipped ones included (an opt-out is never lost and never turned into an opt-in).
 *   `OptOut: "NONE"` only says the person has not opted out: it is no record of consent, so by default
 *   the update leaves that channel's consent as it is (`unknown` on a new profile, where transactional
 *   messages go and marketing ones wait for an opt-in). A team holding its own opt-in records can ask
 *   for `noneAs: 'opted-in'`.
 * - Attributes: `User.UserAttributes` and the endpoint's own `Attributes`, both under Pinpoint's own names,
 *   as the template importer reads `{{User.UserAttributes.FirstName}}` and `{{Attributes.FirstName}}`
 *   (both `profile.attributes.FirstName`); one value becomes the string, several stay a list. A name in
 *   both: the user attribute wins (it describes the customer; an endpoint attribute, one of its
 *   devices), and an endpoint value that differs is listed in `skipped` on its line. Of a customer's
 *   endpoints, the newest one's value of an attribute wins. `Metrics` and `Location`: not imported.
 * - Skipped with a reason: INACTIVE endpoints, channels Waymark cannot reach (VOICE, BAIDU, ADM,
 *   APNS_VOIP, IN_APP, CUSTOM), endpoints without an Address.
 * - Problems (never a throw): a line that is not a JSON object, has no or an unknown ChannelType, an
 *   unknown OptOut or EndpointStatus, no customer id, or a value Waymark's profile refuses (an email
 *   that is not one, a phone not in E.164, an unknown time zone or locale); the rest of the line is kept.
 */
import * as z from 'zod';
import { type ProfileUpdate, profileUpdateSchema } from '../../events/built-in.ts';
import {
  customerIdSchema,
  emailAddressSchema,
  type JsonValue,
  localeSchema,
  phoneSchema,
  type PushEndpoint,
  timeZoneSchema,
} from '../../customer/profile.ts';

/** One customer's profile update, as the built-in `customer.profile.updated` event carries it. */
export type ProfileDetail = ProfileUpdate;

export interface EndpointSkip {
  line: number;
  reason: string;
}

export interface EndpointProblem {
  line: number;
  message: string;
}

export interface EndpointImport {
  /** One detail per customer, in the order each customer first appears in the export. */
  customers: ProfileDetail[];
  skipped: EndpointSkip[];
  problems: EndpointProblem[];
  /** Lines read as endpoints (blank lines not counted). */
  endpoints: number;
}

export interface EndpointImportOptions {
  /**
   * What `OptOut: "NONE"` becomes: `unknown` (default) leaves the channel's consent as it is;
   * `opted-in` records an opt-in on each channel the customer has an address for and no opt-out.
   */
  noneAs?: 'unknown' | 'opted-in';
}

export const PINPOINT_CHANNEL_TYPES = [
  'EMAIL',
  'SMS',
  'VOICE',
  'APNS',
  'APNS_SANDBOX',
  'APNS_VOIP',
  'APNS_VOIP_SANDBOX',
  'GCM',
  'BAIDU',
  'ADM',
  'IN_APP',
  'CUSTOM',
] as const;
type PinpointChannel = (typeof PINPOINT_CHANNEL_TYPES)[number];

/** The channels of the profile an endpoint can fill. */
type AddressChannel = 'email' | 'sms' | 'push';

const channelTypeSchema = z.enum(PINPOINT_CHANNEL_TYPES, {
  error: (issue) =>
    issue.input === undefined
      ? `ChannelType is missing: expected one of ${PINPOINT_CHANNEL_TYPES.join(', ')}`
      : `Unknown ChannelType ${JSON.stringify(issue.input)}: expected one of ${PINPOINT_CHANNEL_TYPES.join(', ')}`,
});

const optionalText = z.string().optional();
/** Pinpoint's attribute maps (`Attributes`, `User.UserAttributes`): each name to a list of strings. */
const attributeLists = (field: string) =>
  z
    .record(z.string(), z.array(z.string()), {
      error: `Expected ${field} as an object of string lists, e.g. {"FirstName": ["Ana"]}`,
    })
    .optional();

/** The fields of Pinpoint's EndpointResponse this import reads; the others are ignored. */
const endpointSchema = z.object({
  Id: optionalText,
  Address: optionalText,
  ChannelType: channelTypeSchema,
  OptOut: z.enum(['ALL', 'NONE'], { error: 'Expected OptOut "ALL" or "NONE"' }).optional(),
  EndpointStatus: z
    .enum(['ACTIVE', 'INACTIVE'], { error: 'Expected EndpointStatus "ACTIVE" or "INACTIVE"' })
    .optional(),
  EffectiveDate: optionalText,
  Attributes: attributeLists('Attributes'),
  User: z.object({ UserId: optionalText, UserAttributes: attributeLists('User.UserAttributes') }).optional(),
  Demographic: z.object({ Timezone: optionalText, Locale: optionalText, Platform: optionalText }).optional(),
});
type Endpoint = z.infer<typeof endpointSchema>;

/** A value with where and when it was set: the newest endpoint wins. */
interface Stamped<T> {
  value: T;
  at: number;
  line: number;
}

interface PendingCustomer {
  customerId: string;
  email?: Stamped<string>;
  phone?: Stamped<string>;
  push?: Stamped<PushEndpoint>;
  timeZone?: Stamped<string>;
  locale?: Stamped<string>;
  /** From `User.UserAttributes`. */
  attributes: Map<string, Stamped<JsonValue>>;
  /** From the endpoints' own `Attributes`: on the profile where `attributes` has no such name. */
  endpointAttributes: Map<string, Stamped<JsonValue>>;
  optedOut: Set<AddressChannel>;
  firstLine: number;
}

/** Reads an export one line at a time: add each line, then finish once. */
export class EndpointExportReader {
  private readonly customers = new Map<string, PendingCustomer>();
  private readonly skipped: EndpointSkip[] = [];
  private readonly problems: EndpointProblem[] = [];
  private endpoints = 0;

  constructor(private readonly options: EndpointImportOptions = {}) {}

  add(text: string, line: number): void {
    if (text.trim() === '') return;
    this.endpoints += 1;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      this.problem(
        line,
        `not JSON (${why}): expected one endpoint object per line, as Pinpoint's export writes it`,
      );
      return;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      this.problem(
        line,
        'expected an endpoint object such as {"Id": "...", "ChannelType": "EMAIL", "Address": "..."}',
      );
      return;
    }
    const read = endpointSchema.safeParse(parsed);
    if (!read.success) {
      for (const issue of read.error.issues) {
        const path = issue.path.map(String).join('.');
        this.problem(
          line,
          issue.message.includes(path) || path === '' ? issue.message : `${path}: ${issue.message}`,
        );
      }
      return;
    }
    this.addEndpoint(read.data, line);
  }

  finish(): EndpointImport {
    const customers: ProfileDetail[] = [];
    for (const pending of this.customers.values()) {
      const detail = this.detailOf(pending);
      // Every field was checked on its own; this only guards the whole against the event's schema.
      const checked = profileUpdateSchema.safeParse(detail);
      if (checked.success) customers.push(detail);
      else
        this.problem(
          pending.firstLine,
          `customer ${pending.customerId}: ${checked.error.issues.map((issue) => issue.message).join('; ')}`,
        );
    }
    const byLine = <T extends { line: number }>(items: T[]): T[] =>
      [...items].sort((a, b) => a.line - b.line);
    return {
      customers,
      skipped: byLine(this.skipped),
      problems: byLine(this.problems),
      endpoints: this.endpoints,
    };
  }

  private problem(line: number, message: string): void {
    this.problems.push({ line, message });
  }

  private addEndpoint(endpoint: Endpoint, line: number): void {
    const customerId = nonBlank(endpoint.User?.UserId) ?? nonBlank(endpoint.Id);
    if (customerId === undefined) {
      this.problem(line, 'no User.UserId and no Id: cannot tell whose endpoint this is');
      return;
    }
    const id = customerIdSchema.safeParse(customerId);
    if (!id.success) {
      this.problem(line, id.error.issues.map((issue) => issue.message).join('; '));
      return;
    }
    const customer = this.customerOf(customerId, line);
    const channel = addressChannel(endpoint.ChannelType);
    const optedOut = endpoint.OptOut === 'ALL';
    // An opt-out counts whatever else happens to the endpoint: never lost, never an opt-in.
    if (channel !== undefined && optedOut) customer.optedOut.add(channel);
    if (endpoint.EndpointStatus === 'INACTIVE') {
      this.skip(
        line,
        `INACTIVE endpoint${optedOut && channel !== undefined ? ' (its opt-out is kept)' : ''}: Pinpoint sends nothing to it`,
      );
      return;
    }
    const at = effectiveTime(endpoint.EffectiveDate);
    this.readProfileFields(customer, endpoint, { at, line });
    if (channel === undefined) {
      this.skip(line, `${endpoint.ChannelType} endpoint: Waymark has no ${endpoint.ChannelType} channel`);
      return;
    }
    const address = nonBlank(endpoint.Address);
    if (address === undefined) {
      this.skip(line, `${endpoint.ChannelType} endpoint without an Address: nothing to reach`);
      return;
    }
    this.readAddress(customer, endpoint.ChannelType, channel, address, { at, line });
  }

  private customerOf(customerId: string, line: number): PendingCustomer {
    const known = this.customers.get(customerId);
    if (known !== undefined) return known;
    const created: PendingCustomer = {
      customerId,
      attributes: new Map(),
      endpointAttributes: new Map(),
      optedOut: new Set(),
      firstLine: line,
    };
    this.customers.set(customerId, created);
    return created;
  }

  private skip(line: number, reason: string): void {
    this.skipped.push({ line, reason });
  }

  private readProfileFields(
    customer: PendingCustomer,
    endpoint: Endpoint,
    stamp: { at: number; line: number },
  ): void {
    const timeZone = nonBlank(endpoint.Demographic?.Timezone);
    if (timeZone !== undefined) {
      const read = timeZoneSchema.safeParse(timeZone);
      if (read.success) customer.timeZone = newer(customer.timeZone, { value: read.data, ...stamp });
      else this.problem(stamp.line, `Demographic.Timezone: ${firstMessage(read.error)} (left out)`);
    }
    const locale = nonBlank(endpoint.Demographic?.Locale);
    if (locale !== undefined) {
      // Pinpoint writes en_US; Waymark's locales are BCP 47 (en-US).
      const read = localeSchema.safeParse(locale.replaceAll('_', '-'));
      if (read.success) customer.locale = newer(customer.locale, { value: read.data, ...stamp });
      else
        this.problem(
          stamp.line,
          `Demographic.Locale ${JSON.stringify(locale)}: ${firstMessage(read.error)} (left out)`,
        );
    }
    readAttributes(customer.attributes, endpoint.User?.UserAttributes, stamp);
    readAttributes(customer.endpointAttributes, endpoint.Attributes, stamp);
  }

  private readAddress(
    customer: PendingCustomer,
    channelType: PinpointChannel,
    channel: AddressChannel,
    address: string,
    stamp: { at: number; line: number },
  ): void {
    switch (channel) {
      case 'email': {
        const read = emailAddressSchema.safeParse(address);
        if (!read.success) {
          this.problem(stamp.line, `Address of an EMAIL endpoint: ${firstMessage(read.error)}`);
          return;
        }
        customer.email = this.keepNewest(customer, channelType, customer.email, {
          value: read.data,
          ...stamp,
        });
        return;
      }
      case 'sms': {
        const read = phoneSchema.safeParse(address);
        if (!read.success) {
          this.problem(stamp.line, `Address of an SMS endpoint: ${firstMessage(read.error)}`);
          return;
        }
        customer.phone = this.keepNewest(customer, channelType, customer.phone, {
          value: read.data,
          ...stamp,
        });
        return;
      }
      case 'push': {
        const platform = channelType === 'GCM' ? 'fcm' : 'apns';
        const push: PushEndpoint = SNS_ENDPOINT_ARN.test(address)
          ? { platform, endpointArn: address }
          : { platform, token: address };
        customer.push = this.keepNewest(customer, channelType, customer.push, { value: push, ...stamp });
        return;
      }
      default: {
        const unreachable: never = channel;
        throw new Error(`Unknown channel ${String(unreachable)}`);
      }
    }
  }

  /** The newer of two addresses on one channel; the other is skipped, saying which line won. */
  private keepNewest<T>(
    customer: PendingCustomer,
    channelType: PinpointChannel,
    kept: Stamped<T> | undefined,
    candidate: Stamped<T>,
  ): Stamped<T> {
    const winner = newer(kept, candidate);
    if (kept !== undefined) {
      const loser = winner === candidate ? kept : candidate;
      this.skip(
        loser.line,
        `another ${channelType} endpoint of customer ${customer.customerId} (line ${winner.line}) is newer: ` +
          'Waymark keeps one address per channel',
      );
    }
    return winner;
  }

  private detailOf(pending: PendingCustomer): ProfileDetail {
    const consent: NonNullable<ProfileDetail['consent']> = {};
    const reachable: Record<AddressChannel, boolean> = {
      email: pending.email !== undefined,
      sms: pending.phone !== undefined,
      push: pending.push !== undefined,
    };
    for (const channel of ['email', 'sms', 'push'] as const) {
      if (pending.optedOut.has(channel)) consent[channel] = 'opted-out';
      else if (this.options.noneAs === 'opted-in' && reachable[channel]) consent[channel] = 'opted-in';
    }
    const attributes = Object.fromEntries(
      [...pending.attributes].map(([name, stamped]) => [name, stamped.value]),
    );
    for (const [name, stamped] of pending.endpointAttributes) {
      const user = pending.attributes.get(name);
      if (user === undefined) attributes[name] = stamped.value;
      else if (JSON.stringify(user.value) !== JSON.stringify(stamped.value))
        this.skip(
          stamped.line,
          `Attributes.${name} ${JSON.stringify(stamped.value)} not imported: User.UserAttributes.${name} ` +
            `(line ${user.line}) is on the profile under that name, and a user attribute wins`,
        );
    }
    return {
      customerId: pending.customerId,
      ...(pending.email === undefined ? {} : { email: pending.email.value }),
      ...(pending.phone === undefined ? {} : { phone: pending.phone.value }),
      ...(pending.push === undefined ? {} : { push: pending.push.value }),
      ...(pending.timeZone === undefined ? {} : { timeZone: pending.timeZone.value }),
      ...(pending.locale === undefined ? {} : { locale: pending.locale.value }),
      ...(Object.keys(consent).length === 0 ? {} : { consent }),
      ...(Object.keys(attributes).length === 0 ? {} : { attributes }),
    };
  }
}

const SNS_ENDPOINT_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:endpoint\/[^/]+\/[^/]+\/[^/]+$/;

function addressChannel(channelType: PinpointChannel): AddressChannel | undefined {
  switch (channelType) {
    case 'EMAIL':
      return 'email';
    case 'SMS':
      return 'sms';
    case 'APNS':
    case 'APNS_SANDBOX':
    case 'GCM':
      return 'push';
    case 'VOICE':
    case 'APNS_VOIP':
    case 'APNS_VOIP_SANDBOX':
    case 'BAIDU':
    case 'ADM':
    case 'IN_APP':
    case 'CUSTOM':
      return undefined;
    default: {
      const unreachable: never = channelType;
      throw new Error(`Unknown channel type ${String(unreachable)}`);
    }
  }
}

/** Pinpoint's attribute lists by name: one value as the string, several as the list; the newest wins. */
function readAttributes(
  into: Map<string, Stamped<JsonValue>>,
  lists: Record<string, string[]> | undefined,
  stamp: { at: number; line: number },
): void {
  for (const [name, values] of Object.entries(lists ?? {})) {
    if (name === '' || values.length === 0) continue;
    const value: JsonValue = values.length === 1 ? (values[0] ?? '') : values;
    into.set(name, newer(into.get(name), { value, ...stamp }));
  }
}

/** The later of two: the newer EffectiveDate, or on a tie (or none) the later line. */
function newer<T>(kept: Stamped<T> | undefined, candidate: Stamped<T>): Stamped<T> {
  if (kept === undefined) return candidate;
  return candidate.at >= kept.at ? candidate : kept;
}

function effectiveTime(date: string | undefined): number {
  const time = date === undefined ? Number.NaN : Date.parse(date);
  return Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time;
}

function nonBlank(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function firstMessage(error: z.ZodError): string {
  return error.issues[0]?.message ?? 'not accepted';
}

/** A whole export held in memory (a test, a small file); lines are numbered from 1. */
export function translateEndpointExport(text: string, options: EndpointImportOptions = {}): EndpointImport {
  const reader = new EndpointExportReader(options);
  text.split(/\r?\n/).forEach((line, index) => reader.add(line, index + 1));
  return reader.finish();
}

/**
 * An export read line by line (a file of millions of endpoints): only one pending profile per customer
 * is held, never the lines.
 */
export async function translateEndpointLines(
  lines: AsyncIterable<string> | Iterable<string>,
  options: EndpointImportOptions = {},
): Promise<EndpointImport> {
  const reader = new EndpointExportReader(options);
  let line = 0;
  for await (const text of lines) {
    line += 1;
    reader.add(text, line);
  }
  return reader.finish();
}
