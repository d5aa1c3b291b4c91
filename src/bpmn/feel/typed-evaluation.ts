import type { Expression, VariableLookup } from '../model.js';
import { expressionText } from './compile-result.js';
import { resultTypeOf, type ResultType } from './json-value.js';

export type TypedEvaluationResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** Evaluates the condition of a sequence flow: the result must be a boolean. */
export function evaluateCondition(expression: Expression, variables: VariableLookup): TypedEvaluationResult<boolean> {
  return evaluateAs(expression, variables, 'BOOLEAN', (value) => (typeof value === 'boolean' ? value : undefined));
}

/** Evaluates an expression that must give a string, such as a job type. */
export function evaluateString(expression: Expression, variables: VariableLookup): TypedEvaluationResult<string> {
  return evaluateAs(expression, variables, 'STRING', (value) => (typeof value === 'string' ? value : undefined));
}

/**
 * Evaluates an expression that must give a number, such as job retries. A static value counts as a number when
 * its text is one (retries="3"), as in Zeebe.
 */
export function evaluateNumber(expression: Expression, variables: VariableLookup): TypedEvaluationResult<number> {
  return evaluateAs(expression, variables, 'NUMBER', (value) => {
    if (typeof value === 'number') return value;
    if (expression.isStatic && typeof value === 'string' && value.trim() !== '') {
      const number = Number(value);
      return Number.isFinite(number) ? number : undefined;
    }
    return undefined;
  });
}

function evaluateAs<T>(
  expression: Expression,
  variables: VariableLookup,
  expectedType: ResultType,
  accept: (value: unknown) => T | undefined,
): TypedEvaluationResult<T> {
  const result = expression.evaluate(variables);
  if (!result.ok) {
    return result;
  }
  const value = accept(result.value);
  if (value === undefined) {
    return {
      ok: false,
      message:
        `Expected result of the expression '${expressionText(expression)}' to be '${expectedType}', ` +
        `but was '${resultTypeOf(result.value)}'.`,
    };
  }
  return { ok: true, value };
}
