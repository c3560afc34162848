/** What the commands that call an endpoint share: which keys to sign with, and how "nobody there" looks. */
import { isRecord, ownValue } from '../../shared/json.ts';
import { DEFAULT_LOCAL_ENDPOINT, LOCAL_CREDENTIALS } from '../local/constants.ts';

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
