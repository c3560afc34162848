/** What the edge's hostile-request tests share: a SigV4 header to route by, and checks on what an answer shows. */
import { tmpdir } from 'node:os';
import { expect } from 'vitest';
import type { RawAnswer } from '../support/signed-request.ts';

/** A SigV4 header the edge routes by: it reads the service in the credential scope, as AWS does. */
export function signedFor(service: string, target?: string): Record<string, string> {
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=test/20261118/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    ...(target === undefined ? {} : { 'x-amz-target': target }),
  };
}

/** Nothing an answer says may show the engine's insides: a stack frame or a path on this machine. */
export function expectNothingInternal(text: string): void {
  expect(text).not.toMatch(/\bat [^\s]+ \(/);
  expect(text).not.toMatch(/node_modules|<pre>|<html/i);
  expect(text).not.toContain(process.cwd());
  expect(text).not.toContain(tmpdir());
}

export function jsonOf(answer: RawAnswer): unknown {
  return JSON.parse(answer.text);
}
