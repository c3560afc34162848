/**
 * What the engine runs each journey with: its compiled ASL as the interpreter takes it (built and
 * validated once), its local ARN, and its rules as the router matches them.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import type { CompiledJourney } from '../../shared/journey/compile.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './constants.ts';
import { definitionHash, type LocalDefinition, localDefinition } from './definition.ts';
import type { ExecutionStore } from './executions.ts';
import type { LocalRule } from './router.ts';

export interface JourneyMachine {
  compiled: CompiledJourney;
  local: LocalDefinition;
  machine: StateMachine;
  arn: string;
  hash: string;
}

/** What an execution runs on: its journey's definition as it was when the execution started. */
export interface RunTarget {
  journeyId: string;
  arn: string;
  local: LocalDefinition;
}

/** The deployed journeys' machines; each definition is saved too, so an execution can resume on it later. */
export function journeyMachines(
  journeys: readonly CompiledJourney[],
  executions: ExecutionStore,
): JourneyMachine[] {
  return journeys
    .filter((compiled) => compiled.deploy)
    .map((compiled) => {
      const local = localDefinition(compiled.definition);
      const hash = definitionHash(local);
      executions.saveDefinition(hash, local);
      return {
        compiled,
        local,
        machine: new StateMachine(local.definition),
        arn: stateMachineArn(compiled.journeyId),
        hash,
      };
    });
}

/**
 * A journey's rules for the router. Each pattern object is the compiler's, kept: matchesPattern
 * compiles a pattern object once and reuses it.
 */
export function journeyRules(compiled: CompiledJourney): LocalRule[] {
  return compiled.rules.map((rule, index) => ({
    name: `${compiled.journeyId}-${rule.role}-${index + 1}`,
    description: rule.description,
    eventPattern: rule.pattern,
    state: rule.enabled ? 'ENABLED' : 'DISABLED',
    target:
      rule.role === 'trigger'
        ? { kind: 'journey', journeyId: compiled.journeyId }
        : { kind: 'function', name: rule.role === 'exit' ? 'goals' : 'resume' },
  }));
}

export function targetOf(machine: JourneyMachine): RunTarget {
  return { journeyId: machine.compiled.journeyId, arn: machine.arn, local: machine.local };
}

function stateMachineArn(journeyId: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${journeyId}`;
}
