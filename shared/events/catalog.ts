/**
 * The event catalog: what journeys may rely on about each event type. It is
 * data, not code: the team's own events come from `journeys/events/*.json`
 * (shared/events/event-file.ts), beside the one event the runtime itself
 * defines, the profile update (shared/events/built-in.ts). The validator,
 * the compiler, the runtime and the panel all read one catalog per project.
 */
import * as z from 'zod';
import { customerIdSchema } from '../customer/profile.ts';
import { isRecord, ownValue, setOwn } from '../json.ts';
import { errorMessage } from '../text/error-message.ts';

export interface DetailProblem {
  path: (string | number)[];
  message: string;
}

/** A detail checked against its event's schema. Fields the schema does not name are kept: producers may add. */
export type DetailRead =
  { ok: true; detail: Record<string, unknown> } | { ok: false; problems: DetailProblem[] };

export type EventOrigin = { kind: 'built-in' } | { kind: 'file'; file: string };

export interface EventDefinition {
  /** EventBridge's `detail-type`. */
  readonly detailType: string;
  readonly description: string;
  /** The source producers send it from, when the team declared one; rules then match it too. */
  readonly source: string | undefined;
  /** Where the detail keeps the customer id, as path segments: `["account", "id"]` for `account.id`. */
  readonly customerIdPath: readonly string[];
  /** The customer caused it (an order, a click), so it counts toward the hours they tend to act in. */
  readonly engagement: boolean;
  /** The detail's JSON Schema: which fields exist, at any depth, for the validator. */
  readonly schema: Readonly<Record<string, unknown>>;
  /** At least one example detail: templates are checked and `Try it` is filled with the first. */
  readonly examples: readonly Record<string, unknown>[];
  readonly origin: EventOrigin;
  /** Checks a detail; never throws. */
  readonly read: (detail: unknown) => DetailRead;
}

export interface EventCatalog {
  readonly events: ReadonlyMap<string, EventDefinition>;
}

/** Where a detail keeps the customer id unless its event file says otherwise. */
export const DEFAULT_CUSTOMER_ID_PATH: readonly string[] = ['customerId'];

export function createEventCatalog(definitions: readonly EventDefinition[]): EventCatalog {
  return { events: new Map(definitions.map((definition) => [definition.detailType, definition])) };
}

/** Every event type, sorted, as error messages and the panel list them. */
export function eventTypes(catalog: EventCatalog): string[] {
  return [...catalog.events.keys()].sort();
}

export function eventDefinition(catalog: EventCatalog, detailType: string): EventDefinition | undefined {
  return catalog.events.get(detailType);
}

/** The first example of an event type, a copy the caller may change. */
export function exampleDetail(
  catalog: EventCatalog,
  detailType: string,
): Record<string, unknown> | undefined {
  const example = catalog.events.get(detailType)?.examples[0];
  return example === undefined ? undefined : structuredClone(example);
}

export function customerIdPath(catalog: EventCatalog, detailType: string): readonly string[] {
  return catalog.events.get(detailType)?.customerIdPath ?? DEFAULT_CUSTOMER_ID_PATH;
}

/** The customer id path as the journey language and the docs write it: `account.id`. */
export function customerIdField(catalog: EventCatalog, detailType: string): string {
  return customerIdPath(catalog, detailType).join('.');
}

export type CustomerIdRead = { ok: true; customerId: string } | { ok: false; problem: string };

/** Whatever is where the event type keeps the customer id, unchecked: for logs and routing order. */
export function customerIdValue(catalog: EventCatalog, detailType: string, detail: unknown): unknown {
  let value: unknown = detail;
  for (const segment of customerIdPath(catalog, detailType))
    value = isRecord(value) ? ownValue(value, segment) : undefined;
  return value;
}

/** The customer id as text, unchecked: how the local engine's console and routing order name a customer. */
export function customerIdText(
  catalog: EventCatalog,
  event: Pick<EventEnvelope, 'detail-type' | 'detail'>,
): string | undefined {
  const value = customerIdValue(catalog, event['detail-type'], event.detail);
  return typeof value === 'string' ? value : undefined;
}

/** The customer an event is about, read where its event type keeps the id. */
export function readCustomerId(catalog: EventCatalog, detailType: string, detail: unknown): CustomerIdRead {
  const path = customerIdPath(catalog, detailType);
  const value = customerIdValue(catalog, detailType, detail);
  const parsed = customerIdSchema.safeParse(value);
  if (parsed.success) return { ok: true, customerId: parsed.data };
  const field = `detail.${path.join('.')}`;
  return {
    ok: false,
    problem:
      value === undefined
        ? `${field}: missing; "${detailType}" events carry the customer id there`
        : `${field}: ${z.prettifyError(parsed.error)}`,
  };
}

/** A detail with the customer id set where its event type keeps it (the rest of the path made as needed). */
export function withCustomerId(
  catalog: EventCatalog,
  detailType: string,
  detail: Record<string, unknown>,
  customerId: string,
): Record<string, unknown> {
  const copy = structuredClone(detail);
  const path = customerIdPath(catalog, detailType);
  let parent = copy;
  // setOwn: a segment named "__proto__" (in a file put-event reads unchecked) must not become the prototype.
  path.forEach((segment, index) => {
    if (index === path.length - 1) {
      setOwn(parent, segment, customerId);
      return;
    }
    const next = ownValue(parent, segment);
    const child: Record<string, unknown> = isRecord(next) ? next : {};
    setOwn(parent, segment, child);
    parent = child;
  });
  return copy;
}

/** Checks a detail against the catalog; an unknown type is a problem naming the known ones. Never throws. */
export function parseEventDetail(catalog: EventCatalog, detailType: string, detail: unknown): DetailRead {
  const definition = catalog.events.get(detailType);
  if (definition === undefined) {
    return {
      ok: false,
      problems: [
        {
          path: [],
          message: `Unknown event type ${JSON.stringify(detailType)}. Known types: ${eventTypes(catalog).join(', ')}`,
        },
      ],
    };
  }
  try {
    return definition.read(detail);
  } catch (error) {
    // A hostile getter or proxy can still throw from inside a validator; callers were promised no throw.
    const reason = errorMessage(error);
    return { ok: false, problems: [{ path: [], message: `Could not read the event detail: ${reason}` }] };
  }
}

/** Problems as one line each, as the history and the journey entries keep them: "detail.items: ...". */
export function describeDetailProblems(problems: readonly DetailProblem[]): string[] {
  return problems.map((problem) => `detail.${problem.path.join('.')}: ${problem.message}`);
}

export const eventEnvelopeSchema = z.object({
  version: z.string().min(1),
  id: z.string().min(1),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  account: z.string().regex(/^\d{12}$/, 'Expected a 12-digit AWS account id'),
  time: z.iso.datetime({ offset: true }),
  region: z.string().min(1),
  resources: z.array(z.string()),
  // Only the shape is checked here; parseEventDetail checks the content against the catalog.
  detail: z.record(z.string(), z.unknown()),
});
export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;
