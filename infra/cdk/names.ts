/**
 * Physical names that other resources, IAM policies or people rely on.
 * Everything else keeps the name CloudFormation generates.
 */
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
