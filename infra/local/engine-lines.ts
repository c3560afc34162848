/**
 * The engine's console lines, as pure functions of what happened: a person follows the log, so each
 * says what a step did in words, and a customer id that is an email or a phone number is masked.
 */
import { isRecord } from '../../shared/json.ts';
import { maskIdentifier } from '../../shared/text/mask.ts';
import type { ExecutionRecord, StepEvent } from './executions.ts';

/** "sent by email" or "not sent: capped, <reason>"; undefined for an outcome that is not one. */
export function deliveryLine(payload: unknown, outcome: unknown): string | undefined {
  const step = isRecord(payload) && typeof payload.stepId === 'string' ? payload.stepId : '?';
  if (!isRecord(outcome)) return undefined;
  const channel = typeof outcome.channel === 'string' ? outcome.channel : '';
  const text =
    outcome.status === 'sent'
      ? `sent by ${channel}`
      : `not sent: ${String(outcome.status)}${typeof outcome.reason === 'string' ? `, ${outcome.reason}` : ''}`;
  return `${step} ${text}`;
}

/** "not entered (<reason>)" for an entry refused; undefined for every other step. */
export function stepLine(payload: unknown, result: unknown): string | undefined {
  if (!isRecord(payload) || !isRecord(result)) return undefined;
  if (payload.task === 'enter' && result.admitted === false) return `not entered (${String(result.reason)})`;
  return undefined;
}

export function customerOf(record: ExecutionRecord): string {
  return record.customerId === undefined ? '' : ` [${maskIdentifier(record.customerId)}]`;
}

export function stepEvent(event: unknown, now: Date): StepEvent | undefined {
  if (!isRecord(event) || !isRecord(event.state) || typeof event.state.name !== 'string') return undefined;
  const kinds: Record<string, StepEvent['event']> = {
    StateEntered: 'entered',
    StateExited: 'exited',
    StateFailed: 'failed',
    StateRetried: 'retried',
    StateCaught: 'caught',
  };
  const kind = typeof event.type === 'string' ? kinds[event.type] : undefined;
  if (kind === undefined) return undefined;
  return { time: now.toISOString(), state: event.state.name, type: String(event.state.type), event: kind };
}
