import { Parser, type SaxenContextGetter } from 'saxen';
import type { Problem } from './model.js';

/** Where an element starts in the XML: one-based, as editors count. */
export interface XmlPosition {
  line: number;
  column: number;
}

export interface XmlScan {
  /** Well-formedness problems; when there are any, the document must not be read further. */
  problems: Problem[];
  /** Where each element with an id attribute starts (the first one, if an id repeats). */
  positionsById: Map<string, XmlPosition>;
}

/**
 * Checks that the document is well-formed XML and records where each element with an id starts, so that
 * problems found later in the element tree can point at a line and column.
 *
 * bpmn-moddle reports a malformed document only through the rejection of its promise (see moddle-reader.ts),
 * which a synchronous parse cannot wait for; running saxen (the parser under moddle-xml) first gives the message
 * and the position synchronously. Recoverable errors (saxen's warnings, such as an attribute without quotes)
 * are problems too: Zeebe rejects such documents.
 */
export function scanXml(text: string): XmlScan {
  const problems: Problem[] = [];
  const positionsById = new Map<string, XmlPosition>();
  const parser = new Parser();
  const report = (error: Error, getContext: SaxenContextGetter): void => {
    problems.push({ message: `The XML is not well-formed: ${error.message}`, ...positionOf(getContext) });
  };
  parser.on('error', report);
  parser.on('warn', report);
  parser.on('openTag', (_name, getAttributes, decodeEntities, _selfClosing, getContext) => {
    const attributes = getAttributes();
    const id = attributes ? attributes.id : undefined;
    if (id !== undefined) {
      const decodedId = decodeEntities(id);
      if (!positionsById.has(decodedId)) {
        positionsById.set(decodedId, positionOf(getContext));
      }
    }
  });
  parser.parse(text);
  return { problems, positionsById };
}

function positionOf(getContext: SaxenContextGetter): XmlPosition {
  const { line, column } = getContext();
  return { line: line + 1, column: column + 1 };
}
