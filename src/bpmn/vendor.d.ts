/*
 * Type declarations for the untyped parts of bpmn-moddle and saxen that src/bpmn uses. bpmn-moddle ships types
 * for its meta-model only ('bpmn-moddle/types'), not for its entry point; saxen ships none.
 */

declare module 'bpmn-moddle' {
  /** Creates a moddle that knows BPMN 2.0 plus the given extension packages (meta-model descriptors). */
  export class BpmnModdle {
    constructor(packages?: { [prefix: string]: unknown }, options?: { [name: string]: unknown });
    /**
     * Parses XML into a tree of moddle elements. The options are assigned onto the underlying moddle-xml Reader.
     * See moddle-reader.ts for why Tributary reads the result synchronously instead of awaiting the promise.
     */
    fromXML(xml: string, typeName: string, options?: { [name: string]: unknown }): Promise<unknown>;
  }
}

declare module 'saxen' {
  /** Where the parser is: line and column are zero-based; data is the text being looked at. */
  export interface SaxenContext {
    data: string;
    line: number;
    column: number;
  }

  export type SaxenContextGetter = () => SaxenContext;

  export class Parser {
    constructor(options?: { proxy?: boolean });
    on(
      event: 'openTag',
      handler: (
        elementName: string,
        getAttributes: () => { [name: string]: string } | false,
        decodeEntities: (text: string) => string,
        selfClosing: boolean,
        getContext: SaxenContextGetter,
      ) => void,
    ): this;
    on(event: 'error' | 'warn', handler: (error: Error, getContext: SaxenContextGetter) => void): this;
    /** Parses the whole document synchronously; returns the error that stopped it, if any. */
    parse(xml: string): Error | null | undefined;
  }
}
