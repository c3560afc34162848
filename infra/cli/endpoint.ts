/**
 * What the commands that call an endpoint share: where they read (a local engine or AWS), which
 * keys to sign with, and how "nobody there" looks.
 */
import { isRecord, ownValue } from '../../shared/json.ts';
import { type AwsClients, createAwsClients } from '../../shared/aws/clients.ts';
import { DEFAULT_EXECUTION_LIMIT } from '../../shared/report/positions.ts';
import { resourcePrefix } from '../cdk/names.ts';
import { DEFAULT_LOCAL_ENDPOINT, LOCAL_CREDENTIALS, LOCAL_REGION, LOCAL_TABLE } from '../local/constants.ts';

function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}

/** Keys from the environment win; otherwise the local engine gets dummy keys and AWS the SDK's usual chain. */
export function credentialsFor(endpoint: string): typeof LOCAL_CREDENTIALS | undefined {
  const { AWS_ACCESS_KEY_ID: keyId, AWS_SECRET_ACCESS_KEY: secret } = process.env;
  const inEnvironment = keyId !== undefined && keyId !== '' && secret !== undefined && secret !== '';
  return !inEnvironment && isLoopback(endpoint) ? LOCAL_CREDENTIALS : undefined;
}

/** Node reports a refused connection as ECONNREFUSED, sometimes inside an AggregateError or as a cause. */
export function isConnectionRefused(error: unknown, depth = 0): boolean {
  if (depth > 4 || !isRecord(error)) return false;
  if (ownValue(error, 'code') === 'ECONNREFUSED') return true;
  const inner = ownValue(error, 'errors');
  if (Array.isArray(inner) && inner.some((item) => isConnectionRefused(item, depth + 1))) return true;
  return isConnectionRefused(ownValue(error, 'cause'), depth + 1);
}

/** A command line that cannot be acted on: answered with exit code 2 and the usage. */
export class UsageError extends Error {}

/** An empty flag (`--table ""`) counts as not given. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

/** The local engine's address: the flag, else $AWS_ENDPOINT_URL, else the default port. */
export function localEndpoint(flag: string | undefined): string {
  const endpoint = nonEmpty(flag) ?? nonEmpty(process.env.AWS_ENDPOINT_URL) ?? DEFAULT_LOCAL_ENDPOINT;
  if (!URL.canParse(endpoint))
    throw new UsageError(`${endpoint} is not a URL, e.g. ${DEFAULT_LOCAL_ENDPOINT}`);
  return endpoint;
}

/**
 * The local engine's virtual time, so a report on a scaled or manual clock is dated as the engine
 * sees it; undefined for an endpoint without the engine's local API.
 */
export async function engineTime(endpoint: string): Promise<Date | undefined> {
  try {
    const answer: unknown = await (await fetch(new URL('/_local/health', endpoint))).json();
    const now = isRecord(answer) ? ownValue(answer, 'now') : undefined;
    return typeof now === 'string' && !Number.isNaN(Date.parse(now)) ? new Date(now) : undefined;
  } catch {
    return undefined;
  }
}

/** Where `report` and `panel` read a stage: a local engine's endpoint, or AWS itself. */
export interface DataTarget {
  /** undefined: AWS itself, with the SDK's usual credentials and region. */
  endpoint: string | undefined;
  region: string | undefined;
  table: string;
  stage: string | undefined;
  /** Executions read per journey, newest first. */
  executionLimit: number;
}

/** The flags that name a target, for parseArgs. */
export const DATA_TARGET_OPTIONS = {
  endpoint: { type: 'string' },
  aws: { type: 'boolean' },
  table: { type: 'string' },
  stage: { type: 'string' },
  region: { type: 'string' },
  limit: { type: 'string' },
} as const;

export interface DataTargetFlags {
  endpoint?: string;
  aws?: boolean;
  table?: string;
  stage?: string;
  region?: string;
  limit?: string;
}

/** The target the flags name; `stageOnAws`: the command needs the stage on AWS (the panel's bus). */
export function dataTarget(flags: DataTargetFlags, stageOnAws: 'required' | 'optional'): DataTarget {
  const aws = flags.aws === true;
  if (aws && flags.endpoint !== undefined) throw new UsageError('give either --aws or --endpoint, not both');
  if (aws && nonEmpty(flags.table) === undefined)
    throw new UsageError("--aws needs --table, the stack's TableName output");
  if (aws && stageOnAws === 'required' && nonEmpty(flags.stage) === undefined)
    throw new UsageError('--aws needs --stage, the stage to read');
  if (!aws && flags.stage !== undefined) throw new UsageError('--stage names a deployed stage: add --aws');
  const executionLimit = Number(flags.limit ?? DEFAULT_EXECUTION_LIMIT);
  if (!Number.isInteger(executionLimit) || executionLimit < 1)
    throw new UsageError('--limit is a whole number of executions, e.g. 500');
  return {
    endpoint: aws ? undefined : localEndpoint(flags.endpoint),
    region: nonEmpty(flags.region) ?? nonEmpty(process.env.AWS_REGION) ?? (aws ? undefined : LOCAL_REGION),
    table: nonEmpty(flags.table) ?? LOCAL_TABLE,
    stage: nonEmpty(flags.stage),
    executionLimit,
  };
}

/** The SDK clients for a target: the endpoint's (with local keys on loopback), or AWS's. */
export function clientsFor(target: DataTarget): AwsClients {
  const credentials = target.endpoint === undefined ? undefined : credentialsFor(target.endpoint);
  return createAwsClients({
    ...(target.endpoint === undefined ? {} : { endpoint: target.endpoint }),
    ...(target.region === undefined ? {} : { region: target.region }),
    ...(credentials === undefined ? {} : { credentials }),
  });
}

/**
 * How the target's state machines are named before the journey id: "" at a local engine,
 * `waymark-<stage>-` for a stage on AWS; undefined: any prefix (AWS, no stage given).
 */
export function stateMachinePrefix(target: DataTarget): string | undefined {
  if (target.endpoint !== undefined) return '';
  return target.stage === undefined ? undefined : `${resourcePrefix(target.stage)}-`;
}
