/**
 * The local SNS's lasting state (platform endpoints and the SMS opt-out
 * list) kept in the data folder: a device registered before a restart must
 * still receive the push its journey sends after it.
 */
import * as z from 'zod';
import { readJsonFile, writeJsonFile } from './json-file.ts';
import type { SnsState } from './sns.ts';

const storedSchema = z.object({
  optedOut: z.array(z.string()),
  endpoints: z.array(
    z.object({
      arn: z.string(),
      platform: z.enum(['apns', 'fcm']),
      platformKey: z.enum(['GCM', 'APNS', 'APNS_SANDBOX']),
      attributes: z.array(z.tuple([z.string(), z.string()])),
    }),
  ),
});

export function loadSnsState(file: string, state: SnsState): void {
  const stored = readJsonFile(file, storedSchema);
  if (stored === undefined) return;
  for (const phone of stored.optedOut) state.optedOut.add(phone);
  for (const endpoint of stored.endpoints) {
    state.endpoints.set(endpoint.arn, { ...endpoint, attributes: new Map(endpoint.attributes) });
  }
}

export function saveSnsState(file: string, state: SnsState): void {
  const stored: z.infer<typeof storedSchema> = {
    optedOut: [...state.optedOut],
    endpoints: [...state.endpoints.values()].map((endpoint) => ({
      ...endpoint,
      attributes: [...endpoint.attributes],
    })),
  };
  try {
    writeJsonFile(file, stored);
  } catch {
    // The data folder went away under a running engine: nothing left to keep it for.
  }
}
