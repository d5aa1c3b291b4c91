import type { Mapping, VariableLookup } from '../../bpmn/index.js';

export type MappingResult = { ok: true; document: { [name: string]: unknown } } | { ok: false; message: string };

/**
 * Evaluates input or output mappings into one variable document. Targets may be paths (`order.total`), which build
 * nested objects as Zeebe does; later mappings see the results of earlier ones within the same list.
 */
export function evaluateMappings(mappings: readonly Mapping[], lookup: VariableLookup): MappingResult {
  const document: { [name: string]: unknown } = {};
  const lookupWithResults: VariableLookup = (name) => (name in document ? document[name] : lookup(name));
  for (const mapping of mappings) {
    const result = mapping.source.evaluate(lookupWithResults);
    if (!result.ok) return { ok: false, message: result.message };
    assignPath(document, mapping.target, result.value, lookup);
  }
  return { ok: true, document };
}

function assignPath(document: { [name: string]: unknown }, target: string, value: unknown, lookup: VariableLookup): void {
  const path = target.split('.');
  if (path.length === 1) {
    document[target] = value;
    return;
  }
  const rootName = path[0];
  // A nested target merges into the existing variable of that name (a copy), as Zeebe's context merge does.
  const existing = rootName in document ? document[rootName] : lookup(rootName);
  const root = isPlainObject(existing) ? structuredClone(existing) : {};
  let current: { [name: string]: unknown } = root;
  for (let i = 1; i < path.length - 1; i++) {
    const next = current[path[i]];
    current[path[i]] = isPlainObject(next) ? next : {};
    current = current[path[i]] as { [name: string]: unknown };
  }
  current[path[path.length - 1]] = value;
  document[rootName] = root;
}

function isPlainObject(value: unknown): value is { [name: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
