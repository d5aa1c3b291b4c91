import type { ParseResult } from './model.js';
import { parseBpmn } from './parse-bpmn.js';
import { isYamlResourceName, parseYaml } from './yaml/index.js';

/** Resource names the engine deploys: BPMN (.bpmn, .xml) and YAML definitions (.yaml, .yml). */
export function isProcessResourceName(resourceName: string): boolean {
  return /\.(bpmn|xml)$/i.test(resourceName) || isYamlResourceName(resourceName);
}

/** Parses a deployed resource by its kind, which its name tells; both kinds become the same executable model. */
export function parseResource(content: string | Uint8Array, resourceName: string): ParseResult {
  return isYamlResourceName(resourceName) ? parseYaml(content, resourceName) : parseBpmn(content, resourceName);
}
