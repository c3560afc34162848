/**
 * The figures the panel and `waymark report` show, in one shape: built by
 * `buildReport` from the customers as stored and the journeys' executions.
 */
import type { Channel } from '../customer/profile.ts';

/** Where one execution is, as the workflow service knows it (Step Functions, or the local engine). */
export interface ExecutionPosition {
  journeyId: string;
  executionId: string;
  customerId: string;
  status: 'running' | 'succeeded' | 'failed' | 'stopped';
  /** Journey step ids entered, in order (a step in a loop appears once per visit). */
  visited: string[];
  /** The step a running execution is in now; undefined once it has ended. */
  current?: string;
  startedAt: string;
}

/** What happened at one step of one journey. */
export interface StepCounts {
  /** Executions that entered the step (each visit counts). */
  entered: number;
  /** Running executions in the step now. */
  waiting: number;
  sent: Record<Channel, number>;
  capped: number;
  /** Deferred by quiet hours (the message waits for them to end). */
  deferred: number;
  /** Not sent for any other reason: opted out, no address, failed. */
  notSent: number;
  /** Executions that left the journey on an exit event while at this step. */
  exited: number;
  /** Conversions whose last touch was this step's message. */
  converted: number;
}
