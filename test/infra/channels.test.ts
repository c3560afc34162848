/**
 * The channels beyond email, SMS and push on AWS (channel-targets.ts, constructs/channel-grants.ts,
 * constructs/ses-configuration-set.ts): deliver may send WhatsApp from the sender's number, invoke
 * the custom functions and read the webhook secrets that deployed journeys use, each exactly and
 * nothing else; a deployed webhook is https; the configuration set publishes what the history keeps.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Settings, settingsSchema } from '../../shared/journey/schema.ts';
import { applyStageOverrides } from '../../shared/project/overrides.ts';
import { loadProject } from '../../shared/project/load.ts';
import { ENVIRONMENT } from '../../shared/runtime/environment.ts';
import { channelTargets } from '../../infra/cdk/channel-targets.ts';
import { ConfigurationError } from '../../infra/cdk/config.ts';
import { CHANNEL_GRANT_SIDS } from '../../infra/cdk/constructs/channel-grants.ts';
import { FUNCTION_NAMES, type FunctionName } from '../../infra/cdk/constructs/waymark-function.ts';
import {
  asArray,
  copySampleJourneys,
  devStage,
  logicalId,
  type PolicyStatementJson,
  readJourney,
  removeTemporaryFolders,
  roleOf,
  SAMPLE_JOURNEYS,
  SYNTH_TIMEOUT,
  type Synthesized,
  synthWaymark,
  writeJourney,
} from '../support/infra.ts';

afterAll(removeTemporaryFolders);

/** The actions the new channels need, by the Sid that grants each. */
const ACTIONS = {
  [CHANNEL_GRANT_SIDS.whatsapp]: 'social-messaging:SendWhatsAppMessage',
  [CHANNEL_GRANT_SIDS.functions]: 'lambda:InvokeFunction',
  [CHANNEL_GRANT_SIDS.webhookSecrets]: 'secretsmanager:GetSecretValue',
} as const;

const ARN_PREFIX = 'arn:<AWS::Partition>';
const HERE = '<AWS::Region>:<AWS::AccountId>';
const SAMPLE_PHONE_HEX = '0123456789abcdef0123456789abcdef';

interface Statement extends PolicyStatementJson {
  Sid?: string;
}

/** Every Allow statement of the core stack's IAM policies, with the roles holding it. */
function statements(synth: Synthesized): { roles: string[]; statement: Statement }[] {
  return Object.values(Template.fromStack(synth.stack).findResources('AWS::IAM::Policy')).flatMap((policy) =>
    policy.Properties.PolicyDocument.Statement.map((statement: Statement) => ({
      roles: policy.Properties.Roles.map((role: { Ref: string }) => role.Ref),
      statement,
    })),
  );
}

/** The deliver role's statement with this Sid (undefined when there is none), resources flattened. */
function deliverGrant(
  synth: Synthesized,
  sid: string,
): { actions: string[]; resources: string[] } | undefined {
  const deliverRole = logicalId(roleOf(synth, 'deliver'));
  const found = statements(synth).filter(
    ({ roles, statement }) => roles.includes(deliverRole) && statement.Sid === sid,
  );
  expect(found.length, sid).toBeLessThanOrEqual(1);
  const statement = found[0]?.statement;
  if (statement === undefined) return undefined;
  expect(statement.Effect).toBe('Allow');
  return {
    actions: asArray(statement.Action),
    resources: asArray(statement.Resource).map(flattenCfnReference).sort(),
  };
}

/** The runtime functions whose roles allow this action (state machines invoke theirs, too). */
function functionsAllowed(synth: Synthesized, action: string): FunctionName[] {
  const roles = new Set(
    statements(synth)
      .filter(({ statement }) => statement.Effect === 'Allow' && asArray(statement.Action).includes(action))
      .flatMap(({ roles }) => roles),
  );
  return FUNCTION_NAMES.filter((name) => roles.has(logicalId(roleOf(synth, name))));
}

/** Rewrites a journeys folder's settings.json, defaults filled in, after `edit`. */
function editSettings(dir: string, edit: (settings: Settings) => void): void {
  const file = join(dir, 'settings.json');
  const settings = settingsSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  edit(settings);
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
}

const webhook = (url: string, secret: string) => ({ url, secret, headers: {}, timeoutSeconds: 5 });

function addTemplate(dir: string, name: string, files: Record<string, string>): void {
  mkdirSync(join(dir, 'templates', name), { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, 'templates', name, file), text);
}

const FUNCTION_BODY =
  '{ "customerId": {{ profile.customerId | json }}, "offer": {{ values.offerCode | json }} }\n';

/**
 * The samples, with cart-abandonment also calling two custom functions (one by name:alias, one by
 * ARN) and a second webhook, the WhatsApp sender given by ARN, and a draft journey that uses a
 * function and a webhook of its own (which must earn no grant).
 */
function journeysWithFunctions(): string {
  const dir = copySampleJourneys();
  editSettings(dir, (settings) => {
    if (settings.senders.whatsapp === undefined) throw new Error('the samples have a WhatsApp sender');
    settings.senders.whatsapp.phoneNumberId = `arn:aws:social-messaging:eu-west-1:111111111111:phone-number-id/${'f'.repeat(32)}`;
    settings.functions = {
      'in-app': { functionName: 'shop-in-app:live', timeoutSeconds: 5 },
      crm: { functionName: 'arn:aws:lambda:eu-west-1:111111111111:function:crm-sync', timeoutSeconds: 5 },
      'draft-only': { functionName: 'draft-only-function', timeoutSeconds: 5 },
    };
    settings.webhooks['crm-hook'] = webhook('https://crm.example.com/hooks/waymark', 'waymark/crm-hook');
    // Only a draft calls this one: http would stop synth if it were deployed.
    settings.webhooks['draft-hook'] = webhook('http://127.0.0.1:4010/draft', 'waymark/draft-hook');
  });
  addTemplate(dir, 'cart-in-app', { 'function.json.liquid': FUNCTION_BODY });
  addTemplate(dir, 'cart-crm', { 'webhook.json.liquid': FUNCTION_BODY });
  const cart = readJourney(dir, 'cart-abandonment');
  const send = (channel: string, target: Record<string, string>, template: string, next: string) => ({
    type: 'send',
    channel,
    ...target,
    template,
    category: 'marketing',
    next,
  });
  cart.steps.retarget.next = 'in-app';
  cart.steps['in-app'] = send('function', { function: 'in-app', reaches: 'customer' }, 'cart-in-app', 'crm');
  cart.steps.crm = send('function', { function: 'crm', reaches: 'system' }, 'cart-in-app', 'crm-hook');
  cart.steps['crm-hook'] = send('webhook', { endpoint: 'crm-hook', reaches: 'system' }, 'cart-crm', 'done');
  writeJourney(dir, cart);
  writeJourney(dir, {
    ...cart,
    id: 'cart-draft',
    status: 'draft',
    steps: {
      ...cart.steps,
      'in-app': { ...cart.steps['in-app'], function: 'draft-only' },
      'crm-hook': { ...cart.steps['crm-hook'], endpoint: 'draft-hook' },
    },
  });
  return dir;
}

/**
 * The samples with nothing beyond email, SMS and push deployed: the WhatsApp fallback dropped, the
 * webhook step made a draft journey of its own; opens and clicks not tracked.
 */
function journeysWithoutTargets(): string {
  const dir = copySampleJourneys();
  editSettings(dir, (settings) => {
    settings.tracking = { opens: false, clicks: false };
    settings.functions = { 'in-app': { functionName: 'shop-in-app', timeoutSeconds: 5 } };
  });
  const cart = readJourney(dir, 'cart-abandonment');
  writeJourney(dir, { ...cart, id: 'cart-webhook-draft', status: 'draft' });
  cart.steps.nudge.channel = ['push', 'sms', 'email'];
  cart.steps.nudge.next = 'done';
  delete cart.steps.retarget;
  writeJourney(dir, cart);
  return dir;
}

describe('which targets the deployed journeys use', () => {
  it('lists the WhatsApp steps, and the webhooks and functions by name with the steps that call them', () => {
    // Prepare
    const project = loadProject(journeysWithFunctions());
    const journeys = project.journeys.map(({ journey }) => journey);
    const deployed = journeys.filter((journey) => journey.status !== 'draft');
    // Act
    const targets = channelTargets(deployed);
    // Assess
    expect(targets.whatsapp).toEqual([{ journeyId: 'cart-abandonment', stepId: 'nudge' }]);
    expect([...targets.webhooks]).toEqual([
      ['ads-audience', [{ journeyId: 'cart-abandonment', stepId: 'retarget' }]],
      ['crm-hook', [{ journeyId: 'cart-abandonment', stepId: 'crm-hook' }]],
    ]);
    expect([...targets.functions]).toEqual([
      ['crm', [{ journeyId: 'cart-abandonment', stepId: 'crm' }]],
      ['in-app', [{ journeyId: 'cart-abandonment', stepId: 'in-app' }]],
    ]);
    expect([...channelTargets(journeys).functions.keys()]).toContain('draft-only');
  });
});

describe("deliver's grants for the sample journeys", () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark();
  }, SYNTH_TIMEOUT);

  it("sends WhatsApp from the sender's phone number only, its ARN built in the stack's region and account", () => {
    expect(deliverGrant(synth, CHANNEL_GRANT_SIDS.whatsapp)).toEqual({
      actions: [ACTIONS[CHANNEL_GRANT_SIDS.whatsapp]],
      resources: [`${ARN_PREFIX}:social-messaging:${HERE}:phone-number-id/${SAMPLE_PHONE_HEX}`],
    });
  });

  it("reads the called webhook's signing secret by name, with Secrets Manager's six-character suffix", () => {
    expect(deliverGrant(synth, CHANNEL_GRANT_SIDS.webhookSecrets)).toEqual({
      actions: [ACTIONS[CHANNEL_GRANT_SIDS.webhookSecrets]],
      resources: [`${ARN_PREFIX}:secretsmanager:${HERE}:secret:WAYMARK_ADS_WEBHOOK_SECRET-??????`],
    });
  });

  it('invokes no function when no deployed journey has a function step', () => {
    expect(deliverGrant(synth, CHANNEL_GRANT_SIDS.functions)).toBeUndefined();
    expect(functionsAllowed(synth, ACTIONS[CHANNEL_GRANT_SIDS.functions])).toEqual([]);
  });

  it("gives the stage's webhook URLs (cdk.json) to deliver, and to no other function", () => {
    const core = Template.fromStack(synth.stack);
    const urls = synth.config.webhookUrls;
    expect(Object.keys(urls)).toEqual(['ads-audience']);
    core.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Send steps'),
      Environment: { Variables: Match.objectLike({ [ENVIRONMENT.webhookUrls]: JSON.stringify(urls) }) },
    });
    const withUrls = Object.values(core.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Environment?.Variables?.[ENVIRONMENT.webhookUrls] !== undefined,
    );
    expect(withUrls).toHaveLength(1);
  });

  it('publishes deliveries, bounces and complaints, and opens and clicks as settings.json tracks both', () => {
    const core = Template.fromStack(synth.stack);
    core.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: { Ref: logicalId(synth.stack.ses.configurationSet) },
      EventDestination: Match.objectLike({
        MatchingEventTypes: ['delivery', 'bounce', 'complaint', 'open', 'click'],
      }),
    });
    core.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      Description: Match.stringLikeRegexp(
        '^SES deliveries, bounces, complaints, opens and clicks of configuration set waymark-dev ',
      ),
    });
  });
});

describe("deliver's grants with custom functions, a second webhook and a draft", () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark({ journeysDir: journeysWithFunctions() });
  }, SYNTH_TIMEOUT);

  it('invokes each function a deployed journey uses on its exact ARN: a name (alias kept) in this stack, an ARN as given', () => {
    expect(deliverGrant(synth, CHANNEL_GRANT_SIDS.functions)).toEqual({
      actions: [ACTIONS[CHANNEL_GRANT_SIDS.functions]],
      resources: [
        `${ARN_PREFIX}:lambda:${HERE}:function:shop-in-app:live`,
        'arn:aws:lambda:eu-west-1:111111111111:function:crm-sync',
      ],
    });
  });

  it('reads the secret of each webhook a deployed journey calls, never one only a draft calls', () => {
    expect(deliverGrant(synth, CHANNEL_GRANT_SIDS.webhookSecrets)).toEqual({
      actions: [ACTIONS[CHANNEL_GRANT_SIDS.webhookSecrets]],
      resources: [
        `${ARN_PREFIX}:secretsmanager:${HERE}:secret:WAYMARK_ADS_WEBHOOK_SECRET-??????`,
        `${ARN_PREFIX}:secretsmanager:${HERE}:secret:waymark/crm-hook-??????`,
      ],
    });
  });

  it('takes a WhatsApp sender given by ARN as it is', () => {
    expect(deliverGrant(synth, CHANNEL_GRANT_SIDS.whatsapp)?.resources).toEqual([
      `arn:aws:social-messaging:eu-west-1:111111111111:phone-number-id/${'f'.repeat(32)}`,
    ]);
  });

  it('grants these actions to deliver alone of the functions, never with a wildcard action', () => {
    expect(functionsAllowed(synth, ACTIONS[CHANNEL_GRANT_SIDS.whatsapp])).toEqual(['deliver']);
    expect(functionsAllowed(synth, ACTIONS[CHANNEL_GRANT_SIDS.functions])).toEqual(['deliver']);
    // unsubscribe reads the unsubscribe secret, and that one only.
    expect(functionsAllowed(synth, ACTIONS[CHANNEL_GRANT_SIDS.webhookSecrets])).toEqual([
      'deliver',
      'unsubscribe',
    ]);
    for (const { statement } of statements(synth)) {
      expect(asArray(statement.Action).filter((action) => action.includes('*'))).toEqual([]);
    }
  });
});

describe('no grant for a channel no deployed journey uses', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthWaymark({ journeysDir: journeysWithoutTargets() });
  }, SYNTH_TIMEOUT);

  it('leaves out WhatsApp, functions and webhook secrets, though settings.json declares all three', () => {
    for (const sid of Object.values(CHANNEL_GRANT_SIDS)) {
      expect(deliverGrant(synth, sid), sid).toBeUndefined();
    }
    expect(functionsAllowed(synth, ACTIONS[CHANNEL_GRANT_SIDS.whatsapp])).toEqual([]);
    expect(functionsAllowed(synth, ACTIONS[CHANNEL_GRANT_SIDS.functions])).toEqual([]);
    const secretResources = statements(synth)
      .filter(({ statement }) => asArray(statement.Action).includes('secretsmanager:GetSecretValue'))
      .flatMap(({ statement }) => asArray(statement.Resource).map(flattenCfnReference));
    expect(secretResources.filter((resource) => resource.includes(':secret:'))).toEqual([]);
  });

  it('publishes no opens or clicks when settings.json tracks neither', () => {
    const core = Template.fromStack(synth.stack);
    core.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: Match.objectLike({ MatchingEventTypes: ['delivery', 'bounce', 'complaint'] }),
    });
    core.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      Description: Match.stringLikeRegexp('^SES deliveries, bounces and complaints of configuration set '),
    });
  });
});

describe('webhook URLs on AWS', () => {
  /** The samples with the ads webhook's URL in settings.json set to `url`. */
  const withAdsUrl = (url: string): string => {
    const dir = copySampleJourneys();
    editSettings(dir, (settings) => {
      const ads = settings.webhooks['ads-audience'];
      if (ads === undefined) throw new Error('the samples have the ads-audience webhook');
      settings.webhooks['ads-audience'] = { ...ads, url };
    });
    return dir;
  };
  const synthError = (run: () => unknown): unknown => {
    try {
      run();
      return undefined;
    } catch (error) {
      return error;
    }
  };

  it(
    'stops synth on a deployed webhook that is not https, naming the settings path and the stage override',
    () => {
      // Prepare: loopback http, which the validator lets pass (with a warning) for the local engine
      const journeysDir = withAdsUrl('http://127.0.0.1:4010/hook');
      // Act
      const error = synthError(() => synthWaymark({ journeysDir, context: devStage({ webhookUrls: {} }) }));
      // Assess
      expect(error).toBeInstanceOf(ConfigurationError);
      const message = String(error);
      expect(message).toContain(`${join(journeysDir, 'settings.json')} $.webhooks["ads-audience"].url`);
      expect(message).toContain('"http://127.0.0.1:4010/hook"');
      expect(message).toContain('cart-abandonment (step retarget)');
      expect(message).toContain('cdk.json context "waymark:stages".dev.webhookUrls["ads-audience"]');
    },
    SYNTH_TIMEOUT,
  );

  it(
    "stops synth on a webhook timeout the deliver function's own timeout leaves no room for",
    () => {
      const dir = copySampleJourneys();
      editSettings(dir, (settings) => {
        const ads = settings.webhooks['ads-audience'];
        if (ads === undefined) throw new Error('the samples have the ads-audience webhook');
        settings.webhooks['ads-audience'] = { ...ads, timeoutSeconds: 30 };
      });
      // An Express journey shortens every task function's timeout to 8 s.
      const chat = JSON.parse(readFileSync(join(dir, 'chat-followup.json'), 'utf8'));
      writeFileSync(
        join(dir, 'express-probe.json'),
        JSON.stringify({
          ...chat,
          id: 'express-probe',
          workflow: 'express',
          steps: { done: { type: 'end' } },
          start: 'done',
        }),
      );
      const error = synthError(() => synthWaymark({ journeysDir: dir }));
      expect(error).toBeInstanceOf(ConfigurationError);
      expect(String(error)).toMatch(
        /\$\.webhooks\["ads-audience"\]\.timeoutSeconds: 30 s is longer than the deliver function may wait \(6 s here, an Express journey being deployed\)/,
      );
    },
    SYNTH_TIMEOUT,
  );

  it(
    'synthesizes it when the stage gives an https URL, which deliver then receives',
    () => {
      const synth = synthWaymark({
        journeysDir: withAdsUrl('http://127.0.0.1:4010/hook'),
        context: devStage({ webhookUrls: { 'ads-audience': 'https://ads.example.com/prod/hook' } }),
      });
      Template.fromStack(synth.stack).hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            [ENVIRONMENT.webhookUrls]: JSON.stringify({
              'ads-audience': 'https://ads.example.com/prod/hook',
            }),
          }),
        },
      });
    },
    SYNTH_TIMEOUT,
  );

  it.each([
    [
      { 'ads-audience': 'http://ads.example.com/hook' },
      /\.dev\.webhookUrls\.ads-audience: expected an https:\/\/ URL/,
    ],
    [
      { 'ads-audiense': 'https://ads.example.com/hook' },
      /\.dev\.webhookUrls\.ads-audiense: .*declares no webhook "ads-audiense" \(did you mean "ads-audience"\?\)\. Declared: ads-audience\./,
    ],
  ])('refuses a stage webhook URL that is not https or names no webhook: %j', (webhookUrls, expected) => {
    const error = synthError(() => synthWaymark({ context: devStage({ webhookUrls }) }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(String(error)).toMatch(expected);
  });

  it("puts the stage's URLs in place at run time, and refuses http or an unknown name there too", () => {
    const settings = loadProject(SAMPLE_JOURNEYS).settings;
    if (settings === undefined) throw new Error('sample settings.json does not load');
    const applied = applyStageOverrides(settings, {
      webhookUrlsJson: JSON.stringify({ 'ads-audience': 'https://ads.example.com/prod' }),
    });
    expect(applied.webhooks['ads-audience']).toEqual({
      ...settings.webhooks['ads-audience'],
      url: 'https://ads.example.com/prod',
    });
    expect(applyStageOverrides(settings, {}).webhooks).toEqual(settings.webhooks);
    expect(() =>
      applyStageOverrides(settings, { webhookUrlsJson: '{"ads-audience":"http://ads.example.com"}' }),
    ).toThrow(/https/);
    expect(() =>
      applyStageOverrides(settings, { webhookUrlsJson: '{"crm":"https://crm.example.com"}' }),
    ).toThrow(/do(es)? not declare: crm/);
    expect(() => applyStageOverrides(settings, { webhookUrlsJson: 'not json' })).toThrow(/not JSON/);
  });
});
