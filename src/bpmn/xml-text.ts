import type { Problem } from './model.js';

const BYTE_ORDER_MARK = '\uFEFF';

/**
 * The XML of a resource as text. Bytes must be UTF-8 (what the Modeler writes and what the Zeebe clients send);
 * a leading byte order mark is dropped because the XML parser would take it for content before the root element.
 */
export function decodeXml(xml: string | Uint8Array): { text: string } | { problem: Problem } {
  if (typeof xml === 'string') {
    return { text: xml.startsWith(BYTE_ORDER_MARK) ? xml.slice(1) : xml };
  }
  try {
    // The decoder drops a leading byte order mark by itself (ignoreBOM is false).
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(xml) };
  } catch {
    return { problem: { message: 'Expected the resource to be UTF-8 encoded XML, but it contains invalid UTF-8' } };
  }
}
