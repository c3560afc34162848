/** WorkflowControl over the Step Functions API (on AWS, or the local engine's endpoint). */
import {
  DescribeExecutionCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  type SFNClient,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { type ExecutionData, WAYMARK_STOP_ERROR, type WorkflowControl } from './runtime.ts';

// A token or execution that has moved on: the late event or goal has nothing left to do.
const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken', 'ExecutionDoesNotExist']);

function isGone(error: unknown): boolean {
  return error instanceof Error && GONE.has(error.name);
}

export function createSfnWorkflowControl(sfn: SFNClient): WorkflowControl {
  return {
    async sendTaskSuccess(taskToken, output) {
      try {
        await sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
        return true;
      } catch (error) {
        if (isGone(error)) return false;
        throw error;
      }
    },
    async isRunning(executionId) {
      // Express executions cannot be described; they last five minutes at most, so count them as running.
      if (executionId.includes(':express:')) return true;
      try {
        const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: executionId }));
        return execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE';
      } catch (error) {
        if (isGone(error)) return false;
        throw error;
      }
    },
    async describeExecution(executionId) {
      try {
        const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: executionId }));
        const data: ExecutionData = {
          input: parsedOrUndefined(execution.input),
          output: parsedOrUndefined(execution.output),
        };
        return data;
      } catch (error) {
        if (isGone(error)) return undefined;
        throw error;
      }
    },
    async startExecution(stateMachineArn, name, input) {
      try {
        await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
        return 'started';
      } catch (error) {
        if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return 'exists';
        throw error;
      }
    },
    async stopExecution(executionId, cause) {
      // Express executions cannot be stopped; they end on their own within five minutes.
      if (executionId.includes(':express:')) return false;
      try {
        // The finish function knows Waymark's own stops by this error: the stopper has recorded the end.
        await sfn.send(
          new StopExecutionCommand({ executionArn: executionId, error: WAYMARK_STOP_ERROR, cause }),
        );
        return true;
      } catch (error) {
        if (isGone(error)) return false;
        throw error;
      }
    },
  };
}

/** Step Functions keeps input and output as JSON text; text that is not JSON counts as none. */
function parsedOrUndefined(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
