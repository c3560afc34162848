/**
 * Pinpoint activities to Waymark steps. Each activity becomes one step named
 * after its id (a split that waits first becomes a wait and a branch); a
 * missing NextActivity leads to one shared end step; a ContactCenter activity
 * is skipped, its way in leading straight to its NextActivity.
 */
import type { Activity, WaitTime } from './pinpoint-schema.ts';
import { isoDuration, isoInstant } from './durations.ts';
import { type ConditionContext, translateCondition } from './conditions.ts';
import type { Findings } from './report.ts';
import type { JsonObject } from './start-condition.ts';

export const ACTIVITY_KINDS = [
  'Wait',
  'ConditionalSplit',
  'MultiCondition',
  'RandomSplit',
  'Holdout',
  'EMAIL',
  'SMS',
  'PUSH',
  'CUSTOM',
  'ContactCenter',
] as const;
export type ActivityKind = (typeof ACTIVITY_KINDS)[number];

export function activityKind(activity: Activity): ActivityKind | undefined {
  const kinds = ACTIVITY_KINDS.filter((kind) => activity[kind] !== undefined);
  return kinds.length === 1 ? kinds[0] : undefined;
}

/** One link from an activity to the next: where it is written (below the activity) and what it names. */
export interface ActivityLink {
  at: string;
  target: string | undefined;
}

/** The activities each activity leads to, in a fixed order (target undefined: the path ends). */
export function activityLinks(activity: Activity): ActivityLink[] {
  const kind = activityKind(activity);
  switch (kind) {
    case 'Wait':
    case 'Holdout':
    case 'EMAIL':
    case 'SMS':
    case 'PUSH':
    case 'CUSTOM':
    case 'ContactCenter':
      return [{ at: `${kind}.NextActivity`, target: activity[kind]?.NextActivity }];
    case 'ConditionalSplit':
      return [
        { at: 'ConditionalSplit.TrueActivity', target: activity.ConditionalSplit?.TrueActivity },
        { at: 'ConditionalSplit.FalseActivity', target: activity.ConditionalSplit?.FalseActivity },
      ];
    case 'MultiCondition':
      return [
        ...(activity.MultiCondition?.Branches ?? []).map((branch, index) => ({
          at: `MultiCondition.Branches[${index}].NextActivity`,
          target: branch.NextActivity,
        })),
        { at: 'MultiCondition.DefaultActivity', target: activity.MultiCondition?.DefaultActivity },
      ];
    case 'RandomSplit':
      return (activity.RandomSplit?.Branches ?? []).map((branch, index) => ({
        at: `RandomSplit.Branches[${index}].NextActivity`,
        target: branch.NextActivity,
      }));
    case undefined:
      return [];
  }
}

/** Whether time passes at this activity: a loop through it is no busy loop. */
export function activityWaits(activity: Activity): boolean {
  return (
    activity.Wait !== undefined ||
    activity.ConditionalSplit?.EvaluationWaitTime !== undefined ||
    activity.MultiCondition?.EvaluationWaitTime !== undefined
  );
}

export interface ActivityContext {
  findings: Findings;
  knownTemplates: ReadonlySet<string> | undefined;
  /** The step a link to this activity goes to (the end step for undefined). */
  target: (activityId: string | undefined) => string;
  stepIdOf: (activityId: string) => string;
}

export interface TranslatedActivity {
  steps: [string, JsonObject][];
  became: string;
  differences: string[];
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** A Pinpoint wait as the fields of a Waymark wait step, or undefined after a problem. */
function waitFields(
  wait: WaitTime | undefined,
  path: string,
  context: ActivityContext,
  differences: string[],
): JsonObject | undefined {
  if (wait?.WaitFor !== undefined && wait.WaitUntil === undefined) {
    const parsed = isoDuration(wait.WaitFor);
    if (!parsed.ok) {
      context.findings.problem(
        `${path}.WaitFor`,
        parsed.message,
        'an ISO-8601 duration such as "PT1H" or "P1D", at most a year',
      );
      return undefined;
    }
    if (parsed.approximate)
      differences.push(`${wait.WaitFor}: months count as 30 days, years as 365, seconds are whole`);
    return { duration: parsed.duration };
  }
  if (wait?.WaitUntil !== undefined && wait.WaitFor === undefined) {
    const instant = isoInstant(wait.WaitUntil);
    if (instant === undefined) {
      context.findings.problem(
        `${path}.WaitUntil`,
        `"${wait.WaitUntil}" is not an ISO-8601 timestamp`,
        'a timestamp such as "2026-12-01T09:00:00Z"',
      );
      return undefined;
    }
    const at = new Date(instant.epochMs);
    const start = `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}`;
    const end = `${pad((at.getUTCHours() + 1) % 24)}:${pad(at.getUTCMinutes())}`;
    const day = WEEKDAYS[at.getUTCDay()] ?? 'mon';
    differences.push(
      `Pinpoint waits until the instant ${wait.WaitUntil}; Waymark has no wait until an absolute instant: this waits until the next ${day} ${start}-${end} in the customer's local time. If the date matters, start the journey as a broadcast ("at") or use a duration`,
    );
    return { until: { kind: 'localWindow', start, end, days: [day] } };
  }
  context.findings.problem(
    path,
    'A wait takes exactly one of WaitFor or WaitUntil',
    'WaitTime: { "WaitFor": "PT1H" } or { "WaitUntil": "<ISO-8601 timestamp>" }',
  );
  return undefined;
}

/** A Pinpoint template name as a Waymark template folder name. */
export function templateFolder(name: string): string {
  const folder = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return folder === '' ? 'pinpoint-template' : folder;
}

function templateStep(name: string, context: ActivityContext, differences: string[]): string {
  const folder = templateFolder(name);
  if (folder !== name)
    differences.push(
      `template "${name}" renamed "${folder}" (Waymark folders are lowercase letters, digits and "-")`,
    );
  const known = context.knownTemplates;
  if (known === undefined || (!known.has(name) && !known.has(folder))) {
    differences.push(
      `template missing: placeholder (journeys/templates/${folder}/ until the template is imported)`,
    );
  }
  return folder;
}

/** A name for settings' webhooks or functions, from a URL's host or a function's name. */
function targetName(text: string): string {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '');
  return (name === '' ? 'pinpoint-custom' : name).slice(0, 48).replace(/-+$/, '');
}

function customChannel(
  activityPath: string,
  uri: string | undefined,
  context: ActivityContext,
  differences: string[],
): JsonObject | undefined {
  const lambda =
    /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9_$-]+)?$/.exec(
      uri ?? '',
    );
  const bareName = /^[A-Za-z0-9_-]{1,64}$/.test(uri ?? '') ? uri : undefined;
  const functionName = lambda?.[1] ?? bareName;
  if (functionName !== undefined) {
    const name = targetName(functionName);
    differences.push(
      `Lambda ${uri ?? ''} became the function channel "${name}": declare it in settings.json "functions" (its payload differs from Pinpoint's: see docs/channels.md)`,
    );
    return { channel: 'function', function: name };
  }
  const url = uri?.startsWith('https://') === true && URL.canParse(uri) ? new URL(uri) : undefined;
  if (url !== undefined) {
    const name = targetName(url.hostname.replace(/\./g, '-'));
    differences.push(
      `${uri ?? ''} became the webhook "${name}": declare it in settings.json "webhooks" with its url and a secret (Waymark signs the request)`,
    );
    return { channel: 'webhook', endpoint: name };
  }
  context.findings.problem(
    `${activityPath}.CUSTOM.DeliveryUri`,
    `${JSON.stringify(uri ?? null)} is neither a Lambda function nor an https URL`,
    'a Lambda function name or ARN, or a full https:// URL',
  );
  return undefined;
}

function sendStep(
  activityId: string,
  activity: Activity,
  kind: 'EMAIL' | 'SMS' | 'PUSH' | 'CUSTOM',
  sid: string,
  path: string,
  context: ActivityContext,
): TranslatedActivity | undefined {
  const differences: string[] = [];
  const send = activity[kind];
  if (send === undefined) return undefined;
  let channel: JsonObject;
  let category = 'marketing';
  if (kind === 'CUSTOM') {
    const custom = customChannel(path, activity.CUSTOM?.DeliveryUri, context, differences);
    if (custom === undefined) return undefined;
    channel = { ...custom, reaches: 'system' };
    differences.push(
      '"reaches": "system": consent, caps and quiet hours do not apply; make it "customer" if the call puts a message before the customer',
    );
    const types = activity.CUSTOM?.EndpointTypes;
    if (types !== undefined)
      differences.push(
        `EndpointTypes ${types.join(', ')}: Waymark calls once per customer, not per endpoint`,
      );
    if (activity.CUSTOM?.MessageConfig?.Data !== undefined) {
      differences.push(
        "MessageConfig.Data: put it in the template's function.json.liquid or webhook.json.liquid",
      );
    }
  } else {
    channel = { channel: kind.toLowerCase() };
    if (activity.SMS?.MessageConfig?.MessageType === 'TRANSACTIONAL') category = 'transactional';
    const config = activity[kind]?.MessageConfig;
    if (config !== undefined) {
      const keys = Object.keys(config).filter((key) => key !== 'MessageType');
      if (keys.length > 0)
        differences.push(`MessageConfig ${keys.join(', ')}: set in settings.json senders, not per step`);
    }
  }
  const name = send.TemplateName ?? (kind === 'CUSTOM' ? `pinpoint-${sid.toLowerCase()}` : undefined);
  if (name === undefined) {
    context.findings.problem(
      `${path}.${kind}.TemplateName`,
      `A ${kind} activity needs a TemplateName`,
      'the name of a Pinpoint message template',
    );
    return undefined;
  }
  const template = templateStep(name, context, differences);
  if (send.TemplateVersion !== undefined)
    differences.push(
      `TemplateVersion ${send.TemplateVersion}: Waymark uses the template folder as committed`,
    );
  differences.push(
    `category "${category}"${category === 'marketing' ? ': opt-in consent, caps and quiet hours apply' : ''}`,
  );
  const description: JsonObject =
    activity.Description === undefined ? {} : { description: activity.Description.slice(0, 1000) };
  const step = {
    type: 'send',
    ...description,
    ...channel,
    template,
    category,
    next: context.target(send.NextActivity),
  };
  return {
    steps: [[sid, step]],
    became: `step "${sid}" (send ${kind === 'CUSTOM' ? String(activity.CUSTOM?.DeliveryUri?.startsWith('https://') === true ? 'webhook' : 'function') : kind.toLowerCase()} "${template}")`,
    differences,
  };
}

export function translateActivity(
  activityId: string,
  activity: Activity,
  path: string,
  context: ActivityContext,
): TranslatedActivity | undefined {
  const kind = activityKind(activity);
  const sid = context.stepIdOf(activityId);
  const differences: string[] = [];
  const description: JsonObject =
    activity.Description === undefined ? {} : { description: activity.Description.slice(0, 1000) };
  switch (kind) {
    case undefined:
      context.findings.problem(
        path,
        'An activity holds exactly one activity type',
        `one of ${ACTIVITY_KINDS.join(', ')} (besides Description)`,
      );
      return undefined;
    case 'Wait': {
      const fields = waitFields(activity.Wait?.WaitTime, `${path}.Wait.WaitTime`, context, differences);
      if (fields === undefined) return undefined;
      const step = {
        type: 'wait',
        ...description,
        ...fields,
        next: context.target(activity.Wait?.NextActivity),
      };
      return {
        steps: [[sid, step]],
        became: `step "${sid}" (wait ${typeof fields.duration === 'string' ? fields.duration : 'until a local window'})`,
        differences,
      };
    }
    case 'ConditionalSplit':
    case 'MultiCondition':
      return branchSteps(activity, kind, sid, path, description, context);
    case 'RandomSplit': {
      const branches = activity.RandomSplit?.Branches ?? [];
      const paths = branches.flatMap((branch, index) => {
        const weight = branch.Percentage ?? 0;
        if (weight === 0) differences.push(`branch ${index + 1} has 0%: left out`);
        return weight === 0
          ? []
          : [
              {
                name: `branch-${index + 1}`,
                weight,
                holdout: false,
                next: context.target(branch.NextActivity),
              },
            ];
      });
      const total = paths.reduce((sum, entry) => sum + entry.weight, 0);
      if (paths.length < 2 || total !== 100) {
        context.findings.problem(
          `${path}.RandomSplit.Branches`,
          `A random split needs 2 to 5 branches whose Percentage adds up to 100 (found ${paths.length} adding up to ${total})`,
          'Branches with Percentage adding up to 100',
        );
        return undefined;
      }
      differences.push(
        'Waymark puts a customer on the same path of the same step every time (a hash of customer, journey and step)',
      );
      return {
        steps: [[sid, { type: 'split', ...description, paths }]],
        became: `step "${sid}" (split ${paths.map((entry) => entry.weight).join('/')})`,
        differences,
      };
    }
    case 'Holdout': {
      const percentage = activity.Holdout?.Percentage ?? 0;
      if (percentage < 1 || percentage > 99) {
        context.findings.problem(
          `${path}.Holdout.Percentage`,
          `A holdout of ${percentage}% cannot become a split`,
          'a Percentage from 1 to 99',
        );
        return undefined;
      }
      const paths = [
        { name: 'holdout', weight: percentage, holdout: true, next: context.target(undefined) },
        {
          name: 'continue',
          weight: 100 - percentage,
          holdout: false,
          next: context.target(activity.Holdout?.NextActivity),
        },
      ];
      differences.push('the holdout path is a measured control group that ends the journey, as in Pinpoint');
      return {
        steps: [[sid, { type: 'split', ...description, paths }]],
        became: `step "${sid}" (split with a ${percentage}% holdout)`,
        differences,
      };
    }
    case 'EMAIL':
    case 'SMS':
    case 'PUSH':
    case 'CUSTOM':
      return sendStep(activityId, activity, kind, sid, path, context);
    case 'ContactCenter':
      return {
        steps: [],
        became: 'not imported',
        differences: [
          'Waymark has no contact-centre activity: call Amazon Connect (StartOutboundVoiceContact or an outbound campaign) from a webhook or function send here',
          `its way in now leads straight to ${context.target(activity.ContactCenter?.NextActivity)}`,
        ],
      };
  }
}

function branchSteps(
  activity: Activity,
  kind: 'ConditionalSplit' | 'MultiCondition',
  sid: string,
  path: string,
  description: JsonObject,
  context: ActivityContext,
): TranslatedActivity | undefined {
  const differences: string[] = [];
  const evaluation =
    kind === 'ConditionalSplit'
      ? activity.ConditionalSplit?.EvaluationWaitTime
      : activity.MultiCondition?.EvaluationWaitTime;
  const waitPath = `${path}.${kind}.EvaluationWaitTime`;
  const wait = evaluation === undefined ? undefined : waitFields(evaluation, waitPath, context, differences);
  if (evaluation !== undefined && wait === undefined) return undefined;
  const within = typeof wait?.duration === 'string' ? wait.duration : '30d';
  if (typeof wait?.duration !== 'string')
    differences.push('history conditions look back 30 days (no EvaluationWaitTime duration)');
  const conditionContext: ConditionContext = {
    stepIdOf: context.stepIdOf,
    within,
    findings: context.findings,
    differences,
  };
  const cases: JsonObject[] = [];
  let fallback: string;
  if (kind === 'ConditionalSplit') {
    const split = activity.ConditionalSplit;
    const conditions = split?.Condition?.Conditions ?? [];
    const translated = conditions.map((condition, index) =>
      translateCondition(
        condition,
        `${path}.ConditionalSplit.Condition.Conditions[${index}]`,
        conditionContext,
      ),
    );
    if (conditions.length === 0) {
      context.findings.problem(
        `${path}.ConditionalSplit.Condition`,
        'A conditional split without conditions',
        'Condition: { Operator: "ALL" | "ANY", Conditions: [SimpleCondition] }',
      );
      return undefined;
    }
    const parts = translated.filter((condition): condition is JsonObject => condition !== undefined);
    if (parts.length !== translated.length) return undefined;
    const operator = split?.Condition?.Operator === 'ANY' ? 'any' : 'all';
    const when = parts.length === 1 ? parts[0] : { [operator]: parts };
    cases.push({ name: 'true', when: when ?? {}, next: context.target(split?.TrueActivity) });
    fallback = context.target(split?.FalseActivity);
  } else {
    const split = activity.MultiCondition;
    const branches = split?.Branches ?? [];
    for (const [index, branch] of branches.entries()) {
      const branchPath = `${path}.MultiCondition.Branches[${index}].Condition`;
      if (branch.Condition === undefined) {
        context.findings.problem(branchPath, 'A branch without a condition', 'Condition: a SimpleCondition');
        return undefined;
      }
      const when = translateCondition(branch.Condition, branchPath, conditionContext);
      if (when === undefined) return undefined;
      cases.push({ name: `branch-${index + 1}`, when, next: context.target(branch.NextActivity) });
    }
    if (cases.length === 0) {
      context.findings.problem(
        `${path}.MultiCondition.Branches`,
        'A multivariate split without branches',
        '1 to 4 Branches',
      );
      return undefined;
    }
    fallback = context.target(split?.DefaultActivity);
  }
  const branchId = wait === undefined ? sid : `${sid}-check`;
  const branch: JsonObject = { type: 'branch', ...description, cases, default: fallback };
  if (wait === undefined) return { steps: [[sid, branch]], became: `step "${sid}" (branch)`, differences };
  differences.push('EvaluationWaitTime became a wait step before the branch');
  return {
    steps: [
      [sid, { type: 'wait', ...wait, next: branchId }],
      [branchId, branch],
    ],
    became: `steps "${sid}" (wait ${typeof wait.duration === 'string' ? wait.duration : 'until a local window'}) and "${branchId}" (branch)`,
    differences,
  };
}
