/**
 * Physical names that other resources, IAM policies or people rely on.
 * Everything else keeps the name CloudFormation generates.
 */
import { createHash } from 'node:crypto';
import { resourcePrefix } from '../../shared/aws/names.ts';

// Named in shared/, where the report and the panel read the names back.
export { resourcePrefix, stateMachineName } from '../../shared/aws/names.ts';

/** Step Functions delivers logs to `/aws/vendedlogs/` groups without growing the account's log resource policy. */
export function stateMachineLogGroupName(stateMachine: string): string {
  return `/aws/vendedlogs/states/${stateMachine}`;
}

/**
 * The stage's one broadcast state machine. The "_" keeps it out of `<prefix>-*`, the journeys' state
 * machines the runtime functions may start, resume and stop: a journey id cannot contain one.
 */
export function broadcastStateMachineName(stage: string): string {
  return `${resourcePrefix(stage)}_broadcasts`;
}

/** The Scheduler group holding the stage's broadcast schedules, each named after its journey. */
export function broadcastScheduleGroupName(stage: string): string {
  return `${resourcePrefix(stage)}-broadcasts`;
}

/** The Scheduler group holding the one-time schedules that start the stage's high-volume journeys' next parts. */
export function highVolumeScheduleGroupName(stage: string): string {
  return `${resourcePrefix(stage)}-high-volume`;
}

/** IAM's limit on a role name. */
const ROLE_NAME_MAX = 64;

/**
 * The role Scheduler starts a high-volume journey's next parts with. Fixed, so the steps function's
 * iam:PassRole names each role exactly without a reference into the journey's nested stack (which
 * references the function). IAM names are account-wide, like the producer policy's: one stage per
 * account. Past IAM's 64 characters, the name is cut and ends in a hash of the whole.
 */
export function schedulerRoleName(stage: string, journeyId: string): string {
  const name = `${resourcePrefix(stage)}-${journeyId}-scheduler`;
  if (name.length <= ROLE_NAME_MAX) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, ROLE_NAME_MAX - hash.length - 1)}-${hash}`;
}
