/**
 * What the panel reads and does, independent of where the system runs. The
 * local engine provides one set; pointed at AWS, the same store code reads
 * the deployed table and the Step Functions API gives the executions.
 */
import type { EventCatalog } from '../../shared/events/catalog.ts';
import type { Channel } from '../../shared/customer/profile.ts';
import type { Journey, Settings } from '../../shared/journey/schema.ts';
import type { Problem } from '../../shared/journey/problem.ts';
import type { ExecutionPosition } from '../../shared/report/types.ts';
import type { StoreContext } from '../../shared/store/context.ts';
import type { CustomerOverview } from '../../shared/store/overview.ts';
import type { Project } from '../../shared/project/load.ts';
import type { Segment } from '../../shared/audience/segment.ts';
import { basename } from 'node:path';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { errorMessage } from '../../shared/text/error-message.ts';

export interface PanelJourneyFile {
  file: string;
  /** Undefined when the file does not parse as a journey at all. */
  journey?: Journey;
  /** Running in this engine: parsed, and free of errors. */
  running: boolean;
  problems: readonly Problem[];
}

export interface PanelSegmentFile {
  file: string;
  /** Undefined when the file does not load as a segment. */
  segment?: Segment;
  problems: readonly Problem[];
}

/** A message as the channel sent it; only where the sender kept a copy (the local outbox). */
export interface SentMessageContent {
  channel: Channel;
  recipient: string;
  subject?: string;
  text: string;
  html?: string;
}

export interface EventToSend {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}

export type SendOutcome = { sent: true; eventId: string } | { sent: false; reason: string };

/** Only a local engine has a clock to move. */
export interface PanelClock {
  mode: string;
  advanceBy(seconds: number): Promise<void>;
}

export interface PanelSources {
  store: StoreContext;
  settings: Settings;
  /** The project's event types, for "Try it" and the figures. */
  events: EventCatalog;
  journeyFiles: readonly PanelJourneyFile[];
  /** journeys/segments/*.json, each with its problems. */
  segmentFiles: readonly PanelSegmentFile[];
  /** Every journey's executions, for the figures; `limited` names journeys read only in part. */
  executions(): Promise<{ positions: ExecutionPosition[]; limited: string[] }>;
  /** One customer's open executions: those their membership items hold. */
  customerExecutions(overview: CustomerOverview): Promise<ExecutionPosition[]>;
  sentContent(messageId: string): SentMessageContent | undefined;
  publish(event: EventToSend): Promise<SendOutcome>;
  now(): Date;
  clock?: PanelClock;
  /**
   * How long the figures (the counters and the executions' histories) may be reused: 0 locally, where
   * they are cheap; some seconds on AWS, so pages polled every two seconds do not read the executions
   * each time.
   */
  figuresMaxAgeMs: number;
  /**
   * Resolves once every history entry written so far is in the counters: the local engine's stand-in
   * for the table's stream counts in batches. Undefined: the counters are read as they are (on AWS the
   * stream's few seconds behind).
   */
  figuresSettled?: () => Promise<void>;
}

/** Each journey file with its problems; `running` says whether the host runs a journey. */
export function journeyFilesOf(
  project: Project,
  running: (journeyId: string) => boolean,
): PanelJourneyFile[] {
  return project.files.map((file) => {
    const journey = project.journeys.find((loaded) => loaded.file === file)?.journey;
    const problems = project.problems.filter((problem) => problem.file === file);
    return {
      file: basename(file),
      ...(journey === undefined ? {} : { journey }),
      running: journey !== undefined && running(journey.id),
      problems,
    };
  });
}

/** Each segment file with its problems; a segment is its file's when the id is the file's name. */
export function segmentFilesOf(project: Project): PanelSegmentFile[] {
  return project.segmentFiles.map((file) => {
    const segment = [...project.segments.values()].find(
      (candidate) => `${candidate.id}.json` === basename(file),
    );
    return {
      file: basename(file),
      ...(segment === undefined ? {} : { segment }),
      problems: project.problems.filter((problem) => problem.file === file),
    };
  });
}

/** "Try it" through PutEvents, as any producer sends: the entry's own refusal becomes the reason shown. */
export function publisherTo(
  eventbridge: EventBridgeClient,
  bus: string,
): (event: EventToSend) => Promise<SendOutcome> {
  return async (event) => {
    try {
      const result = await eventbridge.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: bus,
              Source: event.source,
              DetailType: event.detailType,
              Detail: JSON.stringify(event.detail),
            },
          ],
        }),
      );
      const entry = result.Entries?.[0];
      if (entry?.EventId !== undefined) return { sent: true, eventId: entry.EventId };
      return {
        sent: false,
        reason: `${entry?.ErrorCode ?? 'Refused'}: ${entry?.ErrorMessage ?? 'no reason given'}`,
      };
    } catch (error) {
      return { sent: false, reason: errorMessage(error) };
    }
  };
}
