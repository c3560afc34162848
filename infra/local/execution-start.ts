/** A new execution's record, as StartExecution makes it: its ARN, its customer, its input. */
import { customerIdText, type EventCatalog, eventEnvelopeSchema } from '../../shared/events/catalog.ts';
import { isRecord, type JsonValue } from '../../shared/json.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './constants.ts';
import type { ExecutionRecord } from './executions.ts';

export function executionArnOf(journeyId: string, name: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${journeyId}:${name}`;
}

/**
 * Whose execution it is: the trigger event's customer, or, for a high-volume run's later part, which
 * starts on `{"resume": {"customerId", ...}}` rather than an event, the resume input's.
 */
export function customerOfInput(events: EventCatalog, input: JsonValue): string | undefined {
  const trigger = eventEnvelopeSchema.safeParse(input);
  if (trigger.success) return customerIdText(events, trigger.data);
  return isRecord(input) && isRecord(input.resume) && typeof input.resume.customerId === 'string'
    ? input.resume.customerId
    : undefined;
}

export function startedRecord(options: {
  machine: { arn: string; journeyId: string; hash: string };
  name: string;
  input: JsonValue;
  events: EventCatalog;
  now: Date;
}): ExecutionRecord {
  const { machine, name, input } = options;
  const customerId = customerOfInput(options.events, input);
  return {
    executionArn: executionArnOf(machine.journeyId, name),
    name,
    stateMachineArn: machine.arn,
    journeyId: machine.journeyId,
    ...(customerId === undefined ? {} : { customerId }),
    status: 'RUNNING',
    input,
    startDate: options.now.toISOString(),
    steps: [],
    definitionHash: machine.hash,
  };
}
