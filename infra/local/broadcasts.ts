/**
 * The local stand-in for EventBridge Scheduler and the broadcast state
 * machine: each broadcast journey's runs fire on the virtual clock, and each
 * run executes the same ASL as on AWS (shared/audience/broadcast-machine.ts)
 * in the ASL interpreter, its tasks bound to the audience function. Every
 * task can run again, so a run the engine was killed in is simply run again
 * at the next start: members already started are found by name, not
 * started twice.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import { broadcastDefinition } from '../../shared/audience/broadcast-machine.ts';
import { nextRun } from '../../shared/audience/recurrence.ts';
import { namedRun } from '../../shared/audience/schedule.ts';
import { type Journey, isAudienceTrigger } from '../../shared/journey/schema.ts';
import { isBroadcastTrigger } from '../../shared/journey/trigger.ts';
import { isRecord, type JsonValue, toJsonValue } from '../../shared/json.ts';
import type { StoreContext } from '../../shared/store/context.ts';
import { listBroadcastRuns, updateBroadcastRun } from '../../shared/store/broadcasts.ts';
import type { VirtualClock } from './clock.ts';
import { clockWaitDue, localDefinition } from './definition.ts';
import type { EngineLog, LocalEngine } from './engine.ts';

export type AudienceFunction = (payload: unknown) => Promise<unknown>;

export interface LocalBroadcastOptions {
  journeys: readonly Journey[];
  settingsZone: string;
  engine: LocalEngine;
  clock: VirtualClock;
  store: StoreContext;
  audience: AudienceFunction;
  log: EngineLog;
}

export class LocalBroadcasts {
  private readonly cancel = new AbortController();
  private readonly local = localDefinition(broadcastDefinition());
  private readonly machine = new StateMachine(this.local.definition);
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: LocalBroadcastOptions) {}

  /** Takes up runs left unfinished, fires one-off runs missed while stopped, then follows each schedule. */
  async start(): Promise<void> {
    for (const journey of this.options.journeys) {
      if (!isBroadcastTrigger(journey.trigger)) continue;
      const stored = await listBroadcastRuns(this.options.store, journey.id);
      if (journey.status !== 'active') {
        // Paused while stopped: on AWS its next wave would have ended the run; end it here.
        for (const run of stored.filter((candidate) => candidate.status === 'running')) {
          await updateBroadcastRun(this.options.store, journey.id, run.runId, {
            status: 'done',
            finishedAt: this.options.clock.now().toISOString(),
          });
          this.options.log(
            `${this.stamp()} ${journey.id}: broadcast ${run.runId} ended: the journey is ${journey.status}`,
          );
        }
        continue;
      }
      for (const run of stored.filter((candidate) => candidate.status === 'running')) {
        this.options.log(`${this.stamp()} ${journey.id}: broadcast ${run.runId} takes up where it stopped`);
        this.track(this.execute(journey, new Date(run.firstAt)));
      }
      const named = namedRun(journey.trigger, this.options.settingsZone);
      const now = this.options.clock.now();
      if (named !== undefined && named.firstAt <= now && !stored.some((run) => run.runId === named.runId)) {
        this.options.log(
          `${this.stamp()} ${journey.id}: broadcast ${named.runId} was due while stopped: it runs now`,
        );
        this.track(this.execute(journey, named.firstAt));
      }
      this.track(this.follow(journey, now));
    }
  }

  async close(): Promise<void> {
    this.cancel.abort();
    await Promise.allSettled([...this.running]);
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => {
      if (this.cancel.signal.aborted) return;
      this.options.log(
        `${this.stamp()} broadcast failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    this.running.add(tracked);
    void tracked.finally(() => this.running.delete(tracked));
  }

  private async follow(journey: Journey, from: Date): Promise<void> {
    if (!isAudienceTrigger(journey.trigger)) return;
    let after = from;
    for (;;) {
      const run = nextRun(journey.trigger, this.options.settingsZone, after);
      if (run === undefined || this.cancel.signal.aborted) return;
      await this.options.clock.sleepUntil(run.firstAt, this.cancel.signal, { schedule: true });
      // Each run on its own, as Scheduler starts each: a run in customers' zones lasts up to 26 hours.
      this.track(this.execute(journey, run.firstAt));
      after = run.firstAt;
    }
  }

  /** One run of the broadcast machine, as Scheduler would start it at `scheduledTime`. */
  private execute(journey: Journey, scheduledTime: Date): Promise<void> {
    const { engine, clock, log } = this.options;
    const stateMachineArn = engine.stateMachines().find((machine) => machine.name === journey.id)?.arn;
    if (stateMachineArn === undefined) return Promise.resolve();
    const handlers: Record<string, (input: JsonValue) => Promise<JsonValue>> = {};
    for (const name of taskNames(this.local.definition)) {
      handlers[name] = async (input): Promise<JsonValue> => {
        const parameters = isRecord(input) ? input : {};
        if (this.local.clockWaits.has(name)) {
          const due = clockWaitDue(this.local, name, toJsonValue(parameters.input), clock.now());
          await engine.idleDuring(clock.sleepUntil(due, this.cancel.signal));
          return {};
        }
        const payload = parameters.Payload;
        const result = await this.options.audience(payload);
        this.report(journey.id, payload, result);
        return { Payload: toJsonValue(result), StatusCode: 200 };
      };
    }
    return engine.busyWhile(async () => {
      const handle = this.machine.run(
        { journeyId: journey.id, scheduledTime: scheduledTime.toISOString(), stateMachineArn },
        { overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: zeroRetries(handlers) } },
      );
      const abort = (): void => handle.abort();
      this.cancel.signal.addEventListener('abort', abort, { once: true });
      try {
        await handle.result;
      } finally {
        this.cancel.signal.removeEventListener('abort', abort);
      }
      log(`${this.stamp()} ${journey.id}: broadcast for ${scheduledTime.toISOString()} finished`);
    });
  }

  /** The console's view of a long broadcast: each wave and how many have been started so far. */
  private report(journeyId: string, payload: unknown, result: unknown): void {
    if (!isRecord(payload) || !isRecord(result)) return;
    const run = typeof payload.runId === 'string' ? payload.runId : '';
    if (payload.task === 'nextWave') {
      const { done, started, targeted, dueAt } = result;
      const line =
        done === true
          ? `all ${String(targeted)} members started`
          : `${String(started)}/${String(targeted)} started; next wave due ${String(dueAt)}`;
      this.options.log(`${this.stamp()} ${journeyId}: broadcast ${run}: ${line}`);
    }
  }

  private stamp(): string {
    return `[${this.options.clock.now().toISOString()}]`;
  }
}

/** Every Task state, at any depth (the Map workers' too): the interpreter binds handlers by name. */
function taskNames(definition: { States: Record<string, unknown> }): string[] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    if (!isRecord(state)) return [];
    if (state.Type === 'Task') return [name];
    const processor = state.ItemProcessor;
    return isRecord(processor) && isRecord(processor.States) ? taskNames({ States: processor.States }) : [];
  });
}

function zeroRetries(handlers: Record<string, unknown>): Record<string, number> {
  return Object.fromEntries(Object.keys(handlers).map((name) => [name, 0]));
}
