/** Send steps and their templates: every part present, every variable defined, nothing a customer should not get. */
import type { Channel } from '../../customer/profile.ts';
import { eventDefinition } from '../../events/catalog.ts';
import { sampleContext, sparseContext } from '../../render/sample.ts';
import { smsSize } from '../../render/sms.ts';
import {
  missingParts,
  type RenderedMessage,
  renderMessage,
  TEMPLATE_PARTS,
  type TemplateContext,
  type TemplateSource,
} from '../../render/templates.ts';
import { closest, didYouMean } from '../../text/suggest.ts';
import type { PathSegment, Problem } from '../problem.ts';
import { resolveReference } from '../references.ts';
import { isReference, sendChannels, type StepOfType } from '../schema.ts';
import { sampleOptions } from './references.ts';
import type { JourneyScope } from './scope.ts';
import { triggerMatcher } from '../trigger.ts';

const KNOWN_TEMPLATE_FILES = Object.values(TEMPLATE_PARTS).flatMap((parts) => Object.values(parts));

/** APNs refuses payloads over 4 KB; FCM allows a little more, so APNs is the limit that matters. */
const PUSH_PAYLOAD_LIMIT_BYTES = 4096;

export function checkSend(id: string, step: StepOfType<'send'>, scope: JourneyScope): void {
  const { journey, context, report } = scope;
  const at: PathSegment[] = ['steps', id];
  const channels = sendChannels(step);
  channels.forEach((channel, index) => {
    if (channels.indexOf(channel) !== index)
      report([...at, 'channel', index], `Channel "${channel}" is listed twice.`);
  });
  const template = context.templates.get(step.template);
  if (template === undefined) {
    const names = [...context.templates.keys()];
    report([...at, 'template'], `There is no template "${step.template}" in templates/.`, {
      expected: names.length > 0 ? `one of ${names.join(', ')}` : 'a folder under templates/',
      hint: didYouMean(step.template, names) ?? `create templates/${step.template}/`,
    });
    return;
  }
  for (const file of Object.keys(template.files).filter(
    (name) => !KNOWN_TEMPLATE_FILES.some((known) => known === name),
  )) {
    report(
      [...at, 'template'],
      `templates/${step.template}/${file} is not a template part and is never used.`,
      {
        severity: 'warning',
        hint: didYouMean(file, KNOWN_TEMPLATE_FILES),
      },
    );
  }
  for (const channel of channels) {
    const missing = missingParts(template, channel);
    if (missing.length > 0) {
      const able = [...context.templates.values()].filter(
        (other) => missingParts(other, channel).length === 0,
      );
      report(
        [...at, 'template'],
        `Template "${step.template}" has no ${missing.join(', ')}, needed to send ${channel}.`,
        {
          hint:
            able.length > 0
              ? `templates that can send ${channel}: ${able.map((other) => other.name).join(', ')}`
              : `add ${missing.join(', ')} to templates/${step.template}/`,
        },
      );
      continue;
    }
    // Without a catalog example there is no sample to render with; the trigger's error says why.
    if (eventDefinition(scope.context.events, triggerMatcher(journey.trigger).event) === undefined) continue;
    checkRendering(id, step, channel, template, scope);
  }
}

function checkRendering(
  id: string,
  step: StepOfType<'send'>,
  channel: Channel,
  template: TemplateSource,
  scope: JourneyScope,
): void {
  const at: PathSegment[] = ['steps', id, 'template'];
  const options = sampleOptions(scope.journey, id, scope.values, scope.context.events);
  const full = sampleContext(options);
  const rendered = renderMessage(template, channel, full);
  if (!rendered.ok) {
    for (const issue of rendered.problems) {
      const variable = /undefined variable: ([\w.]+)/.exec(issue.message)?.[1];
      scope.report(
        at,
        `templates/${step.template}/${issue.file}:${issue.line}:${issue.column}: ${issue.message}`,
        {
          hint: variable === undefined ? undefined : variableHint(variable),
        },
      );
    }
    return;
  }
  checkRenderedMessage(rendered.message, step, full, (message, severity) =>
    scope.report(at, message, { severity }),
  );
  checkOtherExamples(at, step, channel, template, full, scope);
  // The full examples have every field; a real event or customer may lack the optional ones.
  for (const sparse of ['event', 'profile'] as const) {
    const context = sparseContext(options, sparse);
    // Values read from what is now missing are missing too, so templates using them are caught.
    const values = Object.fromEntries(
      Object.entries(scope.journey.values).flatMap(([name, value]): [string, unknown][] => {
        if (!isReference(value)) return [[name, value]];
        const resolution = resolveReference(value.from, context);
        return resolution.found ? [[name, resolution.value]] : [];
      }),
    );
    const result = renderMessage(template, channel, { ...context, values });
    if (result.ok) continue;
    for (const issue of result.problems) {
      const variable = /undefined variable: ([\w.]+)/.exec(issue.message)?.[1] ?? 'a variable';
      scope.report(
        at,
        sparse === 'event'
          ? `templates/${step.template}/${issue.file}:${issue.line}:${issue.column}: ${variable} ${variable.startsWith('values.') ? 'comes from a field that is' : 'is'} optional in "${triggerMatcher(scope.journey.trigger).event}" events; when it is missing the message cannot be rendered and is not sent.`
          : `templates/${step.template}/${issue.file}:${issue.line}:${issue.column}: customers without ${variable} would not get this message.`,
        {
          severity: sparse === 'event' ? 'error' : 'warning',
          hint: `write {{ ${variable} | default: "..." }} or wrap it in {% if ${variable} %}...{% endif %}`,
        },
      );
    }
  }
}

/** An event file may give several examples (one per kind of ticket, say): each must render. */
function checkOtherExamples(
  at: PathSegment[],
  step: StepOfType<'send'>,
  channel: Channel,
  template: TemplateSource,
  full: TemplateContext,
  scope: JourneyScope,
): void {
  const detailType = triggerMatcher(scope.journey.trigger).event;
  const examples = eventDefinition(scope.context.events, detailType)?.examples ?? [];
  examples.slice(1).forEach((example, offset) => {
    const event = structuredClone(example);
    const values = Object.fromEntries(
      Object.entries(scope.journey.values).flatMap(([name, value]): [string, unknown][] => {
        if (!isReference(value)) return [[name, value]];
        const resolution = resolveReference(value.from, { ...full, event });
        return resolution.found ? [[name, resolution.value]] : [];
      }),
    );
    const result = renderMessage(template, channel, { ...full, event, values });
    if (result.ok) return;
    for (const issue of result.problems) {
      scope.report(
        at,
        `templates/${step.template}/${issue.file}:${issue.line}:${issue.column}: does not render with example ${offset + 2} of "${detailType}": ${issue.message}`,
        { hint: `the example is in events/${detailType}.json; templates must render with every example` },
      );
    }
  });
}

function variableHint(variable: string): string {
  const [root] = variable.split('.');
  const roots = ['profile', 'event', 'trigger', 'values', 'journey', 'unsubscribeUrl'];
  const suggestion = root === undefined || roots.includes(root) ? undefined : closest(root, roots);
  if (suggestion !== undefined) return `did you mean "${suggestion}"?`;
  return `the sample data has no ${variable}; use {{ ${variable} | default: "..." }} if it is optional`;
}

/** What only shows once a template is rendered: compliance and size. */
function checkRenderedMessage(
  message: RenderedMessage,
  step: StepOfType<'send'>,
  context: TemplateContext,
  report: (message: string, severity: Problem['severity']) => void,
): void {
  const where = `templates/${step.template}`;
  switch (message.channel) {
    case 'email': {
      const body = `${message.html ?? ''}\n${message.text ?? ''}`;
      if (step.category === 'marketing' && !body.includes(context.unsubscribeUrl)) {
        report(
          `${where}: a marketing email must show an unsubscribe link; add {{ unsubscribeUrl }} to the HTML and text parts.`,
          'error',
        );
      }
      return;
    }
    case 'sms': {
      const size = smsSize(message.text);
      if (size.segments > 1) {
        report(
          `${where}/sms.liquid renders to ${size.units} ${size.encoding} characters with the sample data: ${size.segments} SMS segments, each billed.`,
          'warning',
        );
      }
      if (step.category === 'marketing' && !/\bSTOP\b/i.test(message.text)) {
        report(
          `${where}/sms.liquid: marketing SMS should say how to opt out, e.g. "Reply STOP to opt out".`,
          'warning',
        );
      }
      return;
    }
    case 'push': {
      const bytes = Buffer.byteLength(
        JSON.stringify({ title: message.title, body: message.body, data: message.data }),
      );
      if (bytes > PUSH_PAYLOAD_LIMIT_BYTES) {
        report(
          `${where}: the push payload is ${bytes} bytes with the sample data; APNs accepts at most 4096.`,
          'warning',
        );
      }
      return;
    }
    // Their names and targets are checked against the settings in checks/channels.ts.
    case 'whatsapp':
    case 'webhook':
    case 'function':
      return;
    default: {
      const unreachable: never = message;
      report(`Unknown message ${JSON.stringify(unreachable)}`, 'error');
    }
  }
}
