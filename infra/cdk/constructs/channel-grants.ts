/**
 * The deliver function's grants for the channels beyond email, SMS and push,
 * each on exactly what the deployed journeys use (compile-project.ts,
 * channel-targets.ts) and nothing when nothing does: SendWhatsAppMessage on
 * the sender's phone number, InvokeFunction on each custom function (its alias
 * kept), GetSecretValue on each called webhook's signing secret. A webhook
 * itself is plain HTTPS and needs no grant.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Settings } from '../../../shared/journey/schema.ts';
import type { ChannelTargets } from '../channel-targets.ts';

export const CHANNEL_GRANT_SIDS = {
  whatsapp: 'SendWhatsapp',
  functions: 'InvokeCustomFunctions',
  webhookSecrets: 'WebhookSecrets',
} as const;

const PHONE_NUMBER_ID_PREFIX = 'phone-number-id-';

export function grantChannelTargets(fn: lambda.IFunction, targets: ChannelTargets, settings: Settings): void {
  const stack = Stack.of(fn);
  const grant = (sid: string, action: string, resources: string[]): void => {
    if (resources.length === 0) return;
    fn.addToRolePolicy(new iam.PolicyStatement({ sid, actions: [action], resources }));
  };

  if (targets.whatsapp.length > 0) {
    const sender = settings.senders.whatsapp;
    if (sender === undefined) throw new Error(missing('senders.whatsapp', targets.whatsapp[0]));
    grant(CHANNEL_GRANT_SIDS.whatsapp, 'social-messaging:SendWhatsAppMessage', [
      phoneNumberArn(stack, sender.phoneNumberId),
    ]);
  }

  grant(
    CHANNEL_GRANT_SIDS.functions,
    'lambda:InvokeFunction',
    [...targets.functions].map(([name, uses]) => {
      const target = settings.functions[name];
      if (target === undefined) throw new Error(missing(`functions.${name}`, uses[0]));
      return functionArn(stack, target.functionName);
    }),
  );

  const secrets = new Set(
    [...targets.webhooks].map(([name, uses]) => {
      const endpoint = settings.webhooks[name];
      if (endpoint === undefined) throw new Error(missing(`webhooks.${name}`, uses[0]));
      return endpoint.secret;
    }),
  );
  grant(
    CHANNEL_GRANT_SIDS.webhookSecrets,
    'secretsmanager:GetSecretValue',
    [...secrets].sort().map((name) => secretArn(stack, name)),
  );
}

/** The sender's phone number ARN: as given, or built from its id in the stack's region and account. */
export function phoneNumberArn(stack: Stack, phoneNumberId: string): string {
  if (phoneNumberId.startsWith('arn:')) return phoneNumberId;
  return stack.formatArn({
    service: 'social-messaging',
    resource: 'phone-number-id',
    // The ARN names the number by its hex digits: `phone-number-id/<32 hex>`.
    resourceName: phoneNumberId.slice(PHONE_NUMBER_ID_PREFIX.length),
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}

/**
 * A function name, `name:alias` or ARN as settings.json gives it, as the ARN Lambda authorizes the
 * invocation against: a qualified invocation is checked against the alias's own ARN, so the
 * qualifier stays.
 */
export function functionArn(stack: Stack, functionName: string): string {
  if (functionName.startsWith('arn:')) return functionName;
  return stack.formatArn({
    service: 'lambda',
    resource: 'function',
    resourceName: functionName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/**
 * A secret read by name: Secrets Manager ends every secret's ARN with "-" and six random
 * characters. Six `?` match exactly that suffix, so no other secret (whose name, longer, merely
 * starts with this one) matches.
 */
export function secretArn(stack: Stack, name: string): string {
  return stack.formatArn({
    service: 'secretsmanager',
    resource: 'secret',
    resourceName: `${name}-??????`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

function missing(path: string, use: { journeyId: string; stepId: string } | undefined): string {
  const by = use === undefined ? '' : ` (used by ${use.journeyId}, step ${use.stepId})`;
  return `settings.json has no ${path}${by}; the validator should have stopped synth.`;
}
