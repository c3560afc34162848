/**
 * The event Step Functions puts on the default bus when an execution ends ("Step Functions Execution
 * Status Change", source aws.states), made from the engine's record of the execution, so the finish
 * function gets on one machine what it gets on AWS. Its id comes from the execution and its status:
 * the same end put on the bus again after a restart is the same event.
 */
import { createHash } from 'node:crypto';
import type { EventEnvelope } from '../../shared/events/catalog.ts';
import { EXECUTION_STATUS_CHANGE, STATES_SOURCE } from '../../shared/runtime/finish.ts';
import { localEnvelope } from './envelope.ts';
import type { ExecutionRecord } from './executions.ts';
import { describeError } from './router.ts';

/**
 * What EventBridge takes of an execution's input and output together, escaped (the Step Functions
 * guide, "EventBridge payloads"): past it the input is left out, and the output past it alone.
 */
export const STATUS_EVENT_DATA_LIMIT = 248 * 1024;

export function executionStatusEvent(record: ExecutionRecord): EventEnvelope {
  const stopDate = record.stopDate ?? record.startDate;
  const inputText = JSON.stringify(record.input);
  const outputText = record.output === undefined ? null : JSON.stringify(record.output);
  const outputIncluded = outputText === null || escapedSize(outputText) <= STATUS_EVENT_DATA_LIMIT;
  const inputIncluded =
    escapedSize(inputText) + (outputIncluded && outputText !== null ? escapedSize(outputText) : 0) <=
    STATUS_EVENT_DATA_LIMIT;
  return localEnvelope({
    id: eventId(record),
    source: STATES_SOURCE,
    detailType: EXECUTION_STATUS_CHANGE,
    time: stopDate,
    resources: [record.executionArn],
    detail: {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: Date.parse(record.startDate),
      stopDate: Date.parse(stopDate),
      input: inputIncluded ? inputText : null,
      inputDetails: { included: inputIncluded },
      output: outputIncluded ? outputText : null,
      outputDetails: { included: outputIncluded },
      error: record.error ?? null,
      cause: record.cause ?? null,
    },
  });
}

/** The length of the text as a JSON string inside the event (quotes and escapes included). */
function escapedSize(text: string): number {
  return Buffer.byteLength(JSON.stringify(text));
}

/** UUID-shaped, as EventBridge's ids are, and the same for the same end of the same execution. */
function eventId(record: ExecutionRecord): string {
  const hex = createHash('sha256').update(`${record.executionArn}#${record.status}`).digest('hex');
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join(
    '-',
  );
}

/**
 * Puts the execution's status-change event on the bus, as Step Functions does on AWS: the finish
 * function frees the customer's place and records the end. Once the journal has it, the record says so.
 */
export async function publishExecutionEnd(
  record: ExecutionRecord,
  engine: {
    publish: (event: EventEnvelope) => Promise<void>;
    save: (record: ExecutionRecord) => void;
    log: (line: string) => void;
  },
): Promise<void> {
  try {
    await engine.publish(executionStatusEvent(record));
  } catch (error) {
    // Stopping, or a journal that cannot be written: the record still says pending, for the next start.
    engine.log(
      `  ! the end of ${record.name} is not on the bus yet (${describeError(error)}); it goes there at the next start`,
    );
    return;
  }
  delete record.endEventPending;
  try {
    engine.save(record);
  } catch {
    // Still pending on disk: the next start puts the same event on the bus again, which changes nothing.
  }
}
