import type { EvaluationResult, Expression, VariableLookup } from '../model.js';
import { isPlainObject } from './json-value.js';

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
const NAME_PATTERN = new RegExp(`^${NAME}$`);
const PATH_PATTERN = new RegExp(`^${NAME}(?:\\.${NAME})+$`);
const NUMBER_PATTERN = /^-?(?:\d+(?:\.\d+)?|\.\d+)$/;
const PLAIN_STRING_PATTERN = /^"[^"\\]*"$/;

/** Words FEEL reserves; a name or path that uses one is left to feelin. */
const FEEL_KEYWORDS = new Set([
  'true', 'false', 'null', 'and', 'or', 'not', 'for', 'in', 'return', 'if', 'then', 'else', 'some', 'every',
  'satisfies', 'instance', 'of', 'function', 'external', 'between',
]);

/**
 * Compiles the FEEL that most mappings and job types are, without feelin: a variable name (`=orderId`), a path
 * (`=order.total`), or a literal (number, "string" without escapes, true, false, null). feelin parses the text
 * again on every evaluation; these are a lookup or a constant. Returns undefined for anything else. Texts that
 * match are valid FEEL, so there is no syntax to check.
 */
export function compileFastPath(source: string, feelText: string): Expression | undefined {
  const text = feelText.trim();
  const literal = literalValue(text);
  if (literal !== undefined) {
    return new FastExpression(source, () => literal.value);
  }
  if (NAME_PATTERN.test(text) && !FEEL_KEYWORDS.has(text)) {
    return new FastExpression(source, (variables) => variables(text) ?? null);
  }
  if (PATH_PATTERN.test(text)) {
    const [root, ...properties] = text.split('.');
    if ([root, ...properties].some((name) => FEEL_KEYWORDS.has(name))) {
      return undefined;
    }
    return new FastExpression(source, (variables) => pathValue(variables(root), properties));
  }
  return undefined;
}

class FastExpression implements Expression {
  readonly isStatic = false;

  constructor(
    readonly source: string,
    private readonly valueOf: (variables: VariableLookup) => unknown,
  ) {}

  evaluate(variables: VariableLookup): EvaluationResult {
    return { ok: true, value: this.valueOf(variables) };
  }
}

function literalValue(text: string): { value: unknown } | undefined {
  if (text === 'true') return { value: true };
  if (text === 'false') return { value: false };
  if (text === 'null') return { value: null };
  if (NUMBER_PATTERN.test(text)) return { value: Number(text) };
  if (PLAIN_STRING_PATTERN.test(text)) return { value: text.slice(1, -1) };
  return undefined;
}

function pathValue(root: unknown, properties: readonly string[]): unknown {
  let value: unknown = root ?? null;
  for (const property of properties) {
    value = propertyValue(value, property);
  }
  return value;
}

/** FEEL path semantics: a context's entry, or null; on a list, the entry of each of its items. */
function propertyValue(value: unknown, property: string): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => propertyValue(item, property));
  }
  if (isPlainObject(value) && Object.hasOwn(value, property)) {
    return value[property] ?? null;
  }
  return null;
}
