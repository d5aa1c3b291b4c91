import { evaluate, type Warning } from 'feelin';
import type { EvaluationResult, Expression, VariableLookup } from '../model.js';
import { CAMUNDA_BUILTINS } from './camunda-builtins.js';
import type { CompileResult } from './compile-result.js';
import { analyzeFeel } from './feel-syntax.js';
import { toJsonValue } from './json-value.js';

/**
 * feelin warnings that mean the evaluation failed. The others (a variable, context entry or property that is not
 * there) mean a null value, as in Zeebe.
 */
const FAILURE_WARNINGS = new Set<string>([
  'NO_FUNCTION_FOUND',
  'INVALID_TYPE',
  'INVALID_ARGUMENTS',
  'FUNCTION_INVOCATION_FAILURE',
  'NOT_COMPARABLE',
  'UNSUPPORTED',
]);

/** Compiles FEEL (the text after Zeebe's '=') that the fast paths do not cover: checks its syntax now. */
export function compileFeelExpression(source: string, feelText: string): CompileResult {
  const analysis = analyzeFeel(feelText);
  if ('problem' in analysis) {
    return analysis;
  }
  return { expression: new FeelExpression(source, feelText, analysis.variableNames) };
}

/**
 * An expression evaluated by feelin. feelin copies its whole context on every evaluation, so the context holds
 * only the variables the expression names, looked up when it is evaluated, never the whole scope.
 */
class FeelExpression implements Expression {
  readonly isStatic = false;

  constructor(
    readonly source: string,
    private readonly feelText: string,
    private readonly variableNames: readonly string[],
  ) {}

  evaluate(variables: VariableLookup): EvaluationResult {
    const context: { [name: string]: unknown } = { ...CAMUNDA_BUILTINS };
    for (const name of this.variableNames) {
      const value = variables(name);
      // An own property named __proto__ cannot be set by assignment; FEEL cannot name it anyway.
      if (value !== undefined && name !== '__proto__') {
        context[name] = value;
      }
    }
    let result: { value: unknown; warnings: Warning[] };
    try {
      result = evaluate(this.feelText, context);
    } catch (error) {
      return this.failure(error instanceof Error ? error.message : String(error));
    }
    const failure = result.warnings.find(isFailure);
    if (failure !== undefined) {
      return this.failure(failure.message);
    }
    const converted = toJsonValue(result.value);
    return converted.ok ? converted : this.failure(converted.reason);
  }

  private failure(reason: string): EvaluationResult {
    return { ok: false, message: `failed to evaluate expression '${this.feelText}': ${reason}` };
  }
}

/**
 * Arithmetic with null gives null in FEEL (and in Zeebe, `=x + 1` with no variable x is null), but feelin also
 * warns that it cannot add to null; that warning is not a failure.
 */
function isFailure(warning: Warning): boolean {
  if (!FAILURE_WARNINGS.has(warning.type)) {
    return false;
  }
  const operands = Object.values(warning.details?.values ?? {});
  return !(warning.type === 'INVALID_TYPE' && operands.some((operand) => operand === null || operand === undefined));
}
