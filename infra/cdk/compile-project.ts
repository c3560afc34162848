/**
 * The journeys folder as the CDK app sees it: validated by the same loader as
 * the CLI and the local engine, then compiled. A project with errors stops
 * synth with the validator's own messages.
 */
import type { EventCatalog } from '../../shared/events/catalog.ts';
import { join } from 'node:path';
import { schedulerSchedule, schedulerState } from '../../shared/audience/scheduler-expression.ts';
import { type CompiledJourney, compileJourney } from '../../shared/journey/compile.ts';
import { formatProblem, type Problem } from '../../shared/journey/problem.ts';
import { isAudienceTrigger, type Settings } from '../../shared/journey/schema.ts';
import { audienceTriggerKind, isBroadcastTrigger } from '../../shared/journey/trigger.ts';
import { fileProblem } from '../../shared/project/files.ts';
import { loadProject, type LoadedJourney, SETTINGS_FILE } from '../../shared/project/load.ts';
import { type ChannelTargets, channelTargets } from './channel-targets.ts';

/** A deployed broadcast journey's schedule, in EventBridge Scheduler's terms. */
export interface BroadcastSchedule {
  readonly journeyId: string;
  /** `at(...)` or `cron(...)`. */
  readonly expression: string;
  /** The zone the expression is read in (UTC+14 for a broadcast in the customers' own zones). */
  readonly timeZone: string;
  /** Disabled while the journey is paused. */
  readonly state: 'ENABLED' | 'DISABLED';
}

export interface CompiledProject {
  /** The journeys folder, bundled next to every function. */
  readonly dir: string;
  readonly settingsFile: string;
  readonly settings: Settings;
  /** The event types (journeys/events/ and the built-in profile update): the record rule needs them. */
  readonly events: EventCatalog;
  /** Every journey, drafts included; only those with `deploy` become resources. */
  readonly journeys: readonly CompiledJourney[];
  /** One per deployed journey that starts from a segment at a time (one-off or recurring). */
  readonly broadcasts: readonly BroadcastSchedule[];
  /** Some deployed journey starts when a customer enters a segment: record then puts that on the bus. */
  readonly segmentEntries: boolean;
  /** The WhatsApp sender, webhooks and functions the deployed journeys send through: deliver's grants. */
  readonly channelTargets: ChannelTargets;
  /** Validator warnings, shown by synth without stopping it. */
  readonly warnings: readonly string[];
}

/**
 * A journey deployed as parts (issue 18): Express executions of its machine, from one wait to the
 * next, each wait a one-time Scheduler schedule (constructs/high-volume.ts).
 */
export function isHighVolume(compiled: CompiledJourney): boolean {
  return compiled.target === 'high-volume';
}

export class JourneyProblemsError extends Error {
  override readonly name = 'JourneyProblemsError';
}

function problemsError(dir: string, errors: readonly Problem[]): JourneyProblemsError {
  const count = errors.length === 1 ? '1 error' : `${errors.length} errors`;
  return new JourneyProblemsError(
    [
      `The journeys in ${dir} have ${count}; nothing was synthesized.`,
      ...errors.map(formatProblem),
      'Fix them (npx waymark validate shows the same list) and run synth again.',
    ].join('\n'),
  );
}

export function compileProject(dir: string): CompiledProject {
  const project = loadProject(dir);
  const errors = project.problems.filter((problem) => problem.severity === 'error');
  if (errors.length > 0 || project.settings === undefined) throw problemsError(dir, errors);
  const settings = project.settings;
  const journeys = project.journeys.map(({ journey }) => compileJourney(journey, settings, project.events));
  const deployed = project.journeys.filter((_, index) => journeys[index]?.deploy === true);
  const broadcasts = broadcastSchedules(deployed, settings);
  if (broadcasts.problems.length > 0) throw problemsError(dir, broadcasts.problems);
  return {
    dir,
    settingsFile: join(dir, SETTINGS_FILE),
    settings,
    events: project.events,
    journeys,
    broadcasts: broadcasts.schedules,
    segmentEntries: deployed.some(
      ({ journey }) => isAudienceTrigger(journey.trigger) && audienceTriggerKind(journey.trigger) === 'enter',
    ),
    channelTargets: channelTargets(deployed.map(({ journey }) => journey)),
    warnings: project.problems.filter((problem) => problem.severity === 'warning').map(formatProblem),
  };
}

/** Each broadcast's schedule, or what Scheduler cannot take (both days in one cron). */
function broadcastSchedules(
  journeys: readonly LoadedJourney[],
  settings: Settings,
): { schedules: BroadcastSchedule[]; problems: Problem[] } {
  const schedules: BroadcastSchedule[] = [];
  const problems: Problem[] = [];
  for (const { file, journey } of journeys) {
    if (!isBroadcastTrigger(journey.trigger)) continue;
    const schedule = schedulerSchedule(journey.trigger, settings.timeZone);
    if (!schedule.ok) {
      problems.push(
        fileProblem(file, schedule.message, ['trigger', journey.trigger.at === undefined ? 'cron' : 'at']),
      );
      continue;
    }
    schedules.push({
      journeyId: journey.id,
      expression: schedule.expression,
      timeZone: schedule.timeZone,
      state: schedulerState(journey.status),
    });
  }
  return { schedules, problems };
}
