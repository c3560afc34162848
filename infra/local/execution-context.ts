/**
 * The context object (`$$`) an execution's states read in the interpreter, as Step Functions gives
 * it: the execution, the state machine, the time a state was entered (on the engine's clock, so
 * waits and journeys' `enteredAt` follow virtual time) and a task token per callback task.
 */
import { randomUUID } from 'node:crypto';
import type { VirtualClock } from './clock.ts';
import type { RunTarget } from './engine-machines.ts';
import type { ExecutionRecord } from './executions.ts';

export function executionContext(record: ExecutionRecord, journey: RunTarget, clock: VirtualClock) {
  return {
    Execution: {
      Id: record.executionArn,
      Name: record.name,
      StartTime: record.startDate,
      Input: record.input,
    },
    StateMachine: { Id: journey.arn, Name: journey.journeyId },
    State: {
      get EnteredTime() {
        return clock.now().toISOString();
      },
    },
    Task: {
      get Token() {
        return randomUUID();
      },
    },
  };
}
