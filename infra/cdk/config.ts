/**
 * Deployment configuration: what differs between stages and AWS accounts,
 * read from cdk.json context and checked before anything is built.
 *
 * journeys/settings.json holds what the marketer decides (caps, quiet hours,
 * sender, configuration set, origination number, unsubscribe URL) and is what
 * the local engine uses. A stage in cdk.json may override the last four for
 * its account; the deployed functions then receive the stage's value in their
 * environment. A value the stage leaves out comes from settings.json.
 */
import * as z from 'zod';
import { phoneSchema } from '../../shared/customer/profile.ts';
import type { Settings } from '../../shared/journey/schema.ts';

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
  readonly unsubscribe: UnsubscribeEndpoint;
  readonly alarmEmail: string | undefined;
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const ADDRESS = /^[^\s@<>"]+@([^\s@<>"]+)$/;

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
  unsubscribeBaseUrl: z
    .string()
    .refine((value) => value === FUNCTION_URL || isHttpsUrl(value), {
      error: `expected an https:// URL, or "${FUNCTION_URL}" for the stack's own unsubscribe endpoint`,
    })
    .optional(),
  account: z
    .string()
    .regex(/^\d{12}$/, { error: 'expected a 12-digit AWS account id' })
    .optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'expected an AWS region such as "eu-west-1"' })
    .optional(),
  alarmEmail: z.email({ error: 'expected an email address for alarm notifications' }).optional(),
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
  const where = `cdk.json context "${CONTEXT.stages}".${stage.data}`;
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
    unsubscribe:
      unsubscribeBaseUrl === FUNCTION_URL
        ? { kind: 'function-url' }
        : { kind: 'url', url: unsubscribeBaseUrl },
    alarmEmail: input.alarmEmail,
  };
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
