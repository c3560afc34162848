/**
 * A segment: a named audience, written as a file in `journeys/segments/` with
 * the condition language of branches, over the profile and the history only.
 * Membership is one pure function, so a broadcast, an entry trigger and
 * `waymark segment preview` all count the same customers.
 */
import * as z from 'zod';
import type { CustomerProfile } from '../customer/profile.ts';
import { type ConditionScope, evaluateCondition, type HistoryEvent } from '../journey/conditions.ts';
import { type Condition, conditionSchema, segmentIdSchema } from '../journey/schema.ts';
import { durationSeconds } from '../time/duration.ts';

export const SEGMENTS_DIR = 'segments';

export const segmentSchema = z
  .strictObject({
    $schema: z.string().optional(),
    id: segmentIdSchema,
    name: z.string().min(1).max(128),
    description: z.string().max(2000).optional(),
    when: conditionSchema.optional().meta({
      description:
        'Who is in the segment: conditions on "profile.*" fields and on the history, as in a branch. Leave it out only with "everyone": true.',
    }),
    everyone: z.literal(true).optional().meta({
      description: 'Marks a segment that is meant to hold every customer (then "when" may be left out).',
    }),
  })
  .meta({
    title: 'Waymark segment',
    description: 'An audience that broadcasts and entry triggers start from.',
  });
export type Segment = z.infer<typeof segmentSchema>;

/** What membership is decided on: the profile, and the history when the segment reads it. */
export interface MemberCandidate {
  profile: CustomerProfile;
  history: readonly HistoryEvent[];
}

export function isMember(segment: Segment, candidate: MemberCandidate, now: Date): boolean {
  if (segment.when === undefined) return segment.everyone === true;
  const scope: ConditionScope = {
    event: {},
    trigger: {},
    profile: candidate.profile,
    values: {},
    history: candidate.history,
    now,
  };
  return evaluateCondition(segment.when, scope);
}

/** How far back the segment reads the history; undefined when it reads none (no history query needed). */
export function historyReach(segment: Segment): number | undefined {
  let longest: number | undefined;
  const walk = (condition: Condition): void => {
    if ('all' in condition) condition.all.forEach(walk);
    else if ('any' in condition) condition.any.forEach(walk);
    else if ('not' in condition) walk(condition.not);
    else if ('history' in condition) {
      const seconds = durationSeconds(condition.history.within);
      longest = Math.max(longest ?? 0, seconds);
    }
  };
  if (segment.when !== undefined) walk(segment.when);
  return longest;
}

/** Every condition of a segment with its JSON path, for the validator's messages. */
export function conditionsWithPaths(
  condition: Condition,
  path: readonly (string | number)[],
): { condition: Condition; path: (string | number)[] }[] {
  const here = { condition, path: [...path] };
  if ('all' in condition)
    return [
      here,
      ...condition.all.flatMap((inner, index) => conditionsWithPaths(inner, [...path, 'all', index])),
    ];
  if ('any' in condition)
    return [
      here,
      ...condition.any.flatMap((inner, index) => conditionsWithPaths(inner, [...path, 'any', index])),
    ];
  if ('not' in condition) return [here, ...conditionsWithPaths(condition.not, [...path, 'not'])];
  return [here];
}
