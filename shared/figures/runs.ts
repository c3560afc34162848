/**
 * Which broadcast run a history entry belongs to (a leaf module: the figures count by it and the
 * panel's broadcast progress reads what they counted). A member's execution is named after its run
 * (shared/audience/members.ts), so every journey, message and skipped entry of it names the run.
 */
import { runOfExecutionName } from '../audience/members.ts';
import type { HistoryEntry } from '../customer/history.ts';

/** An execution's name: its ARN's last part on Step Functions and the local engine alike. */
export function executionName(executionId: string): string {
  return executionId.slice(executionId.lastIndexOf(':') + 1);
}

/** The run of a broadcast member's journey, message or skipped entry; undefined for any other entry. */
export function runOfEntry(entry: HistoryEntry): string | undefined {
  if (entry.kind !== 'journey' && entry.kind !== 'message' && entry.kind !== 'skipped') return undefined;
  return runOfExecutionName(executionName(entry.executionId));
}

/** "duplicate-event: ..." → "duplicate-event": a refusal without its detail. */
export function reasonCode(reason: string | undefined): string {
  if (reason === undefined || reason === '') return 'unknown';
  const colon = reason.indexOf(':');
  return colon === -1 ? reason : reason.slice(0, colon);
}
