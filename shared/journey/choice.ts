/**
 * Branch conditions that need neither the profile nor the history compile
 * to a native Choice rule: no Lambda call, one state transition. The rule
 * must mean exactly what conditions.ts says, missing fields included:
 * every comparison is guarded by IsPresent and a type check, because a
 * Choice comparison on a missing path fails the execution.
 */
import type { ChoiceCondition, ChoiceRule } from '../asl/types.ts';
import type { Condition, FieldCondition, StepOfType } from './schema.ts';
import { referencePath } from './state.ts';

type Scalar = string | number | boolean | null;

/** The Choice rule for a condition, or undefined when only the evaluate task can decide it. */
export function nativeChoice(condition: Condition): ChoiceCondition | undefined {
  if ('all' in condition) return combine(condition.all, (rules) => ({ And: rules }));
  if ('any' in condition) return combine(condition.any, (rules) => ({ Or: rules }));
  if ('not' in condition) {
    const inner = nativeChoice(condition.not);
    return inner === undefined ? undefined : { Not: inner };
  }
  if ('history' in condition || 'engagement' in condition) return undefined;
  return fieldChoice(condition);
}

function combine(
  conditions: readonly Condition[],
  wrap: (rules: ChoiceCondition[]) => ChoiceCondition,
): ChoiceCondition | undefined {
  const rules: ChoiceCondition[] = [];
  for (const condition of conditions) {
    const rule = nativeChoice(condition);
    if (rule === undefined) return undefined;
    rules.push(rule);
  }
  const [only] = rules;
  return rules.length === 1 && only !== undefined ? only : wrap(rules);
}

function fieldChoice(condition: FieldCondition): ChoiceCondition | undefined {
  const variable = referencePath(condition.field);
  if (variable === undefined) return undefined;
  const present: ChoiceCondition = { Variable: variable, IsPresent: true };
  const guarded = (...rules: ChoiceCondition[]): ChoiceCondition => ({ And: [present, ...rules] });
  const number = (rule: ChoiceCondition): ChoiceCondition =>
    guarded({ Variable: variable, IsNumeric: true }, rule);
  // Only ever `IsPresent: true`: the local interpreter reads `IsPresent: false` as never matching.
  if (condition.exists !== undefined) return condition.exists ? present : { Not: present };
  if (condition.equals !== undefined) {
    const rule = equalsScalar(variable, condition.equals);
    return rule === undefined ? undefined : guarded(...rule);
  }
  if (condition.notEquals !== undefined) {
    const rule = equalsScalar(variable, condition.notEquals);
    return rule === undefined ? undefined : { Not: guarded(...rule) };
  }
  if (condition.in !== undefined) {
    const options: ChoiceCondition[] = [];
    for (const option of condition.in) {
      const rule = equalsScalar(variable, option);
      if (rule === undefined) return undefined;
      options.push(guarded(...rule));
    }
    const [only] = options;
    return options.length === 1 && only !== undefined ? only : { Or: options };
  }
  if (condition.greaterThan !== undefined)
    return number({ Variable: variable, NumericGreaterThan: condition.greaterThan });
  if (condition.greaterThanOrEqual !== undefined) {
    return number({ Variable: variable, NumericGreaterThanEquals: condition.greaterThanOrEqual });
  }
  if (condition.lessThan !== undefined)
    return number({ Variable: variable, NumericLessThan: condition.lessThan });
  if (condition.lessThanOrEqual !== undefined) {
    return number({ Variable: variable, NumericLessThanEquals: condition.lessThanOrEqual });
  }
  if (condition.startsWith !== undefined) {
    // StringMatches treats * and \ specially; escaping them would work but is not worth the risk.
    if (/[*\\]/.test(condition.startsWith)) return undefined;
    return guarded(
      { Variable: variable, IsString: true },
      { Variable: variable, StringMatches: `${condition.startsWith}*` },
    );
  }
  // `contains` (arrays and substrings) has no Choice operator.
  return undefined;
}

/** The type check and comparison for equality with a scalar; objects and arrays need the evaluate task. */
function equalsScalar(variable: string, value: unknown): ChoiceCondition[] | undefined {
  if (!isScalar(value)) return undefined;
  if (value === null) return [{ Variable: variable, IsNull: true }];
  switch (typeof value) {
    case 'string':
      return [
        { Variable: variable, IsString: true },
        { Variable: variable, StringEquals: value },
      ];
    case 'number':
      return [
        { Variable: variable, IsNumeric: true },
        { Variable: variable, NumericEquals: value },
      ];
    case 'boolean':
      return [
        { Variable: variable, IsBoolean: true },
        { Variable: variable, BooleanEquals: value },
      ];
    default:
      return undefined;
  }
}

function isScalar(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/**
 * The Choice rules of a branch when every case compiles natively, else undefined (the evaluate
 * task decides). The compiler and the timing model both ask this, so they cannot disagree.
 */
export function nativeBranch(step: StepOfType<'branch'>): ChoiceRule[] | undefined {
  const rules: ChoiceRule[] = [];
  for (const branchCase of step.cases) {
    const rule = nativeChoice(branchCase.when);
    if (rule === undefined) return undefined;
    rules.push({ ...rule, Next: branchCase.next });
  }
  return rules;
}
