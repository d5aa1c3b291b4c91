import { EMPTY_OUTLINE, type ParseResult, type ProcessOutline, type Problem } from './model.js';
import { readDefinitions } from './moddle-reader.js';
import { outlineDefinitions } from './process-outline.js';
import { transformDefinitions } from './transform-definitions.js';
import { decodeXml } from './xml-text.js';
import { scanXml, type XmlPosition } from './xml-scan.js';

/**
 * Parses, validates and transforms a BPMN resource into the processes the engine runs. Synchronous and
 * deterministic, because the engine's processors are. Every problem is reported at once; a resource with any
 * problem deploys no process.
 */
export function parseBpmn(xml: string | Uint8Array, resourceName: string): ParseResult {
  const decoded = decodeXml(xml);
  if ('problem' in decoded) {
    return rejected([decoded.problem], resourceName, EMPTY_OUTLINE);
  }
  const scan = scanXml(decoded.text);
  if (scan.problems.length > 0) {
    return rejected(scan.problems, resourceName, EMPTY_OUTLINE);
  }
  const read = readDefinitions(decoded.text);
  const context = {
    problems: read.problems,
    elementIdsWithUnresolvedReferences: read.elementIdsWithUnresolvedReferences,
  };
  const processes = read.definitions === undefined ? [] : transformDefinitions(context, read.definitions);
  const outline = outlineDefinitions(read.definitions, scan.positionsById);
  if (context.problems.length > 0) {
    return rejected(withPositions(context.problems, scan.positionsById), resourceName, outline);
  }
  return { processes, problems: [], outline };
}

function rejected(problems: Problem[], resourceName: string, outline: ProcessOutline): ParseResult {
  return { processes: [], problems: problems.map((problem) => ({ ...problem, resourceName })), outline };
}

/**
 * Problems found in the element tree point at the element's start tag, and are listed once each, in document
 * order (those without a position last), which is how a user works through them.
 */
function withPositions(problems: Problem[], positionsById: Map<string, XmlPosition>): Problem[] {
  const keyOf = (problem: Problem): string =>
    [problem.elementId, problem.line, problem.column, problem.message].join('\n');
  const distinct = new Map(problems.map((problem) => [keyOf(problem), problem]));
  const located = [...distinct.values()].map((problem) => {
    const position = problem.elementId === undefined ? undefined : positionsById.get(problem.elementId);
    return position === undefined || problem.line !== undefined ? problem : { ...problem, ...position };
  });
  const unknown = Number.MAX_SAFE_INTEGER;
  return located.sort((a, b) => (a.line ?? unknown) - (b.line ?? unknown) || (a.column ?? 0) - (b.column ?? 0));
}
