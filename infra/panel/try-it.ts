/** The "Try it" form (GET and POST /try) and the local clock's buttons (POST /clock). */
import {
  customerIdField,
  describeDetailProblems,
  eventDefinition,
  eventTypes,
  exampleDetail,
  parseEventDetail,
  readCustomerId,
  withCustomerId,
} from '../../shared/events/catalog.ts';
import { isRecord } from '../../shared/json.ts';
import { triggerMatcher } from '../../shared/journey/trigger.ts';
import { errorMessage } from '../../shared/text/error-message.ts';
import { BadRequest, notFound, pageReply, type Reply } from './reply.ts';
import type { PanelSources } from './sources.ts';
import { customerHref } from './views/customers.ts';
import { type TryItForm, tryItView } from './views/try-it.ts';

const CLOCK_STEPS: readonly number[] = [3600, 86_400];
const PANEL_PATH = /^\/(?![/\\])[A-Za-z0-9\-._~%/?=&]*$/;
/** Where an event comes from when its file names no source. */
const PANEL_SOURCE = 'waymark.panel';

export function formFromQuery(sources: PanelSources, params: URLSearchParams): TryItForm {
  const { events } = sources;
  const requested = params.get('detailType') ?? '';
  const detailType = eventDefinition(events, requested) === undefined ? defaultTryEvent(sources) : requested;
  const example = exampleDetail(events, detailType) ?? {};
  const exampleCustomer = readCustomerId(events, detailType, example);
  const customerId =
    params.get('customerId') ??
    params.get('customer') ??
    (exampleCustomer.ok ? exampleCustomer.customerId : 'cust-1001');
  return {
    customerId,
    detailType,
    source: eventDefinition(events, detailType)?.source ?? PANEL_SOURCE,
    detail: JSON.stringify(withCustomerId(events, detailType, example, customerId), null, 2),
  };
}

/** The event the first running journey starts from, else the first the catalog has. */
function defaultTryEvent(sources: PanelSources): string {
  const trigger = sources.journeyFiles.find((file) => file.running && file.journey !== undefined)?.journey
    ?.trigger;
  return (
    (trigger === undefined ? undefined : triggerMatcher(trigger).event) ?? eventTypes(sources.events)[0] ?? ''
  );
}

export function tryIt(sources: PanelSources, form: TryItForm, problems: readonly string[]): Reply {
  const choices = eventTypes(sources.events).map((detailType) => ({
    detailType,
    description: eventDefinition(sources.events, detailType)?.description ?? '',
    customerIdField: customerIdField(sources.events, detailType),
    starts: sources.journeyFiles.flatMap((file) =>
      file.running && file.journey !== undefined && triggerMatcher(file.journey.trigger).event === detailType
        ? [file.journey.id]
        : [],
    ),
  }));
  const body = tryItView(form, choices, problems);
  return problems.length === 0
    ? pageReply(sources, 'try', 'Try it', body)
    : { ...pageReply(sources, 'try', 'Try it', body), status: 400 };
}

export async function sendTryIt(sources: PanelSources, params: URLSearchParams): Promise<Reply> {
  const form: TryItForm = {
    customerId: (params.get('customerId') ?? '').trim(),
    detailType: params.get('detailType') ?? '',
    source: (params.get('source') ?? '').trim(),
    detail: params.get('detail') ?? '',
  };
  const problems: string[] = [];
  if (form.customerId === '') problems.push('Customer id: give the customer the event is about.');
  if (form.source === '') problems.push('Source: name the system the event comes from, e.g. "shop.web".');
  let detail: unknown;
  try {
    detail = JSON.parse(form.detail);
  } catch (error) {
    problems.push(`Detail is not JSON: ${errorMessage(error)}`);
  }
  if (problems.length > 0) return tryIt(sources, form, problems);
  if (!isRecord(detail))
    return tryIt(sources, form, ['Detail must be a JSON object, such as {"cartId": "c-1"}.']);
  const withCustomer = withCustomerId(sources.events, form.detailType, detail, form.customerId);
  const parsed = parseEventDetail(sources.events, form.detailType, withCustomer);
  if (!parsed.ok) return tryIt(sources, form, describeDetailProblems(parsed.problems));
  const outcome = await sources.publish({
    source: form.source,
    detailType: form.detailType,
    detail: withCustomer,
  });
  if (!outcome.sent) return tryIt(sources, form, [outcome.reason]);
  return {
    kind: 'redirect',
    location: `${customerHref(form.customerId)}?sent=${encodeURIComponent(`${form.detailType} ${outcome.eventId}`)}`,
  };
}

export async function advanceClock(sources: PanelSources, params: URLSearchParams): Promise<Reply> {
  const back = params.get('back') ?? '';
  const seconds = Number(params.get('seconds'));
  if (sources.clock === undefined) return notFound(sources, 'Only the local engine has a clock to move.');
  // The steps the page offers: the clock never goes back, so a slip must not send it years ahead.
  if (!CLOCK_STEPS.includes(seconds)) {
    throw new BadRequest(
      400,
      `The clock moves by ${CLOCK_STEPS.join(' or ')} seconds, not "${params.get('seconds') ?? ''}".`,
    );
  }
  await sources.clock.advanceBy(seconds);
  // Only a path of this panel: "//host", "/\\host" or a broken header must not send anyone elsewhere.
  return { kind: 'redirect', location: PANEL_PATH.test(back) ? back : '/customers' };
}
