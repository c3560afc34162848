/**
 * What the runtime functions work with: the table, the sending services,
 * the workflow service, the project (settings, templates, journeys) and a
 * clock. Handlers build one from the environment; tests and the local engine
 * build one over loopback services and a virtual clock.
 */
import type { Segment } from '../audience/segment.ts';
import type { SecretReader } from '../aws/secrets.ts';
import type { EventCatalog } from '../events/catalog.ts';
import type { ChannelGateway } from '../channels/gateway.ts';
import type { Journey, Settings } from '../journey/schema.ts';
import type { TemplateSource } from '../render/templates.ts';
import type { StoreContext } from '../store/context.ts';

/**
 * The error every execution Waymark stops (a goal exit, an erasure) ends with: whoever stopped it
 * recorded what it needed, so the finish function only frees the customer's place.
 */
export const WAYMARK_STOP_ERROR = 'Waymark.Exited';

/** An execution's input and output as Step Functions keeps them (parsed JSON; undefined when none). */
export interface ExecutionData {
  input: unknown;
  output: unknown;
}

/** The Step Functions calls the functions make: resuming waits and stopping journeys on a goal. */
export interface WorkflowControl {
  /** Resolves false when the token is no longer waiting (timed out, execution ended). */
  sendTaskSuccess(taskToken: string, output: unknown): Promise<boolean>;
  /**
   * Stops the execution with the error WAYMARK_STOP_ERROR and this cause. Resolves false when the
   * execution had already ended.
   */
  stopExecution(executionId: string, cause: string): Promise<boolean>;
  /**
   * The execution's input and output, for a status-change event that left them out (too large for
   * EventBridge); undefined when Step Functions does not know the execution.
   */
  describeExecution(executionId: string): Promise<ExecutionData | undefined>;
  /** False once the execution has ended, however it ended. */
  isRunning(executionId: string): Promise<boolean>;
  /**
   * Starts an execution under a name of our choosing; 'exists' when one of that name was started
   * before (a retried broadcast batch), which is not an error.
   */
  startExecution(stateMachineArn: string, name: string, input: unknown): Promise<'started' | 'exists'>;
}

/** A one-time schedule that starts a high-volume journey's next part (see contract/parts.ts). */
export interface OneTimeSchedule {
  /** At most 64 characters of `[0-9A-Za-z_.-]`; the same for every copy of the part that parks. */
  name: string;
  at: Date;
  /** The state machine the schedule starts, the role it starts it with, and the execution's input. */
  target: { stateMachineArn: string; roleArn: string; input: unknown };
}

/** EventBridge Scheduler, in the stage's schedule group: only the functions that park or cancel get one. */
export interface ScheduleControl {
  /** 'exists' when a schedule of that name is there already (the part that parks ran twice). */
  create(schedule: OneTimeSchedule): Promise<'created' | 'exists'>;
  /** False when there was none: fired and deleted after completion, or never made. */
  delete(name: string): Promise<boolean>;
}

/** Puts events on the journeys' bus; only the functions that emit events are given one. */
export interface EventPublisher {
  publish(event: {
    id: string;
    detailType: string;
    source: string;
    time: string;
    detail: Record<string, unknown>;
  }): Promise<void>;
}

export interface RuntimeProject {
  settings: Settings;
  /** The event types: the built-in profile update and journeys/events/*.json. */
  events: EventCatalog;
  templates: ReadonlyMap<string, TemplateSource>;
  journeys: readonly Journey[];
  /** journeys/segments/*.json by id: what broadcasts and entry triggers start from. */
  segments: ReadonlyMap<string, Segment>;
}

export interface Runtime {
  store: StoreContext;
  channels: ChannelGateway;
  workflows: WorkflowControl;
  project: RuntimeProject;
  /**
   * Signs and checks unsubscribe links; from a secret store, never from the repository. Only the
   * functions that sign or check links (deliver, unsubscribe) are given it.
   */
  unsubscribeSecret: string | undefined;
  /** Named secrets (webhook signing secrets): environment variables locally, Secrets Manager on AWS. */
  secrets?: SecretReader;
  /** http to a loopback address may be called (the local engine only; on AWS webhooks are https). */
  allowLoopbackHttp?: boolean;
  /** The bus, for functions that put events on it (record, for segment entries). */
  publisher?: EventPublisher;
  /** High-volume journeys' schedules: for steps (parks), resume and goals (cancels). */
  schedules?: ScheduleControl;
  now: () => Date;
  /**
   * Waits until a moment of `now`'s clock, for a send slot a moment away. Without it (a clock that
   * only moves when told, as in tests) every later slot is waited for by the state machine instead.
   */
  sleepUntil?: (at: Date) => Promise<void>;
}

/** The unsubscribe secret, for the functions that must have it. */
export function requireUnsubscribeSecret(runtime: Runtime): string {
  if (runtime.unsubscribeSecret === undefined) {
    throw new Error('This function was not given the unsubscribe secret; only deliver and unsubscribe are.');
  }
  return runtime.unsubscribeSecret;
}
