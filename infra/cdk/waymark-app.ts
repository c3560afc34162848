/**
 * Builds the Waymark CDK app: reads the stage from context, validates and
 * compiles the journeys folder, refuses a webhook that deployed journeys call
 * and that is not https, creates the core stack (with one nested stack per
 * journey) and registers cdk-nag. Used by app.ts, the tests and
 * the bench, so all three synthesize the same thing.
 */
import { taskFunctionTimeout } from './constructs/runtime-functions.ts';
import { isAbsolute, join } from 'node:path';
import { Annotations, type App } from 'aws-cdk-lib';
import { deployedWebhookProblems } from './channel-targets.ts';
import { type CompiledProject, compileProject } from './compile-project.ts';
import {
  ConfigurationError,
  type DeploymentConfig,
  journeysDirFrom,
  readDeploymentConfig,
  stageWhere,
} from './config.ts';
import type { HandlerFolder } from './constructs/waymark-function.ts';
import { CoreStack } from './core-stack.ts';
import { resourcePrefix } from './names.ts';
import { addNagChecks } from './nag.ts';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

export interface WaymarkAppOptions {
  /** The App to build into; its context is cdk.json's (or a test's). */
  readonly app: App;
  /** The repository root: `functions/`, `package-lock.json`, and the base of a relative journeys folder. */
  readonly projectRoot: string;
  /**
   * Code that is already built, for tests that only inspect templates.
   * @default - every function is bundled by esbuild
   */
  readonly functionCode?: (name: HandlerFolder) => lambda.Code;
}

export interface WaymarkApp {
  readonly config: DeploymentConfig;
  readonly project: CompiledProject;
  readonly stack: CoreStack;
}

/** Throws ConfigurationError or JourneyProblemsError, whose messages are meant for the user as they are. */
export function buildWaymarkApp(options: WaymarkAppOptions): WaymarkApp {
  const context = (key: string): unknown => options.app.node.tryGetContext(key);
  const journeysDir = journeysDirFrom(context);
  const project = compileProject(
    isAbsolute(journeysDir) ? journeysDir : join(options.projectRoot, journeysDir),
  );
  const config = readDeploymentConfig(context, project.settings, project.settingsFile);
  // The validator lets a loopback http webhook pass for the local engine; a deployed one must be https.
  const webhookProblems = deployedWebhookProblems(project.channelTargets, project.settings, {
    settingsFile: project.settingsFile,
    stageUrls: config.webhookUrls,
    stageWhere: `${stageWhere(config.stage)}.webhookUrls`,
    // The deliver function reads and writes around the call: two seconds of its own time kept for that.
    maxTimeoutSeconds: taskFunctionTimeout(project).toSeconds() - 2,
    expressDeployed: project.journeys.some((journey) => journey.deploy && journey.workflowType === 'EXPRESS'),
  });
  if (webhookProblems.length > 0) throw new ConfigurationError(webhookProblems.join('\n'));
  const stack = new CoreStack(options.app, resourcePrefix(config.stage), {
    description: `Waymark ${config.stage}: journeys, event bus, delivery functions and their data`,
    ...(config.env === undefined ? {} : { env: config.env }),
    config,
    project,
    projectRoot: options.projectRoot,
    ...(options.functionCode === undefined ? {} : { functionCode: options.functionCode }),
  });
  for (const warning of project.warnings) Annotations.of(stack).addWarningV2('waymark:journeys', warning);
  addNagChecks(options.app);
  return { config, project, stack };
}
