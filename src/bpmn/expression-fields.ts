import { compileExpression } from './feel/index.js';
import { messages } from './messages.js';
import type { Expression } from './model.js';
import { report, type TransformContext } from './transform-context.js';

export interface ExpressionRequirements {
  /** Must be FEEL (start with '='), as conditions and output mapping sources must. */
  nonStatic?: boolean;
  /** A static value must be an integer, as job retries must. */
  staticInteger?: boolean;
}

/**
 * Compiles an attribute that holds an expression or a static value, reporting a missing value, a static value
 * where FEEL is required and FEEL syntax errors on the element. Returns undefined when it reported a problem.
 */
export function compileExpressionField(
  context: TransformContext,
  elementId: string | undefined,
  text: string | undefined,
  requirements: ExpressionRequirements = {},
): Expression | undefined {
  if (text === undefined || text === '') {
    report(context, elementId, messages.missingExpression());
    return undefined;
  }
  const compiled = compileExpression(text);
  if ('problem' in compiled) {
    report(context, elementId, compiled.problem);
    return undefined;
  }
  const { expression } = compiled;
  if (expression.isStatic && requirements.nonStatic) {
    report(context, elementId, messages.staticValueForExpression(text));
    return undefined;
  }
  if (expression.isStatic && requirements.staticInteger && !/^\s*-?\d+\s*$/.test(text)) {
    report(context, elementId, messages.staticValueNotInteger(text));
    return undefined;
  }
  return expression;
}

const PATH_PATTERN = '[a-zA-Z_][a-zA-Z0-9_]*(\\.[a-zA-Z_][a-zA-Z0-9_]*)*';
const PATH_REGEXP = new RegExp(`^${PATH_PATTERN}$`);
const PATH_RESERVED_WORDS = [
  'null', 'true', 'false', 'function', 'if', 'then', 'else', 'for', 'between', 'instance', 'of',
];

/** Checks the target of a mapping: a variable name or a path of names (a.b.c). */
export function checkTargetPath(
  context: TransformContext,
  elementId: string | undefined,
  text: string | undefined,
): boolean {
  if (text === undefined || text === '') {
    report(context, elementId, messages.missingPath());
    return false;
  }
  let valid = true;
  if (!PATH_REGEXP.test(text)) {
    report(context, elementId, messages.invalidPath(text, PATH_PATTERN));
    valid = false;
  }
  if (PATH_RESERVED_WORDS.includes(text)) {
    report(context, elementId, messages.reservedWordPath(text, PATH_RESERVED_WORDS));
    valid = false;
  }
  return valid;
}
