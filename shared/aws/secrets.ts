/**
 * Named secrets the channels need (a webhook's signing secret): an
 * environment variable of that name locally, a Secrets Manager secret of that
 * name on AWS, read once and kept for a few minutes so a rotation is picked up.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface SecretReader {
  /** The secret's value, or undefined when there is no such secret (or it is empty). */
  get(name: string): Promise<string | undefined>;
}

const KEEP_MS = 5 * 60_000;

/** `fallback`: the value of a secret the environment does not set (the local engine's fixed one), if any. */
export function secretsFromEnvironment(
  environment: NodeJS.ProcessEnv,
  fallback?: (name: string) => string,
): SecretReader {
  return {
    get: (name) => {
      const value = environment[name];
      return Promise.resolve(value === undefined || value === '' ? fallback?.(name) : value);
    },
  };
}

export function secretsFromSecretsManager(
  client: Pick<SecretsManagerClient, 'send'>,
  now: () => number = Date.now,
): SecretReader {
  const kept = new Map<string, { value: string | undefined; until: number }>();
  return {
    async get(name) {
      const cached = kept.get(name);
      if (cached !== undefined && cached.until > now()) return cached.value;
      let value: string | undefined;
      try {
        const secret = await client.send(new GetSecretValueCommand({ SecretId: name }));
        value = secret.SecretString === '' ? undefined : secret.SecretString;
      } catch (error) {
        // No such secret is an answer (the send is refused, named); anything else reaches the caller,
        // which tries the step again later (dispatch.ts).
        if (!(error instanceof Error && error.name === 'ResourceNotFoundException')) throw error;
        value = undefined;
      }
      kept.set(name, { value, until: now() + KEEP_MS });
      return value;
    },
  };
}
