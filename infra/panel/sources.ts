/**
 * What the panel reads and does, independent of where the system runs. The
 * local engine provides one set; pointed at AWS, the same store code reads
 * the deployed table and the Step Functions API gives the executions.
 */
import type { Channel } from '../../shared/customer/profile.ts';
import type { Journey, Settings } from '../../shared/journey/schema.ts';
import type { Problem } from '../../shared/journey/problem.ts';
import type { ExecutionPosition } from '../../shared/metrics/types.ts';
import type { StoreContext } from '../../shared/store/context.ts';

export interface PanelJourneyFile {
  file: string;
  /** Undefined when the file does not parse as a journey at all. */
  journey?: Journey;
  /** Running in this engine: parsed, and free of errors. */
  running: boolean;
  problems: readonly Problem[];
}

/** A message as the channel sent it; only where the sender kept a copy (the local outbox). */
export interface SentMessageContent {
  channel: Channel;
  recipient: string;
  subject?: string;
  text: string;
  html?: string;
}

export interface EventToSend {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}

export type SendOutcome = { sent: true; eventId: string } | { sent: false; reason: string };

/** Only a local engine has a clock to move. */
export interface PanelClock {
  mode: string;
  advanceBy(seconds: number): Promise<void>;
}

export interface PanelSources {
  store: StoreContext;
  settings: Settings;
  journeyFiles: readonly PanelJourneyFile[];
  executions(): Promise<ExecutionPosition[]>;
  sentContent(messageId: string): SentMessageContent | undefined;
  publish(event: EventToSend): Promise<SendOutcome>;
  now(): Date;
  clock?: PanelClock;
}
