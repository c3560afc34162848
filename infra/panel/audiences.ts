/**
 * The Segments page and the broadcasts parts, and what they read: every
 * segment sized in one Scan of the profiles, and the broadcast runs' progress
 * from their counters (Queries), reused for the sources' figures age (a part
 * polled every two seconds on AWS does not read them each time), as the figures are.
 */
import { previewSegments, segmentUses } from '../../shared/audience/preview.ts';
import { isBroadcastTrigger } from '../../shared/journey/trigger.ts';
import { type BroadcastProgress, readBroadcastProgress } from '../../shared/report/broadcasts.ts';
import { fingerprint, notFound, pageReply, type Reply } from './reply.ts';
import type { PanelSources } from './sources.ts';
import { type BroadcastsPart, broadcastsPart, type SegmentRow, segmentsView } from './views/segments.ts';

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
  // Run progress is counted (the figures): locally, what was written before this read is counted first.
  const runs = (async () => {
    await sources.figuresSettled?.();
    return readBroadcastProgress(sources.store, journeyIds);
  })();
  cache.set(key, { readAt: Date.now(), runs });
  // A failed read is not kept: the next poll tries again.
  runs.catch(() => cache.delete(key));
  return runs;
}

// ---- the pages ----------------------------------------------------------------------------------------------------

export async function segmentsPage(sources: PanelSources): Promise<Reply> {
  const [sizes, runs] = await Promise.all([
    readSegmentSizes(sources),
    readBroadcasts(sources, broadcastJourneyIds(sources)),
  ]);
  return pageReply(
    sources,
    'segments',
    'Segments',
    segmentsView({ ...sizes, broadcasts: broadcastsOf(runs, undefined, true) }),
  );
}

/** The runs part of one journey's page (`journeyId`), or of the segments page (every broadcast journey). */
export function broadcastsOf(
  runs: readonly BroadcastProgress[],
  journeyId: string | undefined,
  showJourney: boolean,
): BroadcastsPart {
  return {
    runs,
    pollPath:
      journeyId === undefined
        ? '/segments/broadcasts'
        : `/journeys/${encodeURIComponent(journeyId)}/broadcasts`,
    version: fingerprint(runs),
    showJourney,
  };
}

export async function broadcastsLive(
  sources: PanelSources,
  journeyIds: readonly string[],
  url: URL,
  everyJourney: boolean,
): Promise<Reply> {
  const [only] = journeyIds;
  if (!everyJourney && (only === undefined || !broadcastJourneyIds(sources).includes(only)))
    return notFound(sources, `No broadcast journey "${only ?? ''}" in journeys/.`);
  const part = broadcastsOf(
    await readBroadcasts(sources, journeyIds),
    everyJourney ? undefined : only,
    everyJourney,
  );
  return url.searchParams.get('v') === part.version
    ? { kind: 'unchanged' }
    : { kind: 'page', status: 200, body: broadcastsPart(part) };
}
