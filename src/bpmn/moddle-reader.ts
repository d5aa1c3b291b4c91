import { BpmnModdle } from 'bpmn-moddle';
import zeebe from 'zeebe-bpmn-moddle/resources/zeebe.json' with { type: 'json' };
import type { Problem } from './model.js';
import type { BpmnDefinitions, ModdleElement } from './moddle-elements.js';

/** One moddle for every parse: it only holds the meta-model (which it caches), no state of a document. */
const moddle = new BpmnModdle({ zeebe });

/** What moddle-xml's Reader leaves on its root element handler once it has parsed a document. */
interface RootElementHandler {
  element?: ModdleElement;
  context?: { warnings: ModdleWarning[] };
}

/** A warning of moddle-xml's lax mode: an element or attribute it could not read, or an unresolved reference. */
interface ModdleWarning {
  message: string;
  error?: Error;
  element?: ModdleElement;
  property?: string;
  value?: string;
}

export interface ModdleReadResult {
  /** Undefined when the document has no bpmn:definitions root element. */
  definitions?: BpmnDefinitions;
  problems: Problem[];
  /** Elements with a reference that could not be resolved (in problems already); the reference is unset. */
  elementIdsWithUnresolvedReferences: Set<string>;
}

/**
 * Reads a well-formed document (see scanXml) into bpmn-moddle's element tree, synchronously.
 *
 * bpmn-moddle's fromXML returns a promise, but the parse does not wait for anything: moddle-xml's
 * Reader.prototype.fromXML runs the whole saxen parse, and resolves references, inside the Promise executor,
 * which runs synchronously. The elements are built on the root element handler the Reader gets from its
 * `handler(typeName)` method, and the Reader's context (with its warnings) is attached to that handler before
 * parsing starts. bpmn-moddle assigns fromXML's options onto the Reader it creates, so an own `handler` option
 * that delegates to Reader.prototype.handler hands us that root handler; once fromXML returns, the root element
 * and the warnings are on it. The promise itself is never awaited: its rejection (for errors that scanXml has
 * already reported) is swallowed so that it does not surface as an unhandled rejection.
 *
 * The engine's processors are synchronous and deterministic, which is why deploying must not await a promise.
 */
export function readDefinitions(text: string): ModdleReadResult {
  let rootHandler: RootElementHandler | undefined;
  const options = {
    handler(this: object, typeName: string): RootElementHandler {
      const readerPrototype = Object.getPrototypeOf(this) as { handler(name: string): RootElementHandler };
      rootHandler = readerPrototype.handler.call(this, typeName);
      return rootHandler;
    },
  };
  moddle.fromXML(text, 'bpmn:Definitions', options).catch(() => undefined);
  const { element, allWarnings } = parseOutcome(rootHandler);
  const warnings = allWarnings.filter(isProblem);
  const problems = warnings.map(problemOfWarning);
  const definitions = element as BpmnDefinitions | undefined;
  const elementIdsWithUnresolvedReferences = new Set(
    warnings.filter(isUnresolvedReference).map((warning) => warning.element?.id ?? ''),
  );
  return { definitions, problems, elementIdsWithUnresolvedReferences };
}

/**
 * What the parse left on the root handler. A parse that has run has either read the root element of the
 * (well-formed) document or warned about it; anything else means bpmn-moddle no longer parses synchronously.
 */
function parseOutcome(rootHandler: RootElementHandler | undefined): {
  element?: ModdleElement;
  allWarnings: ModdleWarning[];
} {
  const warnings = rootHandler?.context?.warnings ?? [];
  if (rootHandler?.element === undefined && warnings.length === 0) {
    throw new Error('Expected bpmn-moddle to parse within fromXML, but nothing was parsed when it returned');
  }
  return { element: rootHandler?.element, allWarnings: warnings };
}

/**
 * The text has been decoded already (as UTF-8, or given as a string), so a declared encoding that differs is
 * only a stale declaration, not a problem.
 */
function isProblem(warning: ModdleWarning): boolean {
  return !warning.message.startsWith('unsupported document encoding');
}

const UNPARSABLE_PATTERN = /^unparsable content (.*?)\s*detected\s+line: (\d+)\s+column: (\d+)\s+nested error: (.*)$/s;

function problemOfWarning(warning: ModdleWarning): Problem {
  const unparsable = UNPARSABLE_PATTERN.exec(warning.message);
  if (unparsable !== null) {
    const [, content, line, column, reason] = unparsable;
    return {
      message: `Cannot read ${content || 'the content'}: ${reason}`,
      // moddle-xml passes on saxen's zero-based position.
      line: Number(line) + 1,
      column: Number(column) + 1,
    };
  }
  if (isUnresolvedReference(warning)) {
    return {
      elementId: warning.element?.id,
      message: `Attribute '${localName(warning.property)}' refers to '${warning.value}', which cannot be resolved`,
    };
  }
  return { elementId: warning.element?.id, message: warning.message };
}

function isUnresolvedReference(warning: ModdleWarning): warning is ModdleWarning & { property: string; value: string } {
  return warning.property !== undefined && warning.value !== undefined;
}

function localName(property: string): string {
  return property.slice(property.indexOf(':') + 1);
}
