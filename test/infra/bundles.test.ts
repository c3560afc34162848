/**
 * The functions as esbuild bundles them (constructs/waymark-function.ts): what each asset holds, and
 * that each starts on Node with the environment the template gives it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUnsubscribeToken } from '../../shared/preferences/unsubscribe-token.ts';
import { ENVIRONMENT } from '../../shared/runtime/environment.ts';
import { FUNCTION_NAMES, type FunctionName } from '../../infra/cdk/constructs/waymark-function.ts';
import {
  logicalId,
  PROJECT_ROOT,
  removeTemporaryFolders,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthWaymark,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

/**
 * Calls a bundled handler once in a fresh Node process, as the Lambda runtime would: the bundle's
 * folder as LAMBDA_TASK_ROOT, the given environment, and the project's AWS SDK standing in for the
 * runtime's (the bundles leave it out).
 */
function invokeBundle(
  synth: Synthesized,
  dir: string,
  environment: Record<string, string>,
  event: unknown,
): { stdout: string; stderr: string; result: string } {
  const sdk = join(synth.assembly.directory, 'node_modules');
  if (!existsSync(sdk)) symlinkSync(join(PROJECT_ROOT, 'node_modules'), sdk, 'dir');
  const script = `
    const { handler } = await import(${JSON.stringify(join(dir, 'index.mjs'))});
    const result = await handler(${JSON.stringify(event)}, { functionName: 'test', awsRequestId: 'test', getRemainingTimeInMillis: () => 5000 });
    process.stdout.write('RESULT' + JSON.stringify(result));
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH,
      LAMBDA_TASK_ROOT: dir,
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...environment,
    },
  });
  const marker = run.stdout.lastIndexOf('RESULT');
  return { stdout: run.stdout, stderr: run.stderr, result: marker < 0 ? '' : run.stdout.slice(marker + 6) };
}

describe('real bundles', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark({ code: 'esbuild' });
  }, SYNTH_TIMEOUT);

  const assetDir = (name: FunctionName): string => {
    const template = Template.fromStack(synth.stack).toJSON();
    const key: string = template.Resources[logicalId(synth.stack.functions[name])].Properties.Code.S3Key;
    return join(synth.assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
  };

  it('ship a minified ES module with its source map and the journeys folder, without the JSON Schemas', () => {
    for (const name of FUNCTION_NAMES) {
      const dir = assetDir(name);
      expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map', 'journeys']);
      expect(existsSync(join(dir, 'journeys', 'settings.json'))).toBe(true);
      expect(existsSync(join(dir, 'journeys', 'templates', 'cart-reminder', 'email.subject.liquid'))).toBe(
        true,
      );
      expect(readdirSync(join(dir, 'journeys')).filter((file) => file.endsWith('.schema.json'))).toEqual([]);
      // Minified: few lines for its size (unminified, esbuild writes a line per statement, about
      // 40 characters each; template literals, such as zod's generated checks, keep theirs).
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.split('\n').length).toBeLessThan(code.length / 200);
      expect(code).toContain('//# sourceMappingURL=index.mjs.map');
      // 300 KB was the goal before tracing. Powertools Tracer's X-Ray SDK (aws-xray-sdk-core, semver,
      // cls-hooked) adds about 110 KB to each function, the price of seeing every AWS call in a trace,
      // and reading event files' JSON Schemas (@cfworker/json-schema) 23 KB. The largest, deliver, was
      // 422 KB: zod 104, liquidjs 82, the X-Ray SDK 110, ours about 60.
      expect(statSync(join(dir, 'index.mjs')).size).toBeLessThan(450 * 1024);
    }
  });

  it(
    'start with exactly the environment the template gives them (no secret for those that must not read it)',
    () => {
      const core = Template.fromStack(synth.stack).toJSON();
      // Events these functions refuse before any AWS call: enough to prove the runtime starts.
      for (const name of ['record', 'resume', 'goals', 'preferences'] as const) {
        const variables: Record<string, unknown> =
          core.Resources[logicalId(synth.stack.functions[name])].Properties.Environment.Variables;
        const environment = Object.fromEntries(
          Object.entries(variables).map(([key, value]) => [
            key,
            typeof value === 'string' ? value : 'from-the-template',
          ]),
        );
        expect(environment).not.toHaveProperty(ENVIRONMENT.unsubscribeSecretArn);
        const run = invokeBundle(synth, assetDir(name), environment, { 'detail-type': 'nothing' });
        expect(run.stderr, name).not.toMatch(/not set|Error/);
        expect(run.result, name).toMatch(/"status":"(rejected|ignored)"|"kind":"ignored"/);
      }
    },
    SYNTH_TIMEOUT,
  );

  it(
    'load on Node and answer from the bundled journeys (the unsubscribe page)',
    () => {
      const secret = 'test-secret';
      const environment = {
        POWERTOOLS_DEV: 'false',
        [ENVIRONMENT.table]: 'unused',
        [ENVIRONMENT.unsubscribeSecret]: secret,
      };
      // GET only shows a page: neither token makes the function call DynamoDB.
      const page = (token: string): { status: unknown; body: unknown } => {
        const run = invokeBundle(synth, assetDir('unsubscribe'), environment, {
          requestContext: { http: { method: 'GET' } },
          queryStringParameters: { token },
          headers: {},
        });
        expect(run.stderr).not.toMatch(/Error/);
        const response = JSON.parse(run.result);
        return { status: response.statusCode, body: response.body };
      };
      const invalid = page('not-a-token');
      expect(invalid.status).toBe(400);
      expect(invalid.body).toContain('This link does not work');
      // The sender's name comes from the bundled journeys/settings.json: no environment variable sets it.
      const valid = page(signUnsubscribeToken({ customerId: 'c-1', channel: 'email' }, secret, new Date()));
      expect(valid.status).toBe(200);
      expect(valid.body).toContain('Waymark Demo Shop');
    },
    SYNTH_TIMEOUT,
  );
});
