/**
 * Physical names that other resources, IAM policies or people rely on.
 * Everything else keeps the name CloudFormation generates.
 */
// Named in shared/, where the report and the panel read the names back.
export { resourcePrefix, stateMachineName } from '../../shared/aws/names.ts';

/** Step Functions delivers logs to `/aws/vendedlogs/` groups without growing the account's log resource policy. */
export function stateMachineLogGroupName(stateMachine: string): string {
  return `/aws/vendedlogs/states/${stateMachine}`;
}
