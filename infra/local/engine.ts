/**
 * The local engine: journeys' compiled ASL run by the ASL interpreter, Task
 * states bound to the same handler functions that run on Lambda, waits on the
 * virtual clock, and the bus that routes events to journeys and functions as
 * the EventBridge rules do on AWS.
 */
import './polyfill.ts';
import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionError, StateMachine } from 'aws-local-stepfunctions';
import {
  EVENTS_PUT_EVENTS,
  LAMBDA_INVOKE,
  LAMBDA_INVOKE_WAIT_FOR_TOKEN,
} from '../../shared/contract/tasks.ts';
import { customerIdText, type EventCatalog, type EventEnvelope } from '../../shared/events/catalog.ts';
import { executionArnOf, startedRecord } from './execution-start.ts';
import type { CompiledJourney } from '../../shared/journey/compile.ts';
import { isRecord, type JsonValue, toJsonValue } from '../../shared/json.ts';
import { STATES_SOURCE } from '../../shared/runtime/finish.ts';
import type { VirtualClock } from './clock.ts';
import { LOCAL_BUS } from './constants.ts';
import {
  CLOCK_WAIT_RESOURCE,
  clockWaitDue,
  type LocalDefinition,
  pacedByEngine,
  resumedAt,
  retryIntervals,
  STATE_INPUT_FIELD,
} from './definition.ts';
import { type LocalBus, putTaskEntries } from './eventbridge.ts';
import type { ExecutionRecord, ExecutionStore } from './executions.ts';
import { customerOf, stepEvent } from './engine-lines.ts';
import { invokeTaskFunction } from './task-functions.ts';
import { EngineError } from './errors.ts';
import { Activity } from './activity.ts';
import {
  type JourneyMachine,
  journeyMachines,
  journeyRules,
  type RunTarget,
  targetOf,
} from './engine-machines.ts';
import { type IntakeJournal, memoryJournal } from './intake-journal.ts';
import { executionContext } from './execution-context.ts';
import { publishExecutionEnd } from './execution-events.ts';
import { pacedTask } from './retry-clock.ts';
import { coreRules, describeError, EventRouter, type LocalFunctions, type LocalRule } from './router.ts';

export type { LocalFunctions, LocalRule, RuleTarget } from './router.ts';
export { EngineError };

/** What the engine tells the console: one line per thing a person would want to follow. */
export type EngineLog = (line: string) => void;

interface Running {
  abort: () => void;
  cancel: AbortController;
}

interface ParkedToken {
  executionArn: string;
  resolve: (output: unknown) => void;
  reject: (error: Error) => void;
}

export interface EngineOptions {
  journeys: readonly CompiledJourney[];
  clock: VirtualClock;
  functions: LocalFunctions;
  executions: ExecutionStore;
  log: EngineLog;
  /** SES feedback is routed for this configuration set only, as on AWS. */
  configurationSet: string;
  /** The project's event types: where each keeps the customer id. */
  events: EventCatalog;
  /** Where accepted events are kept until routed; default in memory (an engine without a data folder). */
  journal?: IntakeJournal;
  /** Customers routed at once; default ROUTING_CONCURRENCY. */
  routingConcurrency?: number;
}

export class LocalEngine {
  private readonly machines = new Map<string, JourneyMachine>();
  private readonly running = new Map<string, Running>();
  private readonly tokens = new Map<string, ParkedToken>();
  private readonly ruleList: LocalRule[];
  /** The bus as a journey's PutEvents task sees it: entries checked as the EventBridge API checks them. */
  private readonly taskBus: LocalBus = {
    name: LOCAL_BUS,
    rules: () => this.ruleList,
    now: () => this.options.clock.now(),
    newEventId: randomUUID,
    publish: (event) => this.publish(event),
    // The events journeys put have always carried the clock's milliseconds locally.
    formatTime: (time) => time.toISOString(),
  };
  private readonly journal: IntakeJournal;
  private readonly router: EventRouter;
  private readonly activity = new Activity();
  /** Events some target kept failing for, since this start (each kept in the journal's dead letters). */
  deadLetters = 0;

  constructor(private readonly options: EngineOptions) {
    // Each rule's pattern object is made once, here, and kept: matchesPattern compiles a pattern object
    // once and reuses it, so routing would compile on every event if patterns were made anew.
    this.ruleList = coreRules(options.configurationSet, options.events);
    this.journal = options.journal ?? memoryJournal();
    this.router = new EventRouter({
      rules: () => this.ruleList,
      // An execution's end is routed in its customer's order, after the events routed before it.
      customerOf: (event) => customerIdText(options.events, event) ?? this.customerOfExecutionEvent(event),
      functions: options.functions,
      startJourney: (journeyId, event) => this.startJourney(journeyId, event),
      log: options.log,
      stamp: () => this.stamp(),
      routed: (event) => {
        this.journal.markRouted(event.id);
        this.activity.markIdle();
      },
      deadLetter: (event, target, reason) => {
        this.deadLetters += 1;
        try {
          this.journal.deadLetter({ event, target, reason, time: this.options.clock.now().toISOString() });
        } catch (error) {
          options.log(`  ! the dead letter for ${event.id} could not be written: ${describeError(error)}`);
        }
      },
      ...(options.routingConcurrency === undefined ? {} : { concurrency: options.routingConcurrency }),
    });
    for (const machine of journeyMachines(options.journeys, options.executions)) {
      this.machines.set(machine.compiled.journeyId, machine);
      this.ruleList.push(...journeyRules(machine.compiled));
    }
  }

  journeyIds(): string[] {
    return [...this.machines.keys()];
  }

  stateMachines(): { arn: string; name: string; type: 'STANDARD' | 'EXPRESS' }[] {
    return [...this.machines.values()].map((machine) => ({
      arn: machine.arn,
      name: machine.compiled.journeyId,
      type: machine.compiled.workflowType,
    }));
  }

  rules(): readonly LocalRule[] {
    return this.ruleList;
  }

  // ---- the bus ----

  /**
   * Takes an event as PutEvents does: resolves once it is stored in the intake journal (PutEvents answers
   * then), and routes it in the background. Rejects, and drops the event, if it could not be stored.
   */
  async publish(event: EventEnvelope): Promise<void> {
    this.activity.markBusy();
    try {
      await this.journal.append([event]);
    } catch (error) {
      this.activity.markIdle();
      throw error;
    }
    this.router.accept(event);
  }

  /** Events accepted (and stored) whose routing has not finished. */
  routingBacklog(): number {
    return this.router.backlog;
  }

  /** After a restart: the events accepted before it and not routed then are routed now, in the order accepted. */
  routeUnrouted(): number {
    for (const event of this.journal.unrouted) {
      this.activity.markBusy();
      this.router.accept(event);
    }
    return this.journal.unrouted.length;
  }

  /**
   * After a restart: the ends of executions that finished just before it, whose status-change events had
   * not reached the intake journal, are put on the bus now (the events the journal kept are routed by
   * routeUnrouted). An end put there twice is the same event, and the finish function acts on it once.
   */
  publishPendingEnds(): number {
    const pending = this.options.executions
      .all()
      .filter((record) => record.status !== 'RUNNING' && record.endEventPending === true);
    for (const record of pending) void this.publishEnd(record);
    return pending.length;
  }

  /** A status-change event's customer: the one the execution was started for. */
  private customerOfExecutionEvent(event: EventEnvelope): string | undefined {
    const executionArn = event.detail.executionArn;
    if (event.source !== STATES_SOURCE || typeof executionArn !== 'string') return undefined;
    return this.options.executions.get(executionArn)?.customerId;
  }

  /**
   * A trigger event's execution is named after the event: routing the same event again (a crash stopped its
   * routing half-way) finds that execution instead of starting a second one.
   */
  private startJourney(journeyId: string, event: EventEnvelope): void {
    const machine = this.machines.get(journeyId);
    if (machine === undefined) return;
    try {
      this.startExecution(machine.arn, toJsonValue(event), event.id);
    } catch (error) {
      if (error instanceof EngineError && error.name === 'ExecutionAlreadyExists') return;
      throw error;
    }
  }

  // ---- executions ----

  startExecution(
    stateMachineArnValue: string,
    input: JsonValue,
    name: string = randomUUID(),
  ): ExecutionRecord {
    const machine = [...this.machines.values()].find((candidate) => candidate.arn === stateMachineArnValue);
    if (machine === undefined) {
      throw new EngineError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${stateMachineArnValue}'`,
      );
    }
    const executionArn = executionArnOf(machine.compiled.journeyId, name);
    const existing = this.options.executions.get(executionArn);
    if (existing !== undefined) {
      // StartExecution is idempotent for the same name and input while the execution runs, as on AWS.
      if (existing.status === 'RUNNING' && JSON.stringify(existing.input) === JSON.stringify(input))
        return existing;
      throw new EngineError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record = startedRecord({
      machine: { arn: machine.arn, journeyId: machine.compiled.journeyId, hash: machine.hash },
      name,
      input,
      events: this.options.events,
      now: this.options.clock.now(),
    });
    this.options.executions.save(record);
    this.options.log(`${this.stamp()} ${record.journeyId}${customerOf(record)}: started ${name}`);
    this.run(targetOf(machine), record, machine.machine, input);
    return record;
  }

  /** After a restart: every execution that was running goes on from where it was parked. */
  resumeSaved(): number {
    let resumed = 0;
    for (const record of this.options.executions.all()) {
      if (record.status !== 'RUNNING' || this.running.has(record.executionArn)) continue;
      const current = this.machines.get(record.journeyId);
      // The definition it started on, even if the journey has changed or fails to load today.
      const local =
        record.definitionHash === undefined || record.definitionHash === current?.hash
          ? current?.local
          : this.options.executions.loadDefinition(record.definitionHash);
      if (local === undefined) {
        this.options.log(
          `${this.stamp()} ${record.journeyId}${customerOf(record)}: ${record.name} stays parked: its journey does not load`,
        );
        continue;
      }
      const target: RunTarget = { journeyId: record.journeyId, arn: record.stateMachineArn, local };
      const checkpoint = record.checkpoint;
      if (checkpoint === undefined) {
        // Nothing parked yet: the first steps are idempotent, so run again from the start.
        this.run(target, record, new StateMachine(local.definition), record.input);
      } else if (!Object.hasOwn(local.definition.States, checkpoint.state)) {
        this.finish(record, 'FAILED', {
          error: 'Waymark.CannotResume',
          cause: `The saved position ${checkpoint.state} is not in the journey's definition.`,
        });
        continue;
      } else {
        const resumedMachine = new StateMachine(resumedAt(local, checkpoint.state), {
          validationOptions: { noValidate: true },
        });
        this.run(target, record, resumedMachine, checkpoint.input, checkpoint);
      }
      resumed += 1;
      this.options.log(
        `${this.stamp()} ${record.journeyId}${customerOf(record)}: resumed ${record.name} at ${checkpoint?.state ?? 'the start'}`,
      );
    }
    return resumed;
  }

  describeExecution(executionArn: string): ExecutionRecord {
    const record = this.options.executions.get(executionArn);
    if (record === undefined)
      throw new EngineError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  listExecutions(stateMachineArnValue?: string, status?: string): ExecutionRecord[] {
    return this.options.executions
      .all()
      .filter(
        (record) => stateMachineArnValue === undefined || record.stateMachineArn === stateMachineArnValue,
      )
      .filter((record) => status === undefined || record.status === status)
      .sort((a, b) => b.startDate.localeCompare(a.startDate));
  }

  isRunning(executionArn: string): boolean {
    return this.options.executions.get(executionArn)?.status === 'RUNNING';
  }

  stopExecution(executionArn: string, error?: string, cause?: string): boolean {
    const record = this.describeExecution(executionArn);
    if (record.status !== 'RUNNING') return false;
    this.finish(record, 'ABORTED', { error: error ?? 'Stopped', cause: cause ?? 'Stopped by StopExecution' });
    const running = this.running.get(executionArn);
    running?.cancel.abort();
    running?.abort();
    for (const [token, parked] of this.tokens) {
      if (parked.executionArn === executionArn) {
        this.tokens.delete(token);
        parked.reject(new EngineError('States.Aborted', 'The execution was stopped'));
      }
    }
    return true;
  }

  sendTaskSuccess(taskToken: string, output: unknown): void {
    const parked = this.takeToken(taskToken);
    parked.resolve(output);
  }

  sendTaskFailure(taskToken: string, error: string, cause: string): void {
    const parked = this.takeToken(taskToken);
    parked.reject(new EngineError(error, cause));
  }

  private takeToken(taskToken: string): ParkedToken {
    const parked = this.tokens.get(taskToken);
    if (parked === undefined) {
      throw new EngineError('TaskDoesNotExist', 'Task Timed Out: Provided task does not exist anymore');
    }
    this.tokens.delete(taskToken);
    return parked;
  }

  /** Resolves when no execution is doing anything but waiting, and no event is waiting to be routed. */
  idle(): Promise<void> {
    return this.activity.idle();
  }

  /** Stops routing and every execution; what is accepted and not routed yet is routed at the next start. */
  async close(): Promise<void> {
    this.router.close();
    await this.journal.close();
    for (const running of this.running.values()) {
      running.cancel.abort();
      running.abort();
    }
    this.running.clear();
  }

  /**
   * Work beside the executions (a broadcast run) counts as the engine being busy, so `idle()` and the
   * manual clock wait for it; what it waits for on the clock is passed to `idleDuring`.
   */
  busyWhile<T>(work: () => Promise<T>): Promise<T> {
    return this.activity.busyWhile(work);
  }

  /** Inside `busyWhile`: a wait (on the clock) during which the engine may count as idle. */
  idleDuring<T>(wait: Promise<T>): Promise<T> {
    return this.activity.idleWhile(wait);
  }

  private run(
    journey: RunTarget,
    record: ExecutionRecord,
    machine: StateMachine,
    input: JsonValue,
    checkpoint?: ExecutionRecord['checkpoint'],
  ): void {
    const cancel = new AbortController();
    const clock = this.options.clock;
    // The first parked state of a resumed run keeps the due time it had before the restart.
    let resumeDue = checkpoint;
    const takeResumeDue = (state: string): ExecutionRecord['checkpoint'] => {
      const saved = resumeDue?.state === state ? resumeDue : undefined;
      resumeDue = undefined;
      return saved;
    };
    const park = async <T>(state: string, stateInput: JsonValue, due: Date, wait: Promise<T>): Promise<T> => {
      // Stopped while its last step ran: nothing to wait for, nothing to save.
      if (record.status !== 'RUNNING') throw new EngineError('States.Aborted', 'The execution was stopped');
      record.checkpoint = {
        state,
        input: stateInput,
        enteredAt: clock.now().toISOString(),
        due: due.toISOString(),
      };
      this.options.executions.save(record);
      this.activity.markIdle();
      try {
        return await wait;
      } finally {
        this.activity.markBusy();
      }
    };
    const handlers: Record<string, (taskInput: JsonValue) => Promise<JsonValue>> = {};
    for (const [state, definition] of Object.entries(journey.local.definition.States)) {
      if (definition.Type !== 'Task') continue;
      const resource = definition.Resource;
      const attempt = async (taskInput: JsonValue): Promise<JsonValue> => {
        const parameters = isRecord(taskInput) ? taskInput : {};
        if (resource === CLOCK_WAIT_RESOURCE) {
          const stateInput = toJsonValue(parameters.input);
          const saved = takeResumeDue(state);
          const due =
            saved === undefined
              ? clockWaitDue(journey.local, state, stateInput, this.options.clock.now())
              : new Date(saved.due);
          await park(state, stateInput, due, clock.sleepUntil(due, cancel.signal));
          return {};
        }
        if (resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN) {
          const saved = takeResumeDue(state);
          return this.waitForToken(journey, record, state, parameters, saved, park, cancel.signal);
        }
        if (resource === EVENTS_PUT_EVENTS)
          return toJsonValue(await putTaskEntries(parameters, this.taskBus));
        if (resource === LAMBDA_INVOKE) {
          const payload = await this.invoke(record, parameters);
          return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
        }
        throw new EngineError('States.Runtime', `The local engine cannot run resource ${resource}`);
      };
      handlers[state] = pacedByEngine(journey.local, state)
        ? pacedTask(attempt, {
            state,
            retriers: definition.Retry ?? [],
            attemptTimeoutSeconds: journey.local.attemptTimeouts.get(state),
            clock,
            signal: cancel.signal,
            idleWhile: (wait) => this.activity.idleWhile(wait),
          })
        : attempt;
    }
    this.activity.markBusy();
    const handle = machine.run(input, {
      overrides: {
        taskResourceLocalHandlers: handlers,
        retryIntervalOverrides: retryIntervals(journey.local, this.options.clock.mode),
      },
      context: executionContext(record, journey, clock),
    });
    this.running.set(record.executionArn, { abort: handle.abort, cancel });
    void this.followSteps(record, handle.eventLogs, journey.local);
    handle.result
      .then((output) => {
        this.finish(record, 'SUCCEEDED', { output });
      })
      .catch((error: unknown) => {
        if (error instanceof ExecutionAbortedError || record.status !== 'RUNNING') return;
        const cause = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
        // As Step Functions reports it: the error, and apart from it the cause (a Fail state's Cause).
        this.finish(record, 'FAILED', {
          error: cause instanceof Error ? cause.name : 'States.Runtime',
          cause: cause instanceof Error ? cause.message : describeError(cause),
        });
      })
      .finally(() => {
        this.running.delete(record.executionArn);
        this.activity.markIdle();
      });
  }

  private async waitForToken(
    journey: RunTarget,
    record: ExecutionRecord,
    state: string,
    parameters: Record<string, unknown>,
    saved: ExecutionRecord['checkpoint'],
    park: <T>(state: string, stateInput: JsonValue, due: Date, wait: Promise<T>) => Promise<T>,
    signal: AbortSignal,
  ): Promise<JsonValue> {
    const { [STATE_INPUT_FIELD]: stateInput, ...invocation } = parameters;
    const payload = isRecord(invocation.Payload) ? { ...invocation.Payload } : {};
    // A resumed wait keeps the start it had, so its timeout and its view of the history do too.
    if (saved !== undefined && typeof payload.now === 'string') payload.now = saved.enteredAt;
    const token = typeof payload.taskToken === 'string' ? payload.taskToken : randomUUID();
    const clock = this.options.clock;
    const timeout = journey.local.tokenTimeouts.get(state) ?? 0;
    const due = saved === undefined ? new Date(clock.now().getTime() + timeout * 1000) : new Date(saved.due);
    const answered = new Promise<unknown>((resolve, reject) => {
      this.tokens.set(token, { executionArn: record.executionArn, resolve, reject });
    });
    // Once answered, the timeout must leave the clock too, or a jumping clock would still stop there.
    const settledToken = new AbortController();
    const timedOut = clock.sleepUntil(due, AbortSignal.any([signal, settledToken.signal])).then(() => {
      this.tokens.delete(token);
      throw new EngineError('States.Timeout', `${state} timed out`);
    });
    // Neither may go unhandled: only the first to settle matters.
    answered.catch(() => undefined);
    timedOut.catch(() => undefined);
    try {
      await this.invoke(record, { ...invocation, Payload: payload });
      const output = await park(state, toJsonValue(stateInput), due, Promise.race([answered, timedOut]));
      return toJsonValue(output);
    } finally {
      settledToken.abort();
      this.tokens.delete(token);
    }
  }

  /** A function's error reaches the state machine as Lambda's does: its name, and a JSON cause. */
  private invoke(record: ExecutionRecord, parameters: Record<string, unknown>): Promise<JsonValue> {
    return invokeTaskFunction(this.options.functions, parameters, (line) => this.logLine(record, line));
  }

  private finish(
    record: ExecutionRecord,
    status: Exclude<ExecutionRecord['status'], 'RUNNING'>,
    result: { output?: JsonValue; error?: string; cause?: string },
  ): void {
    if (record.status !== 'RUNNING') return;
    record.status = status;
    record.stopDate = this.options.clock.now().toISOString();
    delete record.checkpoint;
    if (result.output !== undefined) record.output = result.output;
    if (result.error !== undefined) record.error = result.error;
    if (result.cause !== undefined) record.cause = result.cause;
    // Step Functions sends no status-change events for Express workflows: their ends run a finish Task.
    const express = this.machines.get(record.journeyId)?.compiled.workflowType === 'EXPRESS';
    // Saved as ended before its event is stored: a crash in between leaves it for publishPendingEnds.
    if (!express) record.endEventPending = true;
    this.options.executions.save(record);
    const why = result.error === undefined ? '' : ` (${result.error})`;
    this.options.log(
      `${this.stamp()} ${record.journeyId}${customerOf(record)}: ${status.toLowerCase()}${why}`,
    );
    if (!express) void this.publishEnd(record);
  }

  private publishEnd(record: ExecutionRecord): Promise<void> {
    return publishExecutionEnd(record, {
      publish: (event) => this.publish(event),
      save: (saved) => this.options.executions.save(saved),
      log: this.options.log,
    });
  }

  private async followSteps(
    record: ExecutionRecord,
    events: AsyncGenerator<unknown>,
    local: LocalDefinition,
  ): Promise<void> {
    try {
      for await (const event of events) {
        const step = stepEvent(event, this.options.clock.now());
        if (step === undefined) continue;
        // A Wait runs as a Task here (on the virtual clock); its history says what it is on AWS.
        if (local.clockWaits.has(step.state)) step.type = 'Wait';
        record.steps.push(step);
        if (step.event === 'entered' && !step.state.startsWith('Waymark.') && step.type !== 'Choice') {
          this.options.log(`${this.stamp()} ${record.journeyId}${customerOf(record)}: ${step.state}`);
        }
      }
    } catch {
      // The stream ends with the execution, however it ends.
    }
    // The stream lags the result: the last steps arrive after finish() saved the record.
    this.options.executions.save(record);
  }

  private logLine(record: ExecutionRecord, line: string | undefined): void {
    if (line !== undefined)
      this.options.log(`${this.stamp()} ${record.journeyId}${customerOf(record)}: ${line}`);
  }

  private stamp(): string {
    return `[${this.options.clock.now().toISOString().slice(0, 16).replace('T', ' ')}]`;
  }
}
