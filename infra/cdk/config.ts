/**
 * Deployment configuration: what differs between stages and AWS accounts,
 * read from cdk.json context and checked before anything is built.
 *
 * journeys/settings.json holds what the marketer decides (caps, quiet hours,
 * sender, configuration set, origination number, unsubscribe URL, webhook
 * URLs) and is what the local engine uses. A stage in cdk.json may override
 * the last five for its account; the deployed functions then receive the
 * stage's value in their environment. A value the stage leaves out comes from
 * settings.json. A stage may also name an existing event bus, KMS key and
 * table to use instead of creating its own.
 */
import * as z from 'zod';
import { phoneSchema } from '../../shared/customer/profile.ts';
import { type Settings, sendRatesSchema } from '../../shared/journey/schema.ts';
import type { SendRates } from '../../shared/delivery/send-rates.ts';
import { type WebhookUrls, webhookUrlsSchema } from '../../shared/project/overrides.ts';
import { didYouMean } from '../../shared/text/suggest.ts';

export const CONTEXT = {
  /** Which entry of `waymark:stages` to deploy; `-c waymark:stage=prod` picks another. */
  stage: 'waymark:stage',
  stages: 'waymark:stages',
  /** The journeys folder, relative to the project root. */
  journeysDir: 'waymark:journeysDir',
} as const;

export const DEFAULT_JOURNEYS_DIR = 'journeys';

/** `unsubscribeBaseUrl` value meaning "the stack's own Lambda function URL". */
export const FUNCTION_URL = 'function-url';

export type UnsubscribeEndpoint = { kind: 'function-url' } | { kind: 'url'; url: string };

/** Where the stage's event bus comes from (`existingEventBusArn`). */
export type EventBusSource =
  /** The stack creates `waymark-<stage>` and an archive of it. */
  | { readonly kind: 'create' }
  /** A bus the team already has, in the stage's account and region: no bus, no archive created. */
  | { readonly kind: 'existing'; readonly arn: string };

/**
 * Where the KMS key and the table of customer data come from (`existingKeyArn`, `existingTableArn`).
 * An existing table comes with the customer managed key it is encrypted with: the functions are
 * granted that key through DynamoDB only (and Secrets Manager, for the unsubscribe secret).
 */
export type CustomerDataSource =
  | { readonly kind: 'create' }
  /** The stack creates the table and the unsubscribe secret, encrypted with this key. */
  | { readonly kind: 'existing-key'; readonly keyArn: string }
  /** The stack creates only the unsubscribe secret, encrypted with the key. */
  | { readonly kind: 'existing-table'; readonly keyArn: string; readonly tableArn: string };

export interface DeploymentConfig {
  /** Lowercase letters and digits; part of every resource name, so stages never collide. */
  readonly stage: string;
  /** Set when the stage pins an account and region; otherwise the stack is environment-agnostic. */
  readonly env: { readonly account: string; readonly region: string } | undefined;
  /** The verified SES identity messages are sent from: a domain or one address. */
  readonly sesIdentity: string;
  /** The From header as written, e.g. `Shop <hello@shop.example.com>`. */
  readonly sender: string;
  /** The bare address inside `sender`. */
  readonly senderAddress: string;
  /** The SES configuration set the stack creates and every email names. */
  readonly configurationSet: string;
  readonly smsOriginationNumber: string | undefined;
  /** Messages a second per channel: settings.json's, with the stage's own over them. */
  readonly sendRates: SendRates;
  readonly unsubscribe: UnsubscribeEndpoint;
  /**
   * The stage's own webhook URLs by endpoint name, over settings.json's (only those it sets). Each is
   * https and names a webhook settings.json declares.
   */
  readonly webhookUrls: WebhookUrls;
  readonly alarmEmail: string | undefined;
  readonly eventBus: EventBusSource;
  readonly customerData: CustomerDataSource;
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const ADDRESS = /^[^\s@<>"]+@([^\s@<>"]+)$/;

const PARTITION = 'aws(?:-[a-z]+)*';
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d';
const ACCOUNT = '\\d{12}';
const EVENT_BUS_ARN = new RegExp(
  `^arn:${PARTITION}:events:${REGION}:${ACCOUNT}:event-bus/[A-Za-z0-9._/-]{1,256}$`,
);
const TABLE_ARN = new RegExp(`^arn:${PARTITION}:dynamodb:${REGION}:${ACCOUNT}:table/[A-Za-z0-9_.-]{3,255}$`);
const KEY_ARN = new RegExp(
  `^arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`,
);
const KEY_ALIAS_ARN = new RegExp(`^arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:alias/`);

const EXPECTED_BUS = 'expected an event bus ARN, "arn:aws:events:<region>:<account>:event-bus/<name>"';
const EXPECTED_TABLE = 'expected a DynamoDB table ARN, "arn:aws:dynamodb:<region>:<account>:table/<name>"';
const EXPECTED_KEY = 'expected a KMS key ARN, "arn:aws:kms:<region>:<account>:key/<key id>"';

const stageName = z.string().regex(/^[a-z][a-z0-9]{0,11}$/, {
  error:
    'a stage name is 1 to 12 lowercase letters and digits, starting with a letter (it prefixes resource names)',
});

const stageSchema = z.strictObject({
  sesIdentity: z
    .string({ error: 'required: the SES identity you verified, a domain ("shop.example.com") or an address' })
    .refine((value) => DOMAIN.test(value) || ADDRESS.test(value), {
      error: 'expected a domain ("shop.example.com") or an email address verified in SES',
    }),
  senderAddress: z.string().optional(),
  configurationSet: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, {
      error: 'an SES configuration set name is 1 to 64 letters, digits, "-" or "_"',
    })
    .optional(),
  // A profile's phone rule (SNS sends only to E.164), with a message worded like the other cdk.json errors.
  smsOriginationNumber: z
    .string()
    .refine((value) => phoneSchema.safeParse(value).success, {
      error: 'expected an E.164 phone number such as "+15555550100"',
    })
    .optional(),
  sendRates: sendRatesSchema.optional(),
  unsubscribeBaseUrl: z
    .string()
    .refine((value) => value === FUNCTION_URL || isHttpsUrl(value), {
      error: `expected an https:// URL, or "${FUNCTION_URL}" for the stack's own unsubscribe endpoint`,
    })
    .optional(),
  webhookUrls: webhookUrlsSchema.optional(),
  account: z
    .string()
    .regex(/^\d{12}$/, { error: 'expected a 12-digit AWS account id' })
    .optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'expected an AWS region such as "eu-west-1"' })
    .optional(),
  alarmEmail: z.email({ error: 'expected an email address for alarm notifications' }).optional(),
  existingEventBusArn: z
    .string({ error: EXPECTED_BUS })
    .regex(EVENT_BUS_ARN, { error: EXPECTED_BUS, abort: true })
    .refine((arn) => !arn.endsWith(':event-bus/default'), {
      error:
        "the default bus cannot be Waymark's bus: its rules' ARNs leave out the bus name, so the one permission that lets the journeys' rules invoke goals and resume (rule/<bus>/*) would match none of them, and it carries every AWS service event of the account. Give a custom bus, or leave existingEventBusArn out for the stack's own",
    })
    .optional(),
  existingTableArn: z
    .string({ error: EXPECTED_TABLE })
    .regex(TABLE_ARN, { error: EXPECTED_TABLE })
    .optional(),
  existingKeyArn: z
    .string({ error: EXPECTED_KEY })
    .refine((arn) => KEY_ARN.test(arn), {
      error: (issue) =>
        typeof issue.input === 'string' && KEY_ALIAS_ARN.test(issue.input)
          ? `${EXPECTED_KEY}, not an alias: IAM grants name the key itself (aws kms describe-key --key-id alias/<name> shows its ARN)`
          : EXPECTED_KEY,
    })
    .optional(),
});

type StageInput = z.infer<typeof stageSchema>;

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

/** Reads a cdk.json context value; the App's `node.tryGetContext`. */
export type ContextReader = (key: string) => unknown;

export function journeysDirFrom(context: ContextReader): string {
  const value = context(CONTEXT.journeysDir);
  if (value === undefined) return DEFAULT_JOURNEYS_DIR;
  if (typeof value !== 'string' || value === '') {
    throw new ConfigurationError(`cdk.json context "${CONTEXT.journeysDir}": expected a folder path.`);
  }
  return value;
}

/**
 * The stage's configuration merged over settings.json, every problem reported at once.
 * `settingsFile` names settings.json in messages about values taken from it.
 */
export function readDeploymentConfig(
  context: ContextReader,
  settings: Settings,
  settingsFile: string,
): DeploymentConfig {
  const stage = stageName.safeParse(context(CONTEXT.stage));
  if (!stage.success) {
    throw new ConfigurationError(
      `cdk.json context "${CONTEXT.stage}": ${context(CONTEXT.stage) === undefined ? 'required: which stage to deploy, e.g. "dev"' : issueText(stage.error.issues)}.`,
    );
  }
  const stages = context(CONTEXT.stages);
  const where = stageWhere(stage.data);
  if (!isPlainObject(stages)) {
    throw new ConfigurationError(
      `cdk.json context "${CONTEXT.stages}": expected an object with one entry per stage, e.g. { "${stage.data}": { "sesIdentity": "shop.example.com" } }.`,
    );
  }
  if (!Object.hasOwn(stages, stage.data)) {
    const defined = Object.keys(stages);
    throw new ConfigurationError(
      `${where}: no such stage. Defined: ${defined.length === 0 ? 'none' : defined.join(', ')}.`,
    );
  }
  const parsed = stageSchema.safeParse(stages[stage.data]);
  if (!parsed.success) {
    throw new ConfigurationError(
      parsed.error.issues.map((issue) => `${where}${pathText(issue.path)}: ${issue.message}.`).join('\n'),
    );
  }
  return resolveStage(stage.data, parsed.data, settings, { where, settingsFile });
}

function resolveStage(
  stage: string,
  input: StageInput,
  settings: Settings,
  origin: { where: string; settingsFile: string },
): DeploymentConfig {
  const problems: string[] = [];
  const sender = input.senderAddress ?? settings.senders.email.from;
  const senderOrigin =
    input.senderAddress === undefined
      ? `${origin.settingsFile} senders.email.from`
      : `${origin.where}.senderAddress`;
  const senderAddress = addressIn(sender);
  if (senderAddress === undefined) {
    problems.push(`${senderOrigin}: expected "hello@shop.example.com" or "Shop <hello@shop.example.com>".`);
  } else if (!identityCovers(input.sesIdentity, senderAddress)) {
    problems.push(
      `${senderOrigin}: ${senderAddress} is not covered by the SES identity "${input.sesIdentity}" (${origin.where}.sesIdentity). ` +
        'Use the address itself or its domain as the identity, or set senderAddress for this stage.',
    );
  }
  if ((input.account === undefined) !== (input.region === undefined)) {
    problems.push(
      `${origin.where}: set both account and region, or neither (the stack then deploys where your credentials point).`,
    );
  }
  problems.push(...existingResourceProblems(input, origin.where));
  problems.push(...webhookUrlProblems(input, settings, origin));
  if (problems.length > 0 || senderAddress === undefined) throw new ConfigurationError(problems.join('\n'));
  const unsubscribeBaseUrl = input.unsubscribeBaseUrl ?? settings.unsubscribe.baseUrl;
  return {
    stage,
    env:
      input.account === undefined || input.region === undefined
        ? undefined
        : { account: input.account, region: input.region },
    sesIdentity: input.sesIdentity,
    sender,
    senderAddress,
    // Configuration sets are unique per account and region: each stage has its own, whatever settings.json says.
    configurationSet: input.configurationSet ?? `waymark-${stage}`,
    smsOriginationNumber: input.smsOriginationNumber ?? settings.senders.sms.originationNumber,
    sendRates: { ...settings.sendRates, ...input.sendRates },
    unsubscribe:
      unsubscribeBaseUrl === FUNCTION_URL
        ? { kind: 'function-url' }
        : { kind: 'url', url: unsubscribeBaseUrl },
    webhookUrls: input.webhookUrls ?? {},
    alarmEmail: input.alarmEmail,
    eventBus:
      input.existingEventBusArn === undefined
        ? { kind: 'create' }
        : { kind: 'existing', arn: input.existingEventBusArn },
    customerData: customerDataSource(input),
  };
}

/** How messages name a stage's entry in cdk.json, e.g. `cdk.json context "waymark:stages".dev`. */
export function stageWhere(stage: string): string {
  return `cdk.json context "${CONTEXT.stages}".${stage}`;
}

/** A stage's webhook URL must replace one settings.json declares: any other name is a typo. */
function webhookUrlProblems(
  input: StageInput,
  settings: Settings,
  origin: { where: string; settingsFile: string },
): string[] {
  const declared = Object.keys(settings.webhooks);
  return Object.keys(input.webhookUrls ?? {})
    .filter((name) => !Object.hasOwn(settings.webhooks, name))
    .map((name) => {
      const hint = didYouMean(name, declared);
      return (
        `${origin.where}.webhookUrls.${name}: ${origin.settingsFile} declares no webhook "${name}"` +
        `${hint === undefined ? '' : ` (${hint})`}. Declared: ${declared.length === 0 ? 'none' : declared.join(', ')}.`
      );
    });
}

function customerDataSource(input: StageInput): CustomerDataSource {
  if (input.existingKeyArn === undefined) return { kind: 'create' };
  if (input.existingTableArn === undefined) return { kind: 'existing-key', keyArn: input.existingKeyArn };
  return { kind: 'existing-table', keyArn: input.existingKeyArn, tableArn: input.existingTableArn };
}

/**
 * Existing resources must be where the stack deploys: rules are created on the bus, and the grants,
 * the table's key and the functions' calls all stay in one account and region. With the stage's
 * account and region known they are checked against those, otherwise against each other.
 */
function existingResourceProblems(input: StageInput, where: string): string[] {
  const problems: string[] = [];
  if (input.existingTableArn !== undefined && input.existingKeyArn === undefined) {
    problems.push(
      `${where}.existingTableArn: needs existingKeyArn, the customer managed KMS key the table is encrypted with. ` +
        'The functions are granted that key for DynamoDB only; a table under an AWS owned or AWS managed key is not supported.',
    );
  }
  const given = (
    [
      ['existingEventBusArn', input.existingEventBusArn],
      ['existingTableArn', input.existingTableArn],
      ['existingKeyArn', input.existingKeyArn],
    ] as const
  ).flatMap(([field, arn]) => (arn === undefined ? [] : [{ field, ...placeOf(arn) }]));
  if (input.account !== undefined && input.region !== undefined) {
    for (const { field, account, region } of given) {
      if (account === input.account && region === input.region) continue;
      problems.push(
        `${where}.${field}: in account ${account}, region ${region}, but the stage deploys to account ${input.account}, region ${input.region} (${where}.account, .region). ` +
          'Waymark uses existing resources in its own account and region only.',
      );
    }
  } else if (new Set(given.map(({ account, region }) => `${account}/${region}`)).size > 1) {
    problems.push(
      `${where}: ${given.map(({ field, account, region }) => `${field} is in ${account}/${region}`).join(', ')}. ` +
        'Existing resources must all be in the account and region the stack deploys to; set account and region for this stage to have synth check which.',
    );
  }
  return problems;
}

/** An ARN already matched by the schema: `arn:<partition>:<service>:<region>:<account>:...`. */
function placeOf(arn: string): { region: string; account: string } {
  const [, , , region = '', account = ''] = arn.split(':');
  return { region, account };
}

/** `hello@x.com` or `Name <hello@x.com>`. */
function addressIn(from: string): string | undefined {
  const bracketed = /<([^<>]+)>\s*$/.exec(from);
  const address = (bracketed?.[1] ?? from).trim();
  return ADDRESS.test(address) ? address : undefined;
}

/**
 * Only exact matches: an address identity covers itself, a domain identity its own addresses. SES
 * also lets a parent domain cover subdomains, but IAM then authorizes against the parent's ARN; an
 * exact identity keeps the grant and the sender obviously the same.
 */
function identityCovers(identity: string, address: string): boolean {
  const lowerIdentity = identity.toLowerCase();
  const lowerAddress = address.toLowerCase();
  if (lowerIdentity.includes('@')) return lowerIdentity === lowerAddress;
  return lowerAddress.slice(lowerAddress.lastIndexOf('@') + 1) === lowerIdentity;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pathText(path: readonly PropertyKey[]): string {
  return path
    .map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`))
    .join('');
}

function issueText(issues: readonly { message: string }[]): string {
  return issues.map((issue) => issue.message).join('; ');
}
