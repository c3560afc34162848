/**
 * The journeys folder as the CDK app sees it: validated by the same loader as
 * the CLI and the local engine, then compiled. A project with errors stops
 * synth with the validator's own messages.
 */
import type { EventCatalog } from '../../shared/events/catalog.ts';
import { join } from 'node:path';
import { type CompiledJourney, compileJourney } from '../../shared/journey/compile.ts';
import { formatProblem } from '../../shared/journey/problem.ts';
import type { Settings } from '../../shared/journey/schema.ts';
import { loadProject, SETTINGS_FILE } from '../../shared/project/load.ts';

export interface CompiledProject {
  /** The journeys folder, bundled next to every function. */
  readonly dir: string;
  readonly settingsFile: string;
  readonly settings: Settings;
  /** The event types (journeys/events/ and the built-in profile update): the record rule needs them. */
  readonly events: EventCatalog;
  /** Every journey, drafts included; only those with `deploy` become resources. */
  readonly journeys: readonly CompiledJourney[];
  /** Validator warnings, shown by synth without stopping it. */
  readonly warnings: readonly string[];
}

export class JourneyProblemsError extends Error {
  override readonly name = 'JourneyProblemsError';
}

export function compileProject(dir: string): CompiledProject {
  const project = loadProject(dir);
  const errors = project.problems.filter((problem) => problem.severity === 'error');
  if (errors.length > 0 || project.settings === undefined) {
    const count = errors.length === 1 ? '1 error' : `${errors.length} errors`;
    throw new JourneyProblemsError(
      [
        `The journeys in ${dir} have ${count}; nothing was synthesized.`,
        ...errors.map(formatProblem),
        'Fix them (npx waymark validate shows the same list) and run synth again.',
      ].join('\n'),
    );
  }
  const settings = project.settings;
  return {
    dir,
    settingsFile: join(dir, SETTINGS_FILE),
    settings,
    events: project.events,
    journeys: project.journeys.map(({ journey }) => compileJourney(journey, settings, project.events)),
    warnings: project.problems.filter((problem) => problem.severity === 'warning').map(formatProblem),
  };
}
