/**
 * A project's journeys on both targets: each compiled as Standard and as high-volume (whatever its
 * `workflow` says), and what one entry uses on each.
 */
import type { EventCatalog } from '../events/catalog.ts';
import { compileJourney } from '../journey/compile.ts';
import type { Journey, Settings } from '../journey/schema.ts';
import { ASSUMPTIONS, type Assumptions, entryUsage, type EntryUsage, type Target } from './usage.ts';

export interface JourneyUsages {
  journeyId: string;
  standard: EntryUsage;
  highVolume: EntryUsage;
}

export function usagesOf(
  journey: Journey,
  settings: Settings,
  events: EventCatalog,
  assumptions: Assumptions = ASSUMPTIONS,
): JourneyUsages {
  const on = (target: Target): EntryUsage =>
    entryUsage(
      journey,
      compileJourney({ ...journey, workflow: target }, settings, events).definition,
      target,
      assumptions,
    );
  return { journeyId: journey.id, standard: on('standard'), highVolume: on('high-volume') };
}

export function usageOn(usages: JourneyUsages, target: Target): EntryUsage {
  return target === 'standard' ? usages.standard : usages.highVolume;
}
