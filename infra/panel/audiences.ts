/**
 * What the Segments page and the broadcasts parts read: every segment sized
 * in one Scan of the profiles, and the broadcast runs' progress, reused for
 * the sources' figures age (a part polled every two seconds on AWS does not
 * scan the stage's history each time), as the figures are.
 */
import { previewSegments, segmentUses } from '../../shared/audience/preview.ts';
import { isBroadcastTrigger } from '../../shared/journey/trigger.ts';
import { type BroadcastProgress, readBroadcastProgress } from '../../shared/report/broadcasts.ts';
import type { PanelSources } from './sources.ts';
import type { SegmentRow } from './views/segments.ts';

export interface SegmentSizes {
  rows: SegmentRow[];
  /** Profiles read. */
  scanned: number;
  asOf: Date;
}

/** Each segment file with its members now (loaded ones) and the journeys that start from it. */
export async function readSegmentSizes(sources: PanelSources): Promise<SegmentSizes> {
  const journeys = sources.journeyFiles.flatMap((file) => (file.journey === undefined ? [] : [file.journey]));
  const uses = segmentUses(journeys);
  const loaded = sources.segmentFiles.flatMap((file) => (file.segment === undefined ? [] : [file.segment]));
  const asOf = sources.now();
  const previews = await previewSegments(sources.store, loaded, { now: asOf, sampleSize: 0 });
  const rows = sources.segmentFiles.map((file): SegmentRow => {
    const size = previews.find((preview) => preview.segmentId === file.segment?.id);
    return {
      file,
      ...(size === undefined ? {} : { size }),
      uses: file.segment === undefined ? [] : (uses.get(file.segment.id) ?? []),
    };
  });
  return { rows, scanned: previews[0]?.scanned ?? 0, asOf };
}

/** The journeys of the folder that broadcast, in its order. */
export function broadcastJourneyIds(sources: PanelSources): string[] {
  return sources.journeyFiles.flatMap((file) =>
    file.journey !== undefined && isBroadcastTrigger(file.journey.trigger) ? [file.journey.id] : [],
  );
}

const recent = new WeakMap<
  PanelSources,
  Map<string, { readAt: number; runs: Promise<BroadcastProgress[]> }>
>();

/** The runs of these journeys with their progress, newest first per journey. */
export function readBroadcasts(
  sources: PanelSources,
  journeyIds: readonly string[],
): Promise<BroadcastProgress[]> {
  const cache =
    recent.get(sources) ?? new Map<string, { readAt: number; runs: Promise<BroadcastProgress[]> }>();
  recent.set(sources, cache);
  const key = JSON.stringify(journeyIds);
  const cached = cache.get(key);
  if (cached !== undefined && Date.now() - cached.readAt < sources.figuresMaxAgeMs) return cached.runs;
  const runs = readBroadcastProgress(sources.store, journeyIds);
  cache.set(key, { readAt: Date.now(), runs });
  // A failed read is not kept: the next poll tries again.
  runs.catch(() => cache.delete(key));
  return runs;
}
