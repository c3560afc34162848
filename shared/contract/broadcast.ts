/**
 * The contract between the broadcast state machine and the audience
 * function: what each task of a run is handed and what it answers. The
 * machine's ASL (shared/audience/broadcast-machine.ts) builds the payloads,
 * the function parses them with these schemas.
 */
import * as z from 'zod';

/** The audience function's ARN in the broadcast machine's definition, filled by CDK or the local engine. */
export const BROADCAST_PLACEHOLDERS = { audienceFunction: 'AudienceFunctionArn' } as const;

const runRef = { journeyId: z.string().min(1), runId: z.string().min(1) };

export const broadcastTaskSchema = z.discriminatedUnion('task', [
  z.object({
    task: z.literal('plan'),
    journeyId: z.string().min(1),
    /** When the schedule fired (Scheduler's `<aws.scheduler.scheduled-time>`): names the run. */
    scheduledTime: z.string().min(1),
    /** The journey's state machine, which each member's execution runs on. */
    stateMachineArn: z.string().min(1),
  }),
  z.object({ task: z.literal('collect'), ...runRef, segment: z.int().min(0), totalSegments: z.int().min(1) }),
  z.object({ task: z.literal('nextWave'), ...runRef }),
  z.object({
    task: z.literal('enter'),
    ...runRef,
    dueAt: z.string().min(1),
    segment: z.int().min(0),
    totalSegments: z.int().min(1),
    stateMachineArn: z.string().min(1),
  }),
  z.object({ task: z.literal('finish'), ...runRef }),
]);
export type BroadcastTask = z.infer<typeof broadcastTaskSchema>;
export type BroadcastTaskOf<K extends BroadcastTask['task']> = Extract<BroadcastTask, { task: K }>;

export type BroadcastPlan =
  | {
      skip: false;
      journeyId: string;
      runId: string;
      stateMachineArn: string;
      segments: number[];
      totalSegments: number;
    }
  /** Nothing to do: the journey is paused or gone, or the run already finished. */
  | { skip: true; journeyId: string; runId: string; reason: string };

export interface BroadcastTaskResults {
  plan: BroadcastPlan;
  collect: { more: boolean };
  nextWave:
    | { done: true; targeted: number; started: number }
    | { done: false; dueAt: string; targeted: number; started: number };
  /** `resumeAt`: paced to the first send's rate, the worker waits until then before its next members. */
  enter: { more: boolean; started: number; resumeAt?: string };
  finish: { targeted: number; started: number };
}
