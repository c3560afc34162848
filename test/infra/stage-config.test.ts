/**
 * What stops synth (infra/cdk/config.ts, compile-project.ts): a broken journey, and a stage
 * configuration in cdk.json that is wrong, each with a message the user can act on.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblem } from '../../shared/journey/problem.ts';
import { loadProject } from '../../shared/project/load.ts';
import { JourneyProblemsError } from '../../infra/cdk/compile-project.ts';
import { ConfigurationError, readDeploymentConfig } from '../../infra/cdk/config.ts';
import {
  cdkContext,
  copySampleJourneys,
  EXISTING,
  PROJECT_ROOT,
  readJourney,
  removeTemporaryFolders,
  SAMPLE_JOURNEYS,
  SYNTH_TIMEOUT,
  synthWaymark,
  writeJourney,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

describe('what stops synth', () => {
  it(
    "a broken journey: the validator's messages, from the app and from the command line",
    () => {
      // Prepare
      const dir = copySampleJourneys();
      const cart = readJourney(dir, 'cart-abandonment');
      writeJourney(dir, {
        ...cart,
        id: 'cart-abandonment',
        steps: { ...cart.steps, remind: { ...cart.steps.remind, next: 'await-ordr' } },
      });
      const expected = loadProject(dir)
        .problems.filter((problem) => problem.severity === 'error')
        .map(formatProblem);
      expect(expected.length).toBeGreaterThan(0);
      // Act
      const inProcess = (() => {
        try {
          synthWaymark({ journeysDir: dir });
          return undefined;
        } catch (error) {
          return error;
        }
      })();
      const cli = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'infra/cdk/app.ts')], {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        env: {
          ...process.env,
          CDK_OUTDIR: join(dir, 'cdk.out'),
          CDK_CONTEXT_JSON: JSON.stringify({ ...cdkContext(), 'waymark:journeysDir': dir }),
        },
      });
      // Assess
      expect(inProcess).toBeInstanceOf(JourneyProblemsError);
      for (const message of expected) {
        expect(String(inProcess)).toContain(message);
        expect(cli.stderr).toContain(message);
      }
      expect(cli.stderr).toContain('did you mean');
      expect(cli.status).toBe(1);
      expect(cli.stderr).not.toMatch(/^\s+at /m);
    },
    SYNTH_TIMEOUT,
  );

  describe('stage configuration', () => {
    const settings = loadProject(SAMPLE_JOURNEYS).settings;
    const settingsFile = join(SAMPLE_JOURNEYS, 'settings.json');
    const read = (stage: unknown, stages: unknown) => () => {
      if (settings === undefined) throw new Error('sample settings.json does not load');
      const context: Record<string, unknown> = { 'waymark:stage': stage, 'waymark:stages': stages };
      return readDeploymentConfig((key) => context[key], settings, settingsFile);
    };
    const dev = (overrides: Record<string, unknown>) => ({
      dev: { sesIdentity: 'shop.example.com', ...overrides },
    });

    it('merges the stage over settings.json', () => {
      const config = read(
        'dev',
        dev({ configurationSet: 'waymark-dev', unsubscribeBaseUrl: 'function-url' }),
      )();
      expect(config).toMatchObject({
        stage: 'dev',
        sender: 'Waymark Demo Shop <hello@shop.example.com>',
        senderAddress: 'hello@shop.example.com',
        configurationSet: 'waymark-dev',
        smsOriginationNumber: '+15555550100',
        unsubscribe: { kind: 'function-url' },
        env: undefined,
      });
      expect(read('dev', dev({}))().unsubscribe).toEqual({
        kind: 'url',
        url: 'https://shop.example.com/unsubscribe',
      });
    });

    it("takes the stage's send rates over settings.json's, channel by channel", () => {
      const config = read('dev', dev({ sendRates: { sms: 3 } }))();
      expect(config.sendRates).toEqual({ ...settings?.sendRates, sms: 3 });
    });

    it.each([
      [undefined, dev({}), /"waymark:stage": required/],
      [
        'dev',
        dev({ sendRates: { email: 0 } }),
        /\.dev\.sendRates\.email: A send rate is a number of messages a second/,
      ],
      ['Prod', dev({}), /"waymark:stage": a stage name is 1 to 12 lowercase letters/],
      ['prod', dev({}), /"waymark:stages"\.prod: no such stage\. Defined: dev/],
      ['dev', { dev: {} }, /"waymark:stages"\.dev\.sesIdentity: required: the SES identity/],
      [
        'dev',
        dev({ sesIdentity: 'other.example.com' }),
        /hello@shop\.example\.com is not covered by the SES identity "other\.example\.com"/,
      ],
      [
        'dev',
        dev({ senderAddress: 'not an address' }),
        /"waymark:stages"\.dev\.senderAddress: expected "hello@shop\.example\.com"/,
      ],
      [
        'dev',
        dev({ smsOriginationNumber: '555-0100' }),
        /\.dev\.smsOriginationNumber: expected an E\.164 phone number/,
      ],
      [
        'dev',
        dev({ unsubscribeBaseUrl: 'http://shop.example.com/u' }),
        /\.dev\.unsubscribeBaseUrl: expected an https:\/\/ URL/,
      ],
      ['dev', dev({ account: '123456789012' }), /set both account and region, or neither/],
      ['dev', dev({ sesIdentty: 'x' }), /"waymark:stages"\.dev: Unrecognized key: "sesIdentty"/],
    ])('stage %s with %j: %s', (stage, stages, message) => {
      expect(read(stage, stages)).toThrow(ConfigurationError);
      expect(read(stage, stages)).toThrow(message);
    });

    it('takes the existing resources a stage names: a bus, a key, or a key with its table', () => {
      expect(read('dev', dev({}))()).toMatchObject({
        eventBus: { kind: 'create' },
        customerData: { kind: 'create' },
      });
      expect(
        read('dev', dev({ existingEventBusArn: EXISTING.eventBusArn, existingKeyArn: EXISTING.keyArn }))(),
      ).toMatchObject({
        eventBus: { kind: 'existing', arn: EXISTING.eventBusArn },
        customerData: { kind: 'existing-key', keyArn: EXISTING.keyArn },
      });
      const pinned = read(
        'dev',
        dev({
          account: '111111111111',
          region: 'eu-west-1',
          existingTableArn: EXISTING.tableArn,
          existingKeyArn: EXISTING.keyArn,
        }),
      )();
      expect(pinned.customerData).toEqual({
        kind: 'existing-table',
        keyArn: EXISTING.keyArn,
        tableArn: EXISTING.tableArn,
      });
      expect(pinned.eventBus).toEqual({ kind: 'create' });
    });

    it.each([
      [
        dev({ existingEventBusArn: 'shop-events' }),
        /"waymark:stages"\.dev\.existingEventBusArn: expected an event bus ARN, "arn:aws:events:<region>:<account>:event-bus\/<name>"\.$/,
      ],
      [
        dev({ existingEventBusArn: 'arn:aws:events:eu-west-1:111111111111:event-bus/default' }),
        /\.dev\.existingEventBusArn: the default bus cannot be Waymark's bus/,
      ],
      [
        dev({
          existingTableArn: `${EXISTING.tableArn}/stream/2026-01-01T00:00:00.000`,
          existingKeyArn: EXISTING.keyArn,
        }),
        /\.dev\.existingTableArn: expected a DynamoDB table ARN, "arn:aws:dynamodb:<region>:<account>:table\/<name>"/,
      ],
      [
        dev({ existingTableArn: EXISTING.tableArn }),
        /\.dev\.existingTableArn: needs existingKeyArn, the customer managed KMS key the table is encrypted with/,
      ],
      [
        dev({ existingKeyArn: 'arn:aws:kms:eu-west-1:111111111111:alias/shop' }),
        /\.dev\.existingKeyArn: expected a KMS key ARN, .*, not an alias: .*aws kms describe-key --key-id alias\/<name>/,
      ],
      [
        dev({ existingKeyArn: '1234abcd-12ab-34cd-56ef-1234567890ab' }),
        /\.dev\.existingKeyArn: expected a KMS key ARN, "arn:aws:kms:<region>:<account>:key\/<key id>"\.$/,
      ],
      [dev({ existingKeyArn: 42 }), /\.dev\.existingKeyArn: expected a KMS key ARN/],
      [
        dev({ account: '222222222222', region: 'eu-west-1', existingEventBusArn: EXISTING.eventBusArn }),
        /\.dev\.existingEventBusArn: in account 111111111111, region eu-west-1, but the stage deploys to account 222222222222, region eu-west-1/,
      ],
      [
        dev({
          account: '111111111111',
          region: 'us-east-1',
          existingTableArn: EXISTING.tableArn,
          existingKeyArn: EXISTING.keyArn,
        }),
        /\.dev\.existingTableArn: in account 111111111111, region eu-west-1, but the stage deploys to account 111111111111, region us-east-1[^]*\.dev\.existingKeyArn: in account 111111111111, region eu-west-1/,
      ],
      [
        dev({
          existingEventBusArn: EXISTING.eventBusArn,
          existingKeyArn: EXISTING.keyArn.replace('eu-west-1', 'us-east-1'),
        }),
        /"waymark:stages"\.dev: existingEventBusArn is in 111111111111\/eu-west-1, existingKeyArn is in 111111111111\/us-east-1\. Existing resources must all be in the account and region the stack deploys to/,
      ],
    ])('existing resources %j: %s', (stages, message) => {
      expect(read('dev', stages)).toThrow(ConfigurationError);
      expect(read('dev', stages)).toThrow(message);
    });
  });
});
