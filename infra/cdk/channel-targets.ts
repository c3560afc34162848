/**
 * What the deployed journeys send through beyond email, SMS and push: the
 * WhatsApp sender, and the webhook endpoints and Lambda functions their send
 * steps name. The deliver function is granted these and nothing more
 * (constructs/channel-grants.ts), and a webhook one of them calls must be
 * https on AWS. Pure: journeys and settings in, names and problems out.
 */
import { jsonPath } from '../../shared/journey/problem.ts';
import { type Journey, sendChannels, type Settings } from '../../shared/journey/schema.ts';
import { webhookUrlRefusal } from '../../shared/channels/endpoint-url.ts';

/** A send step that uses a target. */
export interface TargetUse {
  readonly journeyId: string;
  readonly stepId: string;
}

export interface ChannelTargets {
  /** The send steps that may go out on WhatsApp (a fallback list counts); empty when none does. */
  readonly whatsapp: readonly TargetUse[];
  /** Endpoint name (settings' `webhooks`) -> the steps that call it; names in order. */
  readonly webhooks: ReadonlyMap<string, readonly TargetUse[]>;
  /** Function name (settings' `functions`) -> the steps that invoke it; names in order. */
  readonly functions: ReadonlyMap<string, readonly TargetUse[]>;
}

export const NO_CHANNEL_TARGETS: ChannelTargets = { whatsapp: [], webhooks: new Map(), functions: new Map() };

/**
 * The targets the given journeys' send steps use. Give it the deployed journeys only
 * (compile-project.ts does): a draft is not deployed, so it earns no grant.
 */
export function channelTargets(journeys: readonly Journey[]): ChannelTargets {
  const whatsapp: TargetUse[] = [];
  const webhooks = new Map<string, TargetUse[]>();
  const functions = new Map<string, TargetUse[]>();
  const add = (map: Map<string, TargetUse[]>, name: string, use: TargetUse): void => {
    map.set(name, [...(map.get(name) ?? []), use]);
  };
  for (const journey of journeys) {
    for (const [stepId, step] of Object.entries(journey.steps)) {
      if (step.type !== 'send') continue;
      const use = { journeyId: journey.id, stepId };
      const channels = sendChannels(step);
      if (channels.includes('whatsapp')) whatsapp.push(use);
      if (channels.includes('webhook') && step.endpoint !== undefined) add(webhooks, step.endpoint, use);
      if (channels.includes('function') && step.function !== undefined) add(functions, step.function, use);
    }
  }
  const sorted = (map: Map<string, TargetUse[]>) =>
    new Map([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { whatsapp, webhooks: sorted(webhooks), functions: sorted(functions) };
}

/** Where the URL a deployed webhook calls comes from, for messages. */
export interface WebhookUrlSources {
  /** journeys/settings.json, as a path. */
  readonly settingsFile: string;
  /** The stage's `webhookUrls` in cdk.json, by endpoint name (they win over settings.json's). */
  readonly stageUrls: Readonly<Record<string, string>>;
  /** How to name the stage's `webhookUrls`, e.g. `cdk.json context "waymark:stages".dev.webhookUrls`. */
  readonly stageWhere: string;
  /** The longest webhook timeout the deliver function's own timeout leaves room for. */
  readonly maxTimeoutSeconds: number;
  readonly expressDeployed: boolean;
}

/**
 * Each webhook a deployed journey calls whose URL the deployed function would refuse: not https, or
 * carrying credentials. The validator lets http to a loopback address pass with a warning, since the
 * local engine may call one; no Lambda function can, so synth stops.
 */
export function deployedWebhookProblems(
  targets: ChannelTargets,
  settings: Settings,
  sources: WebhookUrlSources,
): string[] {
  const problems: string[] = [];
  for (const [name, uses] of targets.webhooks) {
    const stageUrl = sources.stageUrls[name];
    const settingsUrl = settings.webhooks[name]?.url;
    const url = stageUrl ?? settingsUrl;
    const where =
      stageUrl === undefined
        ? `${sources.settingsFile} ${jsonPath(['webhooks', name, 'url'])}`
        : `${sources.stageWhere}${jsonPath([name]).slice(1)}`;
    const usedBy = uses.map((use) => `${use.journeyId} (step ${use.stepId})`).join(', ');
    if (url === undefined) {
      problems.push(
        `${sources.settingsFile} ${jsonPath(['webhooks', name])}: no such webhook, but ${usedBy} calls it.`,
      );
      continue;
    }
    const timeout = settings.webhooks[name]?.timeoutSeconds;
    if (timeout !== undefined && timeout > sources.maxTimeoutSeconds) {
      problems.push(
        `${sources.settingsFile} ${jsonPath(['webhooks', name, 'timeoutSeconds'])}: ${timeout} s is longer than the deliver function may wait (${sources.maxTimeoutSeconds} s here${sources.expressDeployed ? ', an Express journey being deployed' : ''}), so a slow answer would fail ${usedBy} instead of being retried. Lower it.`,
      );
    }
    const refusal = urlRefusal(url);
    if (refusal === undefined) continue;
    problems.push(
      `${where}: "${url}" cannot be called from AWS (${refusal}), yet deployed journeys call webhook "${name}": ${usedBy}. ` +
        `Set its https URL for this stage in ${sources.stageWhere}${jsonPath([name]).slice(1)}, or in settings.json.`,
    );
  }
  return problems;
}

function urlRefusal(text: string): string | undefined {
  try {
    return webhookUrlRefusal(new URL(text), false);
  } catch {
    return 'not a URL';
  }
}
