/**
 * The panel over AWS APIs only: the table through the store code, the
 * executions through Step Functions, events through PutEvents. Pointed at a
 * deployed stage it reads the stage; pointed at the local engine's endpoint
 * it reads the engine exactly as it would read AWS.
 */
import type { AwsClients } from '../../shared/aws/clients.ts';
import { readExecutionPositions, readPositionsOf } from '../../shared/report/positions.ts';
import type { Project } from '../../shared/project/load.ts';
import { journeyFilesOf, type PanelSources, publisherTo, segmentFilesOf } from './sources.ts';

export interface RemoteTarget {
  clients: AwsClients;
  table: string;
  bus: string;
  /** How state machines are named: "" locally, `waymark-<stage>-` on AWS; undefined: any prefix. */
  stateMachinePrefix: string | undefined;
  /** Executions read per journey, newest first (Step Functions throttles history reads). */
  executionLimit: number;
  project: Project;
  /** The time the stage lives in: the machine's on AWS, the engine's virtual clock locally. */
  now: () => Date;
}

const REMOTE_FIGURES_MAX_AGE_MS = 10_000;

export function remotePanelSources(target: RemoteTarget): PanelSources {
  const { clients, project } = target;
  const settings = project.settings;
  if (settings === undefined) throw new Error(`No usable settings.json in ${project.dir}.`);
  // What is deployed cannot be told from here; a journey file without errors is taken to run.
  const brokenFiles = new Set(
    project.problems.filter((problem) => problem.severity === 'error').map((problem) => problem.file),
  );
  const runningIds = new Set(
    project.journeys.filter((loaded) => !brokenFiles.has(loaded.file)).map((loaded) => loaded.journey.id),
  );
  return {
    store: { db: clients.dynamodb, table: target.table },
    settings,
    events: project.events,
    journeyFiles: journeyFilesOf(project, (journeyId) => runningIds.has(journeyId)),
    segmentFiles: segmentFilesOf(project),
    executions: () =>
      readExecutionPositions(clients.sfn, {
        journeyIds: [...runningIds],
        ...(target.stateMachinePrefix === undefined ? {} : { namePrefix: target.stateMachinePrefix }),
        limit: target.executionLimit,
      }),
    customerExecutions: (overview) =>
      readPositionsOf(
        clients.sfn,
        overview.journeys.flatMap((place) =>
          place.membership.active.map((executionArn) => ({ journeyId: place.journeyId, executionArn })),
        ),
      ),
    // Messages are not archived on AWS: previews come from the history's text.
    sentContent: () => undefined,
    publish: publisherTo(clients.eventbridge, target.bus),
    now: target.now,
    figuresMaxAgeMs: REMOTE_FIGURES_MAX_AGE_MS,
  };
}
