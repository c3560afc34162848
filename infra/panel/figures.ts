/**
 * The figures behind the journey, graph and metrics pages: the counters (shared/store/figures.ts), read
 * with one Query per journey and one for what belongs to none, whatever the number of customers, and
 * where the executions are now. Never a read of the whole table: what only that gives (compliance,
 * coordination, trigger to first message, send rates reached) is `waymark report --full`'s.
 */
import { countedReport } from '../../shared/figures/report.ts';
import type { EngagementRow, Report, StepCounts } from '../../shared/report/types.ts';
import { readFigureSums } from '../../shared/store/figures.ts';
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
  // Locally, what was written before this page asked is counted first (the stream's stand-in batches it).
  await sources.figuresSettled?.();
  const definitions = sources.journeyFiles.flatMap((file) =>
    file.journey === undefined ? [] : [file.journey],
  );
  const [sums, executions] = await Promise.all([
    readFigureSums(
      sources.store,
      definitions.map((journey) => journey.id),
    ),
    sources.executions(),
  ]);
  const report = countedReport({
    all: sums.all,
    journeys: sums.journeys,
    definitions,
    executions: executions.positions,
    executionsLimited: executions.limited,
    now: sources.now(),
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
