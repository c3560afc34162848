/**
 * What a send step asks of the channels beyond email, SMS and push, checked
 * against settings.json: the webhook endpoint or function it names, whether it
 * says whom it reaches, and the WhatsApp template the account must have.
 */
import { isSystemChannel } from '../../customer/profile.ts';
import { isLoopbackUrl } from '../../channels/endpoint-url.ts';
import { TEMPLATE_PARTS } from '../../render/templates.ts';
import { didYouMean } from '../../text/suggest.ts';
import { policiesFor } from '../policies.ts';
import { sendChannels, type Settings, type StepOfType } from '../schema.ts';

/** What the deliver function spends around a webhook call (reads, writes) and its own timeout's margin. */
const DELIVER_OWN_SECONDS = 4;
import type { Report } from './scope.ts';
import type { JourneyScope } from './scope.ts';

export function checkSendChannels(id: string, step: StepOfType<'send'>, scope: JourneyScope): void {
  const { report, context } = scope;
  const at = ['steps', id];
  const channels = sendChannels(step);
  const system = channels.filter(isSystemChannel);
  if (system.length > 0 && channels.length > 1) {
    report([...at, 'channel'], `${system.join(' and ')} cannot be part of a fallback list.`, {
      hint: 'give the webhook or function a step of its own',
    });
  }
  if (system.length > 0 && step.reaches === undefined) {
    report([...at, 'reaches'], `Say whom this ${system.join(', ')} step reaches.`, {
      expected:
        '"customer" (a message before the customer: consent, quiet hours and caps apply) or "system" (another system: they do not)',
    });
  }
  if (system.length === 0 && step.reaches !== undefined) {
    report([...at, 'reaches'], '"reaches" is for webhook and function steps only.');
  }
  checkTarget(
    step.endpoint,
    channels.includes('webhook'),
    'endpoint',
    'webhook',
    Object.keys(context.settings.webhooks),
    at,
    report,
  );
  checkTarget(
    step.function,
    channels.includes('function'),
    'function',
    'function',
    Object.keys(context.settings.functions),
    at,
    report,
  );
  if (channels.includes('whatsapp')) checkWhatsapp(step, context.settings, scope, at);
  const room = policiesFor(scope.journey).taskTimeoutSeconds - DELIVER_OWN_SECONDS;
  const target = sendTargetTimeout(step, context.settings);
  if (target !== undefined && target.seconds > room) {
    report(
      [...at, target.field],
      `${target.label} may take ${target.seconds} s, more than ${scope.journey.workflow === 'express' ? 'an Express' : 'a Standard'} journey's step leaves it (${room} s): a slow answer would fail the step instead of being retried.`,
      {
        hint: `lower its timeoutSeconds in settings to ${room} or less`,
      },
    );
  }
}

/** The webhook's or function's timeout a step would wait for, with where to point. */
function sendTargetTimeout(
  step: StepOfType<'send'>,
  settings: Settings,
): { field: 'endpoint' | 'function'; label: string; seconds: number } | undefined {
  const channels = sendChannels(step);
  const endpoint = step.endpoint === undefined ? undefined : settings.webhooks[step.endpoint];
  if (channels.includes('webhook') && endpoint !== undefined) {
    return { field: 'endpoint', label: `Webhook "${step.endpoint ?? ''}"`, seconds: endpoint.timeoutSeconds };
  }
  const target = step.function === undefined ? undefined : settings.functions[step.function];
  if (channels.includes('function') && target !== undefined) {
    return { field: 'function', label: `Function "${step.function ?? ''}"`, seconds: target.timeoutSeconds };
  }
  return undefined;
}

function checkTarget(
  name: string | undefined,
  used: boolean,
  field: 'endpoint' | 'function',
  channel: 'webhook' | 'function',
  declared: readonly string[],
  at: (string | number)[],
  report: Report,
): void {
  const settingsKey = channel === 'webhook' ? 'webhooks' : 'functions';
  if (!used) {
    if (name !== undefined)
      report([...at, field], `"${field}" is for the ${channel} channel, which this step does not use.`);
    return;
  }
  if (name === undefined) {
    report([...at, field], `A ${channel} step names its ${field} from settings' ${settingsKey}.`, {
      expected:
        declared.length > 0 ? `one of ${declared.join(', ')}` : `a name added to settings' ${settingsKey}`,
    });
    return;
  }
  if (!declared.includes(name)) {
    report([...at, field], `settings.json declares no ${settingsKey}["${name}"].`, {
      hint: didYouMean(name, declared) ?? `add it to settings' ${settingsKey}`,
    });
  }
}

function checkWhatsapp(
  step: StepOfType<'send'>,
  settings: Settings,
  scope: JourneyScope,
  at: (string | number)[],
): void {
  const sender = settings.senders.whatsapp;
  if (sender === undefined) {
    scope.report([...at, 'channel'], 'WhatsApp needs a sender: settings.senders.whatsapp is not set.', {
      expected: '{"phoneNumberId": "phone-number-id-…", "templates": ["…"]}',
    });
    return;
  }
  const source = scope.context.templates.get(step.template);
  const text = source?.files[TEMPLATE_PARTS.whatsapp.template];
  if (text === undefined) return; // A missing part is reported with the template's other parts.
  const name = whatsappTemplateName(text);
  if (name !== undefined && !sender.templates.includes(name)) {
    scope.report(
      [...at, 'template'],
      `templates/${step.template}/whatsapp.json names the WhatsApp template "${name}", which settings.senders.whatsapp.templates does not list.`,
      {
        expected:
          sender.templates.length > 0
            ? `one of ${sender.templates.join(', ')}`
            : 'the approved templates of your WhatsApp Business Account, listed in settings',
        hint: didYouMean(name, sender.templates),
      },
    );
  }
}

function whatsappTemplateName(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'template' in parsed &&
      typeof parsed.template === 'string'
    ) {
      return parsed.template;
    }
  } catch {
    // Reported when the template is rendered.
  }
  return undefined;
}

/** What HTTP can carry in a header value (Node refuses anything else before sending). */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Endpoints are https; http only to this machine, which only the local engine can reach. Their
 * header values must be sendable: a line break or an emoji would fail every call.
 */
export function checkWebhookUrls(settings: Settings, report: Report): void {
  for (const [name, endpoint] of Object.entries(settings.webhooks)) {
    for (const [header, value] of Object.entries(endpoint.headers)) {
      if (!HEADER_VALUE.test(value)) {
        report(
          ['webhooks', name, 'headers', header],
          'A header value cannot hold line breaks, control characters or characters beyond Latin-1 (such as emoji).',
          { hint: 'keep header values to plain text; put anything richer in the body template' },
        );
      }
    }
    const url = new URL(endpoint.url);
    const at = ['webhooks', name, 'url'];
    if (url.username !== '' || url.password !== '') {
      report(at, 'A webhook URL must not carry credentials.', { hint: 'use headers or the signing secret' });
    } else if (url.protocol === 'https:') {
      continue;
    } else if (url.protocol === 'http:' && isLoopbackUrl(url)) {
      report(at, `http to ${url.hostname} works in the local engine only; on AWS a webhook must be https.`, {
        severity: 'warning',
        hint: 'set an https URL for the deployed stage (cdk.json) before deploying',
      });
    } else {
      report(
        at,
        `A webhook URL must be https (http only to a loopback address, locally): "${url.protocol}".`,
      );
    }
  }
}
