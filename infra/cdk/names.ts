/**
 * Physical names that other resources, IAM policies or people rely on.
 * Everything else keeps the name CloudFormation generates.
 */
import type { CompiledJourney } from '../../shared/journey/compile.ts';

/** `waymark-<stage>`: stage names have no "-", so one stage's prefix never matches another's names. */
export function resourcePrefix(stage: string): string {
  return `waymark-${stage}`;
}

/**
 * The state machine of a journey. The runtime functions are granted every execution under
 * `<prefix>-*`, so the name must start with the prefix. Express machines get a suffix no journey id
 * can contain ("_"): switching a journey's workflow type replaces its state machine, and
 * CloudFormation can only replace a named resource under a new name.
 */
export function stateMachineName(
  stage: string,
  journey: Pick<CompiledJourney, 'journeyId' | 'workflowType'>,
): string {
  const base = `${resourcePrefix(stage)}-${journey.journeyId}`;
  switch (journey.workflowType) {
    case 'STANDARD':
      return base;
    case 'EXPRESS':
      return `${base}_express`;
  }
}

/** Step Functions delivers logs to `/aws/vendedlogs/` groups without growing the account's log resource policy. */
export function stateMachineLogGroupName(stateMachine: string): string {
  return `/aws/vendedlogs/states/${stateMachine}`;
}
