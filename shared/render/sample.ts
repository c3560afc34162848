/**
 * Sample data for checking templates: the catalog's example of each event and the example
 * profile, and their sparse twins with every optional field left out, because real customers
 * and real events are often sparse.
 */
import { exampleProfile } from '../customer/profile.ts';
import { eventCatalog, isCatalogEventType, parseEventDetail } from '../events/catalog.ts';
import type { TemplateContext } from './templates.ts';
import { isRecord } from '../json.ts';

export function sampleEventDetail(detailType: string): Record<string, unknown> | undefined {
  return isCatalogEventType(detailType) ? structuredClone(eventCatalog[detailType].example) : undefined;
}

const sparseDetails = new Map<string, Record<string, unknown> | undefined>();

/** The catalog's example with every field the catalog does not require removed, at any depth. */
export function sparseEventDetail(detailType: string): Record<string, unknown> | undefined {
  // The catalog does not change while the process runs: work each event type out once.
  if (!sparseDetails.has(detailType)) sparseDetails.set(detailType, pruneOptional(detailType));
  const sparse = sparseDetails.get(detailType);
  return sparse === undefined ? undefined : structuredClone(sparse);
}

function pruneOptional(detailType: string): Record<string, unknown> | undefined {
  const detail = sampleEventDetail(detailType);
  if (detail === undefined) return undefined;
  const stillValid = (): boolean => parseEventDetail(detailType, detail).ok;
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
    event: sampleEventDetail(options.detailType) ?? {},
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
    ? { ...full, event: sparseEventDetail(options.detailType) ?? {} }
    : { ...full, profile: sparseProfile(exampleProfile.customerId) };
}
