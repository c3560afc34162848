/**
 * What the figures count, by name. A counter is one number of one journey on one UTC day (or of every
 * journey, `journeyId` undefined); the store keeps each as a top-level attribute of that journey's day
 * item, named by `counterName` (a JSON array, so any step, cap or channel id reads back as it was).
 * DynamoDB's ADD works on top-level attributes only, hence one attribute per counter rather than a map.
 */
import * as z from 'zod';
import { skipStatusSchema, type SkipStatus } from '../customer/history.ts';
import { type Channel, channelSchema } from '../customer/profile.ts';
import { engagementActionSchema, type EngagementAction } from '../journey/engagement-condition.ts';

/** A journey's totals: each one entry (or one execution, where a marker says "once") adds 1. */
export const JOURNEY_TOTALS = [
  /** Trigger events that started it (an event's `starts`), broadcast members, and entries refused without a start. */
  'triggered',
  /** Refused by the entry rules (`not-entered`). entered = triggered - notEntered. */
  'notEntered',
  'completed',
  'failed',
  /** Stopped from outside Waymark (the finish function's `stopped`). */
  'stopped',
  /** Executions that left on an exit event (once each). */
  'exited',
  /** Conversion entries. */
  'conversions',
  /** Executions with at least one conversion (once each). */
  'converted',
  /** Executions that sent at least one message (once each): the funnel's "received a message". */
  'messaged',
  /** Send steps deferred by quiet hours whose message went out later (once per execution and step). */
  'deferredThenSent',
  /** Engagement actions (once per message) whose message the figures have not seen. */
  'unmatched',
] as const;
export type JourneyTotal = (typeof JOURNEY_TOTALS)[number];

/** Per step: its own skips by kind, the conversions it was the last touch of, executions that sent there. */
export const STEP_TOTALS = ['capped', 'deferred', 'rateLimited', 'notSent', 'converted', 'sentOnce'] as const;
export type StepTotal = (typeof STEP_TOTALS)[number];

export type Counter =
  /** Of every journey together. */
  | { kind: 'entries' }
  /** History entries naming the journey: how the figures learn which journeys the data holds. */
  | { kind: 'journey-seen'; journeyId: string }
  | { kind: 'total'; name: JourneyTotal }
  | { kind: 'step'; stepId: string; name: StepTotal }
  | { kind: 'sent'; stepId: string; channel: Channel }
  /** Skips by channel (null: none named) and status, as the not-sent table shows them. */
  | { kind: 'skip'; channel: Channel | null; status: SkipStatus }
  | { kind: 'cap'; capId: string }
  /** Attribution: a conversion's last touch (1) or linear share (its weight), at the touched step and channel. */
  | { kind: 'touch'; stepId: string; channel: Channel; by: 'last' | 'linear' }
  /** Engagement per send step and channel: messages sent, and messages with each action (once per message). */
  | { kind: 'engagement'; stepId: string; channel: Channel; measure: 'sent' | EngagementAction };

export type CounterKind = Counter['kind'];

/** One amount for one counter of one journey (undefined: of every journey) on one day. */
export interface Increment {
  journeyId: string | undefined;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  counter: Counter;
  amount: number;
}

/** The attribute name a counter is stored under. */
export function counterName(counter: Counter): string {
  switch (counter.kind) {
    case 'entries':
      return JSON.stringify(['entries']);
    case 'journey-seen':
      return JSON.stringify(['journey', counter.journeyId]);
    case 'total':
      return JSON.stringify(['total', counter.name]);
    case 'step':
      return JSON.stringify(['step', counter.stepId, counter.name]);
    case 'sent':
      return JSON.stringify(['sent', counter.stepId, counter.channel]);
    case 'skip':
      return JSON.stringify(['skip', counter.channel, counter.status]);
    case 'cap':
      return JSON.stringify(['cap', counter.capId]);
    case 'touch':
      return JSON.stringify(['touch', counter.stepId, counter.channel, counter.by]);
    case 'engagement':
      return JSON.stringify(['engagement', counter.stepId, counter.channel, counter.measure]);
    default: {
      const unreachable: never = counter;
      throw new Error(`Unknown counter ${JSON.stringify(unreachable)}`);
    }
  }
}

const nameSchema = z.union([
  z.tuple([z.literal('entries')]).transform((): Counter => ({ kind: 'entries' })),
  z
    .tuple([z.literal('journey'), z.string()])
    .transform(([, journeyId]): Counter => ({ kind: 'journey-seen', journeyId })),
  z
    .tuple([z.literal('total'), z.enum(JOURNEY_TOTALS)])
    .transform(([, name]): Counter => ({ kind: 'total', name })),
  z
    .tuple([z.literal('step'), z.string(), z.enum(STEP_TOTALS)])
    .transform(([, stepId, name]): Counter => ({ kind: 'step', stepId, name })),
  z
    .tuple([z.literal('sent'), z.string(), channelSchema])
    .transform(([, stepId, channel]): Counter => ({ kind: 'sent', stepId, channel })),
  z
    .tuple([z.literal('skip'), channelSchema.nullable(), skipStatusSchema])
    .transform(([, channel, status]): Counter => ({ kind: 'skip', channel, status })),
  z.tuple([z.literal('cap'), z.string()]).transform(([, capId]): Counter => ({ kind: 'cap', capId })),
  z
    .tuple([z.literal('touch'), z.string(), channelSchema, z.enum(['last', 'linear'])])
    .transform(([, stepId, channel, by]): Counter => ({ kind: 'touch', stepId, channel, by })),
  z
    .tuple([
      z.literal('engagement'),
      z.string(),
      channelSchema,
      z.union([z.literal('sent'), engagementActionSchema]),
    ])
    .transform(([, stepId, channel, measure]): Counter => ({ kind: 'engagement', stepId, channel, measure })),
]);

/** The counter an attribute name stands for; undefined for any other attribute (keys, sequence marks). */
export function parseCounterName(name: string): Counter | undefined {
  if (!name.startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(name);
  } catch {
    return undefined;
  }
  const result = nameSchema.safeParse(parsed);
  return result.success ? result.data : undefined;
}

/** A journey's counters summed over the days read: by counter name, as stored. */
export type CounterSums = ReadonlyMap<string, number>;

/** The sum of one counter; 0 when it was never counted. */
export function sumOf(sums: CounterSums, counter: Counter): number {
  return sums.get(counterName(counter)) ?? 0;
}

// ---- broadcast runs -----------------------------------------------------------------------------

/**
 * A broadcast run's progress (shared/report/broadcasts.ts), counted from the entries of the member
 * executions named after the run: one item per run and write shard in the journey's partition, beside
 * its days. Entered and not entered once per execution, sent per message, skipped per send step of an
 * execution by the status of its latest skip (moved when a later skip or the step's first message comes).
 */
export type RunCounter =
  | { kind: 'entered' }
  | { kind: 'not-entered'; reason: string }
  | { kind: 'sent'; channel: Channel }
  | { kind: 'skipped'; status: SkipStatus };

/** One amount for one counter of one run; `day` is its entry's (the item expires with its latest). */
export interface RunIncrement {
  journeyId: string;
  runId: string;
  day: string;
  counter: RunCounter;
  amount: number;
}

export function runCounterName(counter: RunCounter): string {
  switch (counter.kind) {
    case 'entered':
      return JSON.stringify(['run', 'entered']);
    case 'not-entered':
      return JSON.stringify(['run', 'not-entered', counter.reason]);
    case 'sent':
      return JSON.stringify(['run', 'sent', counter.channel]);
    case 'skipped':
      return JSON.stringify(['run', 'skipped', counter.status]);
    default: {
      const unreachable: never = counter;
      throw new Error(`Unknown run counter ${JSON.stringify(unreachable)}`);
    }
  }
}

const runNameSchema = z.union([
  z.tuple([z.literal('run'), z.literal('entered')]).transform((): RunCounter => ({ kind: 'entered' })),
  z
    .tuple([z.literal('run'), z.literal('not-entered'), z.string()])
    .transform(([, , reason]): RunCounter => ({ kind: 'not-entered', reason })),
  z
    .tuple([z.literal('run'), z.literal('sent'), channelSchema])
    .transform(([, , channel]): RunCounter => ({ kind: 'sent', channel })),
  z
    .tuple([z.literal('run'), z.literal('skipped'), skipStatusSchema])
    .transform(([, , status]): RunCounter => ({ kind: 'skipped', status })),
]);

/** The run counter an attribute name stands for; undefined for any other attribute. */
export function parseRunCounterName(name: string): RunCounter | undefined {
  if (!name.startsWith('["run"')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(name);
  } catch {
    return undefined;
  }
  const result = runNameSchema.safeParse(parsed);
  return result.success ? result.data : undefined;
}
