/**
 * `npm start`: the whole system in one process. The journeys in a folder,
 * compiled as for AWS; the same handler functions, bound in-process; dynalite,
 * aws-ses-v2-local and the SNS stand-in behind one edge endpoint that any AWS
 * SDK client can use; and the virtual clock every part reads.
 */
import { localEnvelope } from './envelope.ts';
import { localReceipts } from './receipts.ts';
import { localSecret, withPlaceholderWebhooks } from './placeholder-webhooks.ts';
import { EmailTracking } from './email-tracking.ts';
import { secretsFromEnvironment } from '../../shared/aws/secrets.ts';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import { toJsonValue } from '../../shared/json.ts';
import { createAwsClients } from '../../shared/aws/clients.ts';
import { createAwsChannelGateway } from '../../shared/channels/aws-gateway.ts';
import type { EventEnvelope } from '../../shared/events/catalog.ts';
import { type CompiledJourney, compileJourney } from '../../shared/journey/compile.ts';
import { formatProblem, hasErrors, type Problem } from '../../shared/journey/problem.ts';
import { loadProject } from '../../shared/project/load.ts';
import { applyStageOverrides } from '../../shared/project/overrides.ts';
import { ENVIRONMENT } from '../../shared/runtime/environment.ts';
import { type Runtime, WAYMARK_STOP_ERROR } from '../../shared/runtime/runtime.ts';
import { createSchedulerControl } from '../../shared/runtime/schedules.ts';
import { type ClockMode, VirtualClock } from './clock.ts';
import { DEFAULT_PORT, LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION, LOCAL_TABLE } from './constants.ts';
import { ensureTable } from './dynamodb.ts';
import { LocalFigures } from './figures-hook.ts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startDynamoThread, type SupervisedDynamo } from './dynamodb-thread.ts';
import { EngineError, type EngineLog, LocalEngine, type LocalFunctions } from './engine.ts';
import { ExecutionStore } from './executions.ts';
import { memoryJournal, openIntakeJournal } from './intake-journal.ts';
import { createEdge, type Edge } from './edge.ts';
import { readJsonFile, writeJsonFile } from './json-file.ts';
import { Outbox, recordingGateway } from './outbox.ts';
import { localPanelSources } from './panel-sources.ts';
import { createPanel } from '../panel/server.ts';
import { type SendLimits, sendLimiters, sendLimitsProblem } from './send-limits.ts';
import { startLocalSes } from './ses.ts';
import { type AudienceFunction, LocalBroadcasts } from './broadcasts.ts';
import { createSnsState } from './sns.ts';
import { localUnsubscribeBaseUrl, type UnsubscribeFunction } from './unsubscribe-route.ts';
import { loadSnsState, saveSnsState } from './sns-state-file.ts';
import { DEFAULT_SCHEDULE_GROUP } from './scheduler-request.ts';
import { LOCAL_SCHEDULE_GROUP, LocalScheduler } from './scheduler-store.ts';

export interface LocalHostOptions {
  journeysDir: string;
  /** Where tables, executions, the outbox and the clock are kept; undefined: in memory (simulate, tests). */
  dataDir?: string;
  port?: number;
  clock: { mode: ClockMode; start?: Date };
  log: EngineLog;
  /** Only these journeys (simulate); default every journey in the folder. */
  only?: readonly string[];
  /** Customers whose events are routed at once (the bench compares); default the router's. */
  routingConcurrency?: number;
  /** The account's maximum send rates the local SES and SNS enforce, a second per channel; default none. */
  sendLimits?: SendLimits;
}

export interface LocalHost {
  endpoint: string;
  engine: LocalEngine;
  clock: VirtualClock;
  outbox: Outbox;
  runtime: Runtime;
  /** The DynamoDB stand-in's thread and its supervisor. */
  dynamo: SupervisedDynamo;
  /** EventBridge Scheduler's one-time schedules, fired on the clock (the SDK reaches them through the edge). */
  schedules: LocalScheduler;
  /** Counts the history into the figures as dynalite stores it (the stream's stand-in). */
  figures: LocalFigures;
  /** Resolves once every history entry stored so far is counted in the figures. */
  figuresSettled(): Promise<void>;
  journeys: readonly CompiledJourney[];
  /** Problems that kept journeys from loading (or warnings on those that did). */
  problems: readonly Problem[];
  /** Lets the engine act on everything due until `target`, then stops the clock there (manual clock). */
  advanceTo(target: Date): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  // Before the handlers load: Powertools reads these when its logger and metrics are made.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // No traces leave this machine, and the X-Ray SDK's automatic mode hooks every promise of the
  // process (cls-hooked): a third of the engine's time went to those hooks.
  process.env.AWS_XRAY_MANUAL_MODE ??= 'true';

  // Before anything starts: a bad limit must not leave stand-ins running behind the error.
  const limitsProblem = sendLimitsProblem(options.sendLimits ?? {});
  if (limitsProblem !== undefined) throw new Error(limitsProblem);

  // Checked at the engine's own time (the saved clock after a restart): a broadcast ahead on its clock,
  // or one under way when it stopped, is not in the past.
  const savedTime =
    options.dataDir === undefined ? undefined : savedClock(join(options.dataDir, 'clock.json'));
  const project = loadProject(options.journeysDir, undefined, options.clock.start ?? savedTime ?? new Date());
  if (project.settings === undefined) {
    throw new Error(
      `No usable settings.json in ${options.journeysDir}:\n${project.problems.map(formatProblem).join('\n')}`,
    );
  }
  const settings = project.settings;
  const brokenFiles = new Set(
    project.problems.filter((problem) => problem.severity === 'error').map((problem) => problem.file),
  );
  const journeys = project.journeys
    .filter((loaded) => !brokenFiles.has(loaded.file))
    .filter((loaded) => options.only === undefined || options.only.includes(loaded.journey.id))
    .map((loaded) => compileJourney(loaded.journey, settings, project.events));
  if (hasErrors(project.problems) && journeys.length === 0 && project.journeys.length > 0) {
    throw new Error(
      `Every journey in ${options.journeysDir} has errors:\n${project.problems.map(formatProblem).join('\n')}`,
    );
  }

  const dataDir = options.dataDir;
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const clockFile = dataDir === undefined ? undefined : join(dataDir, 'clock.json');

  // On its own thread: under a burst its work runs beside the functions' instead of between them. The table
  // is made on every thread the supervisor starts: a restarted in-memory store begins empty.
  const figures = new LocalFigures({ table: LOCAL_TABLE, log: options.log });
  const dynamo = await startDynamoThread({
    ...(dataDir === undefined ? {} : { path: join(dataDir, 'dynamodb') }),
    onHistoryPut: (put) => figures.receive(put),
    prepare: (endpoint) =>
      ensureTable(
        new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint }),
        LOCAL_TABLE,
      ),
    log: options.log,
  });
  const ses = await startLocalSes();
  // The host reads what was sent from its outbox; kept here too, every message would stay for good.
  const sns = createSnsState({ keepPublished: false });
  const snsFile = dataDir === undefined ? undefined : join(dataDir, 'sns.json');
  if (snsFile !== undefined) loadSnsState(snsFile, sns);
  const edge: Edge = await createEdge({
    port: options.port ?? DEFAULT_PORT,
    dynamo,
    sesEndpoint: ses.endpoint,
    sns,
  });
  // The links in local emails point at this edge, which serves them with the unsubscribe function.
  const localSettings = applyStageOverrides(settings, {
    unsubscribeBaseUrl: localUnsubscribeBaseUrl(edge.endpoint, process.env[ENVIRONMENT.unsubscribeBaseUrl]),
  });

  const clients = createAwsClients({
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    endpoints: {
      dynamodb: dynamo.endpoint,
      sesv2: ses.endpoint,
      sns: edge.endpoint,
      socialmessaging: edge.endpoint,
      lambda: edge.endpoint,
      scheduler: edge.endpoint,
    },
  });
  const outbox = new Outbox(dataDir === undefined ? undefined : join(dataDir, 'outbox.jsonl'));
  const executions = new ExecutionStore(dataDir === undefined ? undefined : join(dataDir, 'executions'));
  // PutEvents answers once the events are in here: what it acknowledged survives a crash.
  const journal = dataDir === undefined ? memoryJournal() : await openIntakeJournal(join(dataDir, 'intake'));
  // Started once the services are up: at --time-scale 3600 a second of start-up would be an hour.
  const clock = new VirtualClock(
    options.clock.start ?? resumedTime(savedClock(clockFile), executions, outbox) ?? new Date(),
    options.clock.mode,
  );
  const limiters = sendLimiters(options.sendLimits ?? {}, clock.now);
  ses.limitSendEmail(limiters.email);
  sns.limits = { sms: limiters.sms, push: limiters.push };

  // The handlers read the runtime when called, not when loaded, so the engine can come first.
  const loaded = await loadFunctions();
  // What End User Messaging reports after an SMS or WhatsApp message the stand-ins accepted; put on the
  // bus once the engine below exists (nothing is delivered before).
  const receipts = localReceipts({ now: clock.now, publish: (event) => engine.publish(event) });
  const functions: LocalFunctions = {
    ...loaded,
    deliver: async (payload) => {
      const outcome = await loaded.deliver(payload);
      await receipts.afterDelivery(outcome);
      return outcome;
    },
  };
  const engine = new LocalEngine({
    journeys,
    clock,
    functions,
    executions,
    log: options.log,
    configurationSet: settings.senders.email.configurationSet ?? 'waymark',
    events: project.events,
    journal,
    ...(options.routingConcurrency === undefined ? {} : { routingConcurrency: options.routingConcurrency }),
  });
  // Kept from one start to the next; firing begins once the executions that were running have resumed.
  const schedules = new LocalScheduler({
    dir: dataDir === undefined ? undefined : join(dataDir, 'scheduler'),
    clock,
    groups: [DEFAULT_SCHEDULE_GROUP, LOCAL_SCHEDULE_GROUP],
    stateMachines: () => engine.stateMachines().map((machine) => machine.arn),
    start: (arn, input) => engine.startExecution(arn, input),
    log: options.log,
  });
  const unsubscribeSecret = process.env.WAYMARK_UNSUBSCRIBE_SECRET ?? 'waymark-local-unsubscribe-secret';
  // What SES does with a mail of the configuration set: tracking in the inbox's copy, delivery events.
  const tracking = new EmailTracking({
    // Its own random key, kept in the data folder: the unsubscribe secret has a public default, and
    // with it anyone could make links that redirect anywhere or record opens that never happened.
    secret: trackingKey(dataDir),
    baseUrl: () => edge.endpoint,
    tracking: () => localSettings.tracking,
    configurationSet: settings.senders.email.configurationSet ?? 'waymark',
    now: clock.now,
    publish: (event) => engine.publish(event),
  });
  const runtime: Runtime = {
    store: { db: clients.dynamodb, table: LOCAL_TABLE },
    channels: recordingGateway(
      withPlaceholderWebhooks(createAwsChannelGateway(clients)),
      outbox,
      clock.now,
      tracking,
    ),
    workflows: {
      sendTaskSuccess: (token, output) =>
        Promise.resolve(
          falseIfGone(() => {
            engine.sendTaskSuccess(token, output);
            return true;
          }),
        ),
      stopExecution: (id, cause) =>
        Promise.resolve(falseIfGone(() => engine.stopExecution(id, WAYMARK_STOP_ERROR, cause))),
      describeExecution: (id) => {
        try {
          const record = engine.describeExecution(id);
          return Promise.resolve({ input: record.input, output: record.output });
        } catch (error) {
          if (error instanceof EngineError && error.name === 'ExecutionDoesNotExist')
            return Promise.resolve(undefined);
          throw error;
        }
      },
      isRunning: (id) => Promise.resolve(engine.isRunning(id)),
      startExecution: (arn, name, input) =>
        Promise.resolve(
          existsIfTaken(() => {
            engine.startExecution(arn, toJsonValue(input), name);
          }),
        ),
    },
    project: {
      settings: localSettings,
      events: project.events,
      templates: project.templates,
      journeys: project.journeys.map((loaded) => loaded.journey),
      segments: project.segments,
    },
    publisher: {
      publish: (event) =>
        engine.publish(
          localEnvelope({
            id: event.id,
            source: event.source,
            detailType: event.detailType,
            time: event.time,
            detail: event.detail,
          }),
        ),
    },
    // Local links only ever reach this machine; a fixed secret keeps them valid across restarts.
    unsubscribeSecret,
    // A webhook's signing secret is the environment variable its settings name; unset, a fixed local
    // one (docs/channels.md), as for unsubscribe links, so the samples run on a fresh machine.
    secrets: secretsFromEnvironment(process.env, localSecret),
    // Through the edge's Scheduler, as the functions reach Scheduler on AWS (WAYMARK_SCHEDULE_GROUP there).
    schedules: createSchedulerControl(clients.scheduler, { group: LOCAL_SCHEDULE_GROUP }),
    // Endpoints on this machine (a receiver under test, a tunnel) may be plain http here, and only here.
    allowLoopbackHttp: true,
    now: clock.now,
    // On a clock that runs (real time or scaled), a send slot a moment away is waited for on it; a
    // manual clock moves only when told, so the state machine waits instead.
    ...(options.clock.mode.kind === 'manual' ? {} : { sleepUntil: (at: Date) => clock.sleepUntil(at) }),
  };
  const { useRuntime } = await import('../../functions/common/runtime.ts');
  useRuntime(runtime);
  // A client of its own, as the figures function is a function of its own: the functions' requests stay theirs.
  figures.start(
    {
      db: DynamoDBDocumentClient.from(
        new DynamoDBClient({
          region: LOCAL_REGION,
          credentials: LOCAL_CREDENTIALS,
          endpoint: dynamo.endpoint,
        }),
      ),
      table: LOCAL_TABLE,
    },
    clock.now,
  );
  const host: LocalHost = {
    endpoint: edge.endpoint,
    engine,
    clock,
    outbox,
    runtime,
    schedules,
    dynamo,
    figures,
    figuresSettled: async () => {
      await dynamo.historyTold();
      await figures.whenIdle();
    },
    journeys,
    problems: project.problems,
    advanceTo: (target) => advanceTo(target),
    close: () => close(),
  };
  const panel = createPanel(localPanelSources(host, project));
  edge.attach({
    engine,
    clock,
    outbox,
    runtime,
    advanceTo: (target) => advanceTo(target),
    panel,
    unsubscribe: await loadUnsubscribe(),
    tracking,
    schedules,
  });

  const advanceTo = async (target: Date): Promise<void> => {
    await engine.idle();
    await clock.advanceTo(target, () => engine.idle());
    await engine.idle();
    // Saved before the move is answered: a crash right after must not take the clock back to the last save.
    if (clockFile !== undefined) saveClock(clockFile, clock.now());
  };
  const saveState = (): void => {
    if (clockFile !== undefined) saveClock(clockFile, clock.now());
    if (snsFile !== undefined) saveSnsState(snsFile, sns);
  };
  const stateSaver = dataDir === undefined ? undefined : setInterval(saveState, 1000).unref();
  engine.resumeSaved();
  engine.routeUnrouted();
  // Executions that ended just before a crash, their status-change event not yet accepted.
  engine.publishPendingEnds();
  // Schedules that fell due while the engine was stopped fire now, after the executions they might wake.
  schedules.start();
  const audience = await loadAudience();
  const broadcasts = new LocalBroadcasts({
    journeys: project.journeys
      .map((loaded) => loaded.journey)
      .filter((journey) => journeys.some((compiled) => compiled.journeyId === journey.id)),
    settingsZone: settings.timeZone,
    engine,
    clock,
    store: runtime.store,
    audience,
    log: options.log,
  });
  await broadcasts.start();

  const close = async (): Promise<void> => {
    if (stateSaver !== undefined) clearInterval(stateSaver);
    // Events already accepted are routed and running steps finish, if they do so soon.
    await Promise.race([engine.idle(), new Promise((resolve) => setTimeout(resolve, SHUTDOWN_GRACE_MS))]);
    saveState();
    await broadcasts.close();
    schedules.close();
    await engine.close();
    clock.close();
    useRuntime(undefined);
    await edge.close();
    await figures.close();
    await Promise.all([dynamo.close(), ses.close()]);
  };
  return host;
}

/**
 * A token or execution the engine does not know (any more) has already ended, as on AWS: the workflow
 * control answers false instead of failing the function that asked.
 */
function falseIfGone(action: () => boolean): boolean {
  try {
    return action();
  } catch {
    return false;
  }
}

/** StartExecution's answer to a name already used, as the SFN client reports it on AWS. */
function existsIfTaken(action: () => void): 'started' | 'exists' {
  try {
    action();
    return 'started';
  } catch (error) {
    if (error instanceof EngineError && error.name === 'ExecutionAlreadyExists') return 'exists';
    throw error;
  }
}

const lambdaContext = (functionName: string): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`,
  memoryLimitInMB: '256',
  awsRequestId: 'local',
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'local',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** The Lambda handlers, called in this process exactly as Lambda would call them. */
async function loadFunctions(): Promise<LocalFunctions> {
  const [steps, deliver, record, resume, goals, preferences, finish] = await Promise.all([
    import('../../functions/steps/handler.ts'),
    import('../../functions/deliver/handler.ts'),
    import('../../functions/record/handler.ts'),
    import('../../functions/resume/handler.ts'),
    import('../../functions/goals/handler.ts'),
    import('../../functions/preferences/handler.ts'),
    import('../../functions/finish/handler.ts'),
  ]);
  return {
    steps: (payload) => steps.handler(payload, lambdaContext('waymark-steps')),
    deliver: (payload) => deliver.handler(payload, lambdaContext('waymark-deliver')),
    record: (event: EventEnvelope) => record.handler(event, lambdaContext('waymark-record')),
    resume: (event: EventEnvelope) => resume.handler(event, lambdaContext('waymark-resume')),
    goals: (event: EventEnvelope) => goals.handler(event, lambdaContext('waymark-goals')),
    preferences: (event: EventEnvelope) => preferences.handler(event, lambdaContext('waymark-preferences')),
    finish: (event: EventEnvelope) => finish.handler(event, lambdaContext('waymark-finish')),
  };
}

/** The audience function, as the broadcast state machine invokes it on AWS. */
async function loadAudience(): Promise<AudienceFunction> {
  const audience = await import('../../functions/audience/handler.ts');
  return (payload) => audience.handler(payload, lambdaContext('waymark-audience'));
}

/** The unsubscribe function, called as its function URL calls it on AWS. */
async function loadUnsubscribe(): Promise<UnsubscribeFunction> {
  const unsubscribe = await import('../../functions/unsubscribe/handler.ts');
  return (event) => unsubscribe.handler(event, lambdaContext('waymark-unsubscribe'));
}

const SHUTDOWN_GRACE_MS = 5_000;

/**
 * Where the clock goes on after a restart: never before anything already written. The clock file is
 * saved at each move and each second, so a crash can leave a running clock behind the last checkpoint or
 * message.
 */
function resumedTime(saved: Date | undefined, executions: ExecutionStore, outbox: Outbox): Date | undefined {
  const times = [
    saved?.getTime(),
    ...executions
      .all()
      .flatMap((record) => [record.checkpoint?.enteredAt, record.stopDate, record.startDate]),
    ...outbox.list().map((message) => message.time),
  ].map((time) => (typeof time === 'string' ? Date.parse(time) : time));
  const latest = Math.max(
    ...times.filter((time): time is number => typeof time === 'number' && !Number.isNaN(time)),
  );
  return Number.isFinite(latest) ? new Date(latest) : undefined;
}

const savedClockSchema = z.object({ now: z.string() });

function savedClock(file: string | undefined): Date | undefined {
  const time = file === undefined ? undefined : readJsonFile(file, savedClockSchema)?.now;
  return time !== undefined && !Number.isNaN(Date.parse(time)) ? new Date(time) : undefined;
}

function saveClock(file: string, now: Date): void {
  try {
    writeJsonFile(file, { now: now.toISOString() });
  } catch {
    // The data folder went away (deleted under a running engine): nothing to keep the time for.
  }
}

/** The key that signs local tracking links: made once per data folder (per process without one). */
function trackingKey(dataDir: string | undefined): string {
  if (dataDir === undefined) return randomBytes(32).toString('hex');
  const file = join(dataDir, 'tracking.key');
  if (existsSync(file)) {
    const kept = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(kept)) return kept;
  }
  const made = randomBytes(32).toString('hex');
  writeFileSync(file, `${made}\n`, { mode: 0o600 });
  return made;
}
