import { evaluate, parseExpression } from 'feelin';
import { CAMUNDA_BUILTINS } from './camunda-builtins.js';

export type FeelAnalysis = { variableNames: string[] } | { problem: string };

/**
 * Parses FEEL (without Zeebe's leading '=') and returns the names it may read from the variables, or the syntax
 * error as a problem in Zeebe's words ("failed to parse expression ...").
 *
 * The names are every VariableName in the tree: variables, but also names bound inside the expression (`for i
 * in ...`), function names and context keys used as variables. Giving feelin a variable that the expression
 * shadows or does not read changes nothing, so collecting too many is harmless; what matters is that no name the
 * expression reads is missed. Multi-word names are recognised only when the parser knows them, as feelin does
 * at evaluation; the parser is given the same built-ins here as there, so both read the text the same way.
 */
export function analyzeFeel(feelText: string): FeelAnalysis {
  const tree = parseExpression(feelText, CAMUNDA_BUILTINS, undefined);
  const variableNames = new Set<string>();
  const cursor = tree.cursor();
  let hasError = false;
  do {
    if (cursor.type.isError) {
      hasError = true;
      break;
    }
    if (cursor.name === 'VariableName') {
      variableNames.add(feelText.slice(cursor.from, cursor.to));
    }
  } while (cursor.next());
  if (hasError) {
    return { problem: `failed to parse expression '${feelText}': ${describeSyntaxError(feelText)}` };
  }
  return { variableNames: [...variableNames] };
}

/**
 * feelin's own description of the first syntax error. feelin finds it while it builds its evaluation tree from
 * the parse tree, before it evaluates anything, so no part of the expression runs here.
 */
function describeSyntaxError(feelText: string): string {
  try {
    evaluate(feelText, { ...CAMUNDA_BUILTINS });
  } catch (error) {
    const position = (error as { position?: { from: number } }).position;
    const message = error instanceof Error ? error.message : String(error);
    return position === undefined ? message : `${message} at character ${position.from + 1}`;
  }
  return 'syntax error';
}
