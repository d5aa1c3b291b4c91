import type { CompileResult } from './compile-result.js';
import { compileFastPath } from './fast-path.js';
import { compileFeelExpression } from './feel-expression.js';
import { StaticExpression } from './static-expression.js';

/**
 * How many compiled texts the cache keeps. Deployed processes hold on to their expressions anyway; the cache
 * saves compiling the same text again (the same mapping in many processes, versions deployed again).
 */
export const compiledExpressionsCachedMax = 10_000;

const cache = new Map<string, CompileResult>();

/**
 * Compiles an expression as Zeebe writes it: text starting with '=' is FEEL, anything else is a static value.
 * FEEL is checked for syntax errors now, so that deploying rejects them. The same text gives the same result
 * object while it is cached.
 */
export function compileExpression(text: string): CompileResult {
  const cached = cache.get(text);
  if (cached !== undefined) {
    return cached;
  }
  const result = compileUncached(text);
  if (cache.size >= compiledExpressionsCachedMax) {
    // Maps iterate in insertion order: this drops the oldest entry.
    cache.delete(cache.keys().next().value as string);
  }
  cache.set(text, result);
  return result;
}

function compileUncached(text: string): CompileResult {
  if (!text.startsWith('=')) {
    return { expression: new StaticExpression(text) };
  }
  const feelText = text.slice(1);
  const fast = compileFastPath(text, feelText);
  return fast !== undefined ? { expression: fast } : compileFeelExpression(text, feelText);
}
