/** The figures behind the journey, graph and metrics pages: one report, built as `waymark report` builds it. */
import { buildReport } from '../../shared/report/report.ts';
import type { EngagementRow, Report, StepCounts } from '../../shared/report/types.ts';
import { scanCustomerOverviews } from '../../shared/store/overview.ts';
import type { PanelSources } from './sources.ts';
import type { JourneyTotals } from './views/journeys.ts';

export interface PanelFigures {
  report: Report;
  totals: Map<string, JourneyTotals>;
  steps: Map<string, Map<string, StepCounts>>;
  /** By journey: its engagement rows, send steps in graph order. */
  engagement: Map<string, EngagementRow[]>;
}

/** The last figures read for each set of sources, reused while younger than their max age. */
const recent = new WeakMap<PanelSources, { readAt: number; figures: Promise<PanelFigures> }>();

export function readFigures(sources: PanelSources): Promise<PanelFigures> {
  const cached = recent.get(sources);
  if (cached !== undefined && Date.now() - cached.readAt < sources.figuresMaxAgeMs) return cached.figures;
  const figures = readFreshFigures(sources);
  recent.set(sources, { readAt: Date.now(), figures });
  // A failed read is not kept: the next page tries again.
  figures.catch(() => recent.delete(sources));
  return figures;
}

async function readFreshFigures(sources: PanelSources): Promise<PanelFigures> {
  const [customers, executions] = await Promise.all([
    scanCustomerOverviews(sources.store),
    sources.executions(),
  ]);
  const report = buildReport({
    customers,
    events: sources.events,
    journeys: sources.journeyFiles.flatMap((file) => (file.journey === undefined ? [] : [file.journey])),
    executions: executions.positions,
    executionsLimited: executions.limited,
    now: sources.now(),
    sendRates: sources.settings.sendRates,
  });
  return {
    report,
    totals: new Map(
      report.journeys.map((journey) => [
        journey.journeyId,
        { entered: journey.entered, active: journey.active, converted: journey.converted },
      ]),
    ),
    steps: new Map(
      report.journeys.map((journey) => [journey.journeyId, new Map(Object.entries(journey.steps))]),
    ),
    engagement: new Map(
      report.journeys.map((journey) => [
        journey.journeyId,
        report.engagement.rows.filter((row) => row.journeyId === journey.journeyId),
      ]),
    ),
  };
}
