import type { Expression } from '../model.js';

/** A compiled expression, or why the text is not a valid expression (a syntax error, as a sentence). */
export type CompileResult = { expression: Expression } | { problem: string };

/** The text an expression is known by in messages: FEEL without Zeebe's leading '=', as Zeebe reports it. */
export function expressionText(expression: Expression): string {
  return expression.isStatic ? expression.source : expression.source.slice(1);
}
