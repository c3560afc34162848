/**
 * The one way a runtime function is deployed: Node.js 22 on ARM64, bundled
 * by esbuild into minified ESM with a source map, the journeys folder next
 * to the handler, its own log group and role, X-Ray tracing, an errors alarm,
 * and for functions invoked asynchronously an on-failure queue.
 */
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledge, ANY_RESOURCE } from '../nag.ts';
import { alarmOnAny } from './alarms.ts';
import { DeadLetterQueue } from './dead-letter-queue.ts';

/** The folders under functions/ that hold a handler. */
export const FUNCTION_NAMES = [
  'steps',
  'deliver',
  'record',
  'resume',
  'goals',
  'preferences',
  'unsubscribe',
  'audience',
  'finish',
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];
/** Every handler folder: the runtime functions, and the figures function (constructs/figures.ts). */
export type HandlerFolder = FunctionName | 'figures';

/** The runtime reads journeys from `$LAMBDA_TASK_ROOT/journeys` (functions/common/runtime.ts). */
export const BUNDLED_JOURNEYS_DIR = 'journeys';

/**
 * CJS dependencies (liquidjs, jsonc-parser) call `require` for Node built-ins, which an ES module
 * does not have: esbuild's shim needs a real one.
 */
const REQUIRE_SHIM =
  "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

/** The esbuild settings of every function. */
const BUNDLING: nodejs.BundlingOptions = {
  format: nodejs.OutputFormat.ESM,
  target: 'node22',
  minify: true,
  sourceMap: true,
  sourceMapMode: nodejs.SourceMapMode.DEFAULT,
  // Stack traces need names and lines, not the sources themselves: the map stays small.
  sourcesContent: false,
  // ES module builds first: UMD builds (jsonc-parser's) `require` their own files at run time,
  // which a single-file bundle cannot satisfy.
  mainFields: ['module', 'main'],
  // The Node.js 22 runtime ships AWS SDK v3; bundling it would triple every function.
  externalModules: ['@aws-sdk/*'],
  logLevel: nodejs.LogLevel.WARNING,
  banner: REQUIRE_SHIM,
};

/**
 * How a function is called decides what happens to a failed call. Synchronous callers (Step
 * Functions, the function URL) see the error and retry themselves; asynchronous ones (EventBridge)
 * hand the event over, so Lambda retries it and then keeps it in an on-failure queue.
 */
export type Invocation = 'synchronous' | 'asynchronous';

export interface WaymarkFunctionProps {
  /** The folder under functions/ whose `handler.ts` this function runs. */
  readonly name: HandlerFolder;
  readonly description: string;
  /** The repository root: `functions/`, `package-lock.json`. */
  readonly projectRoot: string;
  /** The validated journeys folder, copied next to the handler. */
  readonly journeysDir: string;
  readonly invocation: Invocation;
  /** Where the errors alarm and the on-failure queue's alarm notify. */
  readonly alarmTopic: sns.ITopic;
  /**
   * A metric (namespace Waymark, dimension service=waymark) counting errors the function throws on
   * purpose for the state machine to catch: the errors alarm counts only the others.
   * @default - every error counts
   */
  readonly expectedErrors?: string;
  /**
   * Added to the Powertools and source-map variables every function gets.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * CPU grows with memory, and a cold start validates every journey.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Code that is already built, for tests that only inspect the template.
   * @default - esbuild bundles `functions/<name>/handler.ts` with `BUNDLING` and copies the journeys folder
   */
  readonly code?: lambda.Code;
}

/**
 * A construct around the function rather than a subclass of it: the role and the log group must
 * exist before the function is built, and a subclass cannot create children before `super()`.
 */
export class WaymarkFunction extends Construct {
  /** The folder under functions/ this function runs. */
  readonly handlerFolder: HandlerFolder;
  /** The Lambda function, this construct's default child. */
  readonly function: nodejs.NodejsFunction;
  /** Its own role instead of AWSLambdaBasicExecutionRole: logs go to this one group only. */
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** Events Lambda gave up on after its retries; only for asynchronous invocation. */
  readonly failureQueue: DeadLetterQueue | undefined;
  readonly errorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: WaymarkFunctionProps) {
    super(scope, id);
    this.handlerFolder = props.name;
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      description: `Runs the Waymark ${props.name} function`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    this.logGroup.grantWrite(this.role);
    this.failureQueue =
      props.invocation === 'asynchronous'
        ? new DeadLetterQueue(this, 'Failures', {
            holds: `invocations of the ${props.name} function that failed after Lambda's retries`,
            alarmTopic: props.alarmTopic,
          })
        : undefined;
    const entry = join(props.projectRoot, 'functions', props.name, 'handler.ts');
    const journeysCopy = (outputDir: string): string[] => [
      `${quote(process.execPath)} ${quote(join(props.projectRoot, 'infra', 'cdk', 'copy-journeys.mjs'))} ${quote(props.journeysDir)} ${quote(join(outputDir, BUNDLED_JOURNEYS_DIR))}`,
    ];
    // `Default`: the construct's main resource, which CDK also leaves out of logical ids.
    this.function = new nodejs.NodejsFunction(this, 'Default', {
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(30),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        POWERTOOLS_SERVICE_NAME: 'waymark',
        POWERTOOLS_METRICS_NAMESPACE: 'Waymark',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      ...(this.failureQueue === undefined
        ? {}
        : {
            onFailure: new destinations.SqsDestination(this.failureQueue.queue),
            retryAttempts: 2,
            maxEventAge: Duration.hours(6),
          }),
      ...(props.code === undefined
        ? {
            entry,
            handler: 'handler',
            projectRoot: props.projectRoot,
            depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
            bundling: {
              ...BUNDLING,
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (_inputDir: string, outputDir: string) => journeysCopy(outputDir),
              },
            },
          }
        : { code: props.code, handler: 'index.handler' }),
    });
    acknowledge(
      this,
      'AwsSolutions-L1',
      'Node.js 22 on purpose: the code is developed and tested on Node 20 and 22 (middy 6, vitest 4 and the pinned AWS SDK support them), and Node.js 22 is maintained until April 2027. Move to the next runtime together with the toolchain.',
    );
    acknowledge(
      this.role,
      ANY_RESOURCE,
      'Added by CDK for active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
    );
    this.errorsAlarm = alarmOnAny(this, 'ErrorsAlarm', {
      description: `The ${props.name} function failed (see its log group for the error).`,
      metric: errorsMetric(this.function, props.expectedErrors),
      topic: props.alarmTopic,
    });
  }
}

/** The function's errors, less those it throws on purpose (counted by its own metric). */
function errorsMetric(fn: lambda.IFunction, expected: string | undefined): cloudwatch.IMetric {
  const period = Duration.minutes(5);
  const errors = fn.metricErrors({ period, statistic: cloudwatch.Stats.SUM });
  if (expected === undefined) return errors;
  return new cloudwatch.MathExpression({
    expression: 'errors - FILL(expected, 0)',
    label: 'Errors not thrown on purpose',
    period,
    usingMetrics: {
      errors,
      expected: new cloudwatch.Metric({
        namespace: 'Waymark',
        metricName: expected,
        dimensionsMap: { service: 'waymark' },
        period,
        statistic: cloudwatch.Stats.SUM,
      }),
    },
  });
}

/** Bundling commands run in a shell; paths may contain spaces. */
function quote(path: string): string {
  return `"${path.replace(/(["\\$`])/g, '\\$1')}"`;
}
