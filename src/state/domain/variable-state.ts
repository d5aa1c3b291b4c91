import { parseJson } from '../../protocol/index.js';
import type { StateStore } from '../index.js';
import type { Column } from '../types.js';

/** A variable as stored: its key and its value as JSON text (as VARIABLE records carry it). */
export interface StoredVariable {
  key: bigint;
  value: string;
}

/**
 * Counts what collectVisible read, as stored: the characters of each collected variable's name and JSON text, plus
 * one per variable. It bounds the size of the document's JSON without writing it (see jobSizeBoundBytes).
 */
export interface CollectedChars {
  storedChars: number;
}

export interface ReadonlyVariableState {
  getLocal(scopeKey: bigint, name: string): StoredVariable | undefined;
  /** The nearest variable of that name, looking from the scope up to the process instance. */
  findVisible(scopeKey: bigint, name: string): { scopeKey: bigint; variable: StoredVariable } | undefined;
  /** The value of the nearest variable of that name, parsed; undefined when there is none. */
  getVisibleValue(scopeKey: bigint, name: string): unknown;
  /** Every variable visible from the scope, nearest first wins, parsed; counted into collected when given. */
  collectVisible(scopeKey: bigint, names?: readonly string[], collected?: CollectedChars): { [name: string]: unknown };
  forEachLocal(scopeKey: bigint, visitor: (name: string, variable: StoredVariable) => void): void;
  getParentScope(scopeKey: bigint): bigint | undefined;
}

/** Variables per scope, and the tree of scopes (element instance -> its flow scope) used to look them up. */
export class VariableState implements ReadonlyVariableState {
  private readonly variables: Column<[bigint, string], any>;
  private readonly parents: Column<[bigint], bigint>;

  constructor(store: StateStore) {
    this.variables = store.column('variable', 2);
    this.parents = store.column('variable-scope-parent', 1);
  }

  getLocal(scopeKey: bigint, name: string): StoredVariable | undefined {
    return this.variables.get(scopeKey, name);
  }

  getParentScope(scopeKey: bigint): bigint | undefined {
    return this.parents.get(scopeKey);
  }

  findVisible(scopeKey: bigint, name: string): { scopeKey: bigint; variable: StoredVariable } | undefined {
    let scope: bigint | undefined = scopeKey;
    for (let depth = 0; scope !== undefined && scope >= 0n && depth < SCOPE_DEPTH_MAX; depth++) {
      const variable = this.getLocal(scope, name);
      if (variable) return { scopeKey: scope, variable };
      scope = this.parents.get(scope);
    }
    return undefined;
  }

  getVisibleValue(scopeKey: bigint, name: string): unknown {
    const found = this.findVisible(scopeKey, name);
    return found ? parseJson(found.variable.value) : undefined;
  }

  collectVisible(scopeKey: bigint, names?: readonly string[], collected?: CollectedChars): { [name: string]: unknown } {
    const document: { [name: string]: unknown } = {};
    if (names && names.length > 0) {
      for (const name of names) {
        const found = this.findVisible(scopeKey, name);
        if (!found) continue;
        document[name] = parseJson(found.variable.value);
        if (collected) collected.storedChars += name.length + found.variable.value.length + 1;
      }
      return document;
    }
    let scope: bigint | undefined = scopeKey;
    for (let depth = 0; scope !== undefined && scope >= 0n && depth < SCOPE_DEPTH_MAX; depth++) {
      this.forEachLocal(scope, (name, variable) => {
        if (name in document) return;
        document[name] = parseJson(variable.value);
        if (collected) collected.storedChars += name.length + variable.value.length + 1;
      });
      scope = this.parents.get(scope);
    }
    return document;
  }

  forEachLocal(scopeKey: bigint, visitor: (name: string, variable: StoredVariable) => void): void {
    this.variables.forEachWithPrefix([scopeKey], (variable, key) => {
      visitor(key[1], variable);
    });
  }

  createScope(scopeKey: bigint, parentScopeKey: bigint): void {
    this.parents.put([scopeKey], parentScopeKey);
  }

  setVariable(scopeKey: bigint, name: string, variable: StoredVariable): void {
    this.variables.put([scopeKey, name], variable as any);
  }

  /** Removes a scope with its local variables (the element instance ended). */
  removeScope(scopeKey: bigint): void {
    const names: string[] = [];
    this.forEachLocal(scopeKey, (name) => names.push(name));
    for (const name of names) this.variables.delete(scopeKey, name);
    if (this.parents.has(scopeKey)) this.parents.delete(scopeKey);
  }
}

/** Bound on the walk up the scope tree; far above any real nesting, it stops a corrupted cycle. */
const SCOPE_DEPTH_MAX = 1000;
