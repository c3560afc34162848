/**
 * Sample data for checking templates: the catalog's example of each event and the example
 * profile, and their sparse twins with every optional field left out, because real customers
 * and real events are often sparse.
 */
import { exampleProfile } from '../customer/profile.ts';
import { type EventCatalog, exampleDetail, parseEventDetail } from '../events/catalog.ts';
import type { TemplateContext } from './templates.ts';
import { isRecord } from '../json.ts';

export function sampleEventDetail(
  catalog: EventCatalog,
  detailType: string,
): Record<string, unknown> | undefined {
  return exampleDetail(catalog, detailType);
}

const sparseDetails = new WeakMap<EventCatalog, Map<string, Record<string, unknown> | undefined>>();

/** The catalog's example with every field the catalog does not require removed, at any depth. */
export function sparseEventDetail(
  catalog: EventCatalog,
  detailType: string,
): Record<string, unknown> | undefined {
  // A catalog does not change once loaded: work each of its event types out once.
  const known = sparseDetails.get(catalog) ?? new Map<string, Record<string, unknown> | undefined>();
  sparseDetails.set(catalog, known);
  if (!known.has(detailType)) known.set(detailType, pruneOptional(catalog, detailType));
  const sparse = known.get(detailType);
  return sparse === undefined ? undefined : structuredClone(sparse);
}

function pruneOptional(catalog: EventCatalog, detailType: string): Record<string, unknown> | undefined {
  const detail = sampleEventDetail(catalog, detailType);
  if (detail === undefined) return undefined;
  const stillValid = (): boolean => parseEventDetail(catalog, detailType, detail).ok;
  const prune = (node: Record<string, unknown>): void => {
    for (const key of Object.keys(node)) {
      const value = node[key];
      Reflect.deleteProperty(node, key);
      if (stillValid()) continue;
      node[key] = value;
      if (Array.isArray(value)) {
        // The shortest list the catalog allows: empty if it may be, else its first element alone.
        node[key] = [];
        if (stillValid()) continue;
        const first: unknown = value[0];
        node[key] = first === undefined ? value : [first];
        if (isRecord(first)) prune(first);
      } else if (isRecord(value)) {
        prune(value);
      }
    }
  };
  prune(detail);
  return detail;
}

/** A customer the system knows nothing about yet: no address, no attributes, no consent. */
export function sparseProfile(customerId: string): Record<string, unknown> {
  return {
    customerId,
    consent: { email: 'unknown', sms: 'unknown', push: 'unknown' },
    attributes: {},
    tags: [],
  };
}

export interface SampleOptions {
  events: EventCatalog;
  detailType: string;
  journeyId: string;
  journeyName: string;
  stepId: string;
  values: Record<string, unknown>;
  unsubscribeBaseUrl: string;
}

export function sampleContext(options: SampleOptions): TemplateContext {
  return {
    profile: { ...exampleProfile },
    event: sampleEventDetail(options.events, options.detailType) ?? {},
    trigger: {
      id: '6f1c1c3e-0000-4000-8000-000000000000',
      detailType: options.detailType,
      source: 'sample',
      time: '2026-01-15T12:00:00Z',
    },
    values: options.values,
    journey: { id: options.journeyId, name: options.journeyName, stepId: options.stepId },
    unsubscribeUrl: `${options.unsubscribeBaseUrl}?token=sample`,
  };
}

/** The same context for a sparse event or a sparse profile. */
export function sparseContext(options: SampleOptions, sparse: 'event' | 'profile'): TemplateContext {
  const full = sampleContext(options);
  return sparse === 'event'
    ? { ...full, event: sparseEventDetail(options.events, options.detailType) ?? {} }
    : { ...full, profile: sparseProfile(exampleProfile.customerId) };
}
