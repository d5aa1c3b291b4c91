import { EMPTY_OUTLINE, type ParseResult, type ProcessOutline, type Problem } from '../model.js';
import { parseBpmn } from '../parse-bpmn.js';
import { readYamlProcess } from './yaml-definition.js';
import { yamlToBpmn } from './yaml-to-bpmn.js';

/** Resources named *.yaml or *.yml are YAML definitions (docs/yaml.md). */
export function isYamlResourceName(resourceName: string): boolean {
  return /\.ya?ml$/i.test(resourceName);
}

/**
 * Parses a YAML definition into the processes the engine runs: the YAML is read and checked, written as BPMN and
 * parsed like any BPMN resource, so it is validated by the same rules and runs as the same model. Every problem
 * points at its line in the YAML.
 */
export function parseYaml(content: string | Uint8Array, resourceName: string): ParseResult {
  const text = typeof content === 'string' ? content : Buffer.from(content).toString('utf8');
  const read = readYamlProcess(text);
  if (!read.process) return { processes: [], problems: read.problems.map((problem) => ({ ...problem, resourceName })), outline: EMPTY_OUTLINE };
  const generated = yamlToBpmn(read.process);
  const parsed = parseBpmn(generated.xml, resourceName);
  const outline = yamlOutline(parsed.outline, generated.positionsById);
  if (parsed.problems.length === 0) return { ...parsed, outline };
  const problems = parsed.problems.map((problem): Problem => {
    // Lines of the generated BPMN mean nothing to the author; the YAML line of the element does.
    const position = problem.elementId === undefined ? undefined : generated.positionsById.get(problem.elementId);
    const { line: _line, column: _column, ...rest } = problem;
    return position ? { ...rest, line: position.line, column: position.column, resourceName } : { ...rest, resourceName };
  });
  return { processes: [], problems: problems.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER)), outline };
}

/** The outline with the YAML positions of the call activities instead of those in the generated BPMN. */
function yamlOutline(outline: ProcessOutline, positionsById: ReadonlyMap<string, { line: number; column: number }>): ProcessOutline {
  const calls = outline.calls.map(({ line: _line, column: _column, ...call }) => ({ ...call, ...positionsById.get(call.elementId) }));
  return { processes: outline.processes, calls };
}
