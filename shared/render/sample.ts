/** Sample data for checking templates: the catalog's example of each event and the example profile. */
import { exampleProfile } from '../customer/profile.ts';
import { eventCatalog, isCatalogEventType } from '../events/catalog.ts';
import type { TemplateContext } from './templates.ts';

export function sampleEventDetail(detailType: string): Record<string, unknown> | undefined {
  return isCatalogEventType(detailType) ? { ...eventCatalog[detailType].example } : undefined;
}

export function sampleContext(options: {
  detailType: string;
  journeyId: string;
  journeyName: string;
  stepId: string;
  values: Record<string, unknown>;
  unsubscribeBaseUrl: string;
}): TemplateContext {
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
