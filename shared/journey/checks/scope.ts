/** What every journey check works with: the journey, its project, sample values and where to report. */
import type { Segment } from '../../audience/segment.ts';
import type { EventCatalog } from '../../events/catalog.ts';
import type { TemplateContext, TemplateSource } from '../../render/templates.ts';
import type { PathSegment, Problem } from '../problem.ts';
import type { Journey, Settings } from '../schema.ts';
import type { SourcePosition } from '../source.ts';

export interface ValidationContext {
  settings: Settings;
  events: EventCatalog;
  templates: ReadonlyMap<string, TemplateSource>;
  /** The segments of journeys/segments/, by id: audience triggers must name one. */
  segments: ReadonlyMap<string, Segment>;
  /** When the check runs: a one-off broadcast in the past is an error. */
  now: Date;
}

export type Report = (
  path: readonly PathSegment[],
  message: string,
  extra?: {
    expected?: string | undefined;
    hint?: string | undefined;
    severity?: Problem['severity'];
    /** Where to point when the path alone would point elsewhere (the second of two duplicate keys). */
    position?: SourcePosition;
  },
) => void;

export interface JourneyScope {
  journey: Journey;
  context: ValidationContext;
  /** The journey's values as they would be for the catalog's example of the trigger event. */
  values: Record<string, unknown>;
  /** What a step sees for the catalog's example event and profile, built once per journey. */
  sample: TemplateContext;
  report: Report;
}
