/**
 * The subset of the Amazon States Language the compiler emits: JSONPath
 * only (no JSONata, no Assign), which both Step Functions and the local
 * interpreter execute the same way.
 */
import type { JsonValue } from '../json.ts';

export type AslJson = JsonValue;

export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface Catcher {
  ErrorEquals: string[];
  ResultPath: string | null;
  Next: string;
}

interface Flow {
  Comment?: string;
  Next?: string;
  End?: true;
}

export interface TaskState extends Flow {
  Type: 'Task';
  Resource: string;
  Parameters: { [key: string]: AslJson };
  ResultSelector?: { [key: string]: AslJson };
  ResultPath: string | null;
  OutputPath?: string;
  TimeoutSeconds: number;
  Retry?: Retrier[];
  Catch?: Catcher[];
}

export interface PassState extends Flow {
  Type: 'Pass';
  Parameters?: { [key: string]: AslJson };
  Result?: AslJson;
  ResultPath?: string | null;
}

export interface WaitState extends Flow {
  Type: 'Wait';
  Seconds?: number;
  TimestampPath?: string;
}

/** One comparison of a Choice rule (JSONPath). */
export type ChoiceComparison = { Variable: string } & (
  | { StringEquals: string }
  | { StringLessThan: string }
  | { StringMatches: string }
  | { NumericEquals: number }
  | { NumericGreaterThan: number }
  | { NumericGreaterThanEquals: number }
  | { NumericLessThan: number }
  | { NumericLessThanEquals: number }
  | { BooleanEquals: boolean }
  | { IsPresent: boolean }
  | { IsNull: boolean }
  | { IsString: boolean }
  | { IsNumeric: boolean }
  | { IsBoolean: boolean }
);

export type ChoiceCondition =
  ChoiceComparison | { And: ChoiceCondition[] } | { Or: ChoiceCondition[] } | { Not: ChoiceCondition };

export type ChoiceRule = ChoiceCondition & { Next: string };

export interface ChoiceState {
  Type: 'Choice';
  Comment?: string | undefined;
  Choices: ChoiceRule[];
  Default: string;
}

export interface SucceedState {
  Type: 'Succeed';
  Comment?: string;
}

/** A fixed error and cause, or (ErrorPath, CausePath) the ones the state holds. */
export type FailState = { Type: 'Fail'; Comment?: string } & (
  { Error: string; Cause?: string } | { ErrorPath: string; CausePath: string }
);

/** A Map over a list in the state (no ItemReader): Distributed for a broadcast's parallel workers. */
export interface MapState extends Flow {
  Type: 'Map';
  Label?: string;
  ItemsPath: string;
  ItemSelector: { [key: string]: AslJson };
  MaxConcurrency: number;
  ToleratedFailurePercentage?: number;
  ItemProcessor: {
    ProcessorConfig: { Mode: 'DISTRIBUTED'; ExecutionType: 'STANDARD' | 'EXPRESS' } | { Mode: 'INLINE' };
    StartAt: string;
    States: Record<string, State>;
  };
  ResultPath: string | null;
}

export type State = TaskState | PassState | WaitState | ChoiceState | SucceedState | FailState | MapState;

export interface StateMachineDefinition {
  Comment: string;
  StartAt: string;
  TimeoutSeconds?: number;
  States: Record<string, State>;
}

/** Every state a state may go to next, optionally leaving out the error paths. */
export function stateTargets(state: State, options: { includeCatch: boolean }): string[] {
  switch (state.Type) {
    case 'Task':
      return [
        ...(state.Next === undefined ? [] : [state.Next]),
        ...(options.includeCatch ? (state.Catch ?? []).map((catcher) => catcher.Next) : []),
      ];
    case 'Pass':
    case 'Wait':
    case 'Map':
      return state.Next === undefined ? [] : [state.Next];
    case 'Choice':
      return [...state.Choices.map((rule) => rule.Next), state.Default];
    case 'Succeed':
    case 'Fail':
      return [];
    default: {
      const unreachable: never = state;
      throw new Error(`Unknown state ${JSON.stringify(unreachable)}`);
    }
  }
}
