import type { EvaluationResult, Expression } from '../model.js';

/** A value written without a leading '=': it evaluates to its own text. */
export class StaticExpression implements Expression {
  readonly isStatic = true;
  private readonly result: EvaluationResult;

  constructor(readonly source: string) {
    this.result = { ok: true, value: source };
  }

  evaluate(): EvaluationResult {
    return this.result;
  }
}
