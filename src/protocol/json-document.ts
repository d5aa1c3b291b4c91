import { stringify } from './exported-json.js';
import type { Value } from './record.js';

/**
 * Variables travel as JSON text. Zeebe keeps integers up to 64 bits exactly and the official clients send them
 * losslessly (the Node SDK's LosslessDto), while JSON.parse rounds anything beyond 2^53. So a document that may hold
 * such an integer (a run of 16 or more digits) is parsed by a small lossless parser that turns unsafe integers into
 * bigints, which the record model carries; everything else takes the fast JSON.parse path.
 */
const POSSIBLY_UNSAFE_INTEGER = /\d{16,}/;
const INT64_MAX = 0x7fffffffffffffffn;
const INT64_MIN = -0x8000000000000000n;

/**
 * How deeply a variable document may nest (objects and arrays), as Jackson limits it for Zeebe. Deeper documents
 * would overflow the stack of the recursive code that encodes, copies and evaluates values.
 */
export const JSON_NESTING_DEPTH_MAX = 1000;

/** The deepest nesting of arrays and objects in JSON text (brackets inside strings do not count). */
export function jsonNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c) index++;
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x7b || code === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (code === 0x7d || code === 0x5d) depth--;
  }
  return deepest;
}

/** Parses JSON text; throws a SyntaxError when it is not JSON. */
export function parseJson(text: string): unknown {
  return POSSIBLY_UNSAFE_INTEGER.test(text) ? new LosslessJsonParser(text).parse() : JSON.parse(text);
}

/** Writes a document as JSON text; bigints become bare JSON numbers. */
export function stringifyJson(document: unknown): string {
  if (document === undefined || document === null) return '{}';
  try {
    return JSON.stringify(document);
  } catch (error) {
    // JSON.stringify refuses bigints; such documents are rare, so they pay for the slower writer only when they occur.
    if (error instanceof TypeError) return stringify(document as Value);
    throw error;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

class LosslessJsonParser {
  private index = 0;

  constructor(private readonly text: string) {}

  parse(): unknown {
    const value = this.value();
    this.skipWhitespace();
    if (this.index !== this.text.length) this.fail('end of input');
    return value;
  }

  private value(): unknown {
    this.skipWhitespace();
    switch (this.text[this.index]) {
      case '{':
        return this.object();
      case '[':
        return this.array();
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        return this.number();
    }
  }

  private object(): { [name: string]: unknown } {
    const result: { [name: string]: unknown } = {};
    this.index++;
    if (this.consume('}')) return result;
    do {
      this.skipWhitespace();
      if (this.text[this.index] !== '"') this.fail('a property name');
      const name = this.string();
      if (!this.consume(':')) this.fail("':'");
      // Define rather than assign, so a property named __proto__ stays data (as with JSON.parse).
      Object.defineProperty(result, name, { value: this.value(), enumerable: true, writable: true, configurable: true });
    } while (this.consume(','));
    if (!this.consume('}')) this.fail("',' or '}'");
    return result;
  }

  private array(): unknown[] {
    const result: unknown[] = [];
    this.index++;
    if (this.consume(']')) return result;
    do {
      result.push(this.value());
    } while (this.consume(','));
    if (!this.consume(']')) this.fail("',' or ']'");
    return result;
  }

  private string(): string {
    const start = this.index++;
    const text = this.text;
    while (this.index < text.length && text[this.index] !== '"') this.index += text[this.index] === '\\' ? 2 : 1;
    if (this.index >= text.length) this.fail('the end of a string');
    this.index++;
    // JSON.parse of the literal alone validates the escapes and decodes them.
    return JSON.parse(text.slice(start, this.index)) as string;
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.index;
    const match = NUMBER.exec(this.text);
    if (match === null) this.fail('a JSON value');
    const literal = match[0];
    this.index += literal.length;
    const value = Number(literal);
    if (match[1] !== undefined || match[2] !== undefined || Number.isSafeInteger(value)) return value;
    const integer = BigInt(literal);
    // Beyond 64 bits Zeebe keeps a double too; the record codec stores bigints as int64.
    return integer > INT64_MAX || integer < INT64_MIN ? value : integer;
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.index)) this.fail('a JSON value');
    this.index += word.length;
    return value;
  }

  private consume(char: string): boolean {
    this.skipWhitespace();
    if (this.text[this.index] !== char) return false;
    this.index++;
    return true;
  }

  private skipWhitespace(): void {
    const text = this.text;
    let code = text.charCodeAt(this.index);
    while (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) code = text.charCodeAt(++this.index);
  }

  private fail(expected: string): never {
    throw new SyntaxError(`Expected ${expected} at position ${this.index} of the JSON text`);
  }
}
