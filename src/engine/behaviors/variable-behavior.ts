import { stringifyJson, type VariableRecordValue } from '../../protocol/index.js';
import type { ReadonlyEngineState } from '../../state/domain/index.js';
import type { Writers } from '../writers.js';

/** Who owns the variables being written: copied into every VARIABLE record. */
export interface VariableOwner {
  processInstanceKey: bigint;
  processDefinitionKey: bigint;
  bpmnProcessId: string;
  tenantId: string;
}

/** Writes variables as VARIABLE events, with Zeebe's local and propagating semantics. */
export class VariableBehavior {
  constructor(
    private readonly state: ReadonlyEngineState,
    private readonly writers: Writers,
  ) {}

  /** Sets every variable of the document on the scope itself. */
  mergeLocal(scopeKey: bigint, document: { [name: string]: unknown }, owner: VariableOwner): void {
    for (const name of Object.keys(document)) {
      this.setVariable(scopeKey, name, document[name], owner);
    }
  }

  /**
   * Sets each variable on the nearest scope, from this one up, that has a variable of that name; a variable that
   * exists nowhere is created on the process instance (the root scope).
   */
  mergePropagate(scopeKey: bigint, document: { [name: string]: unknown }, owner: VariableOwner): void {
    for (const name of Object.keys(document)) {
      const found = this.state.variables.findVisible(scopeKey, name);
      this.setVariable(found ? found.scopeKey : owner.processInstanceKey, name, document[name], owner);
    }
  }

  /** Looks variables up from a scope upwards, parsing values on demand. */
  lookup(scopeKey: bigint): (name: string) => unknown {
    return (name) => this.state.variables.getVisibleValue(scopeKey, name);
  }

  private setVariable(scopeKey: bigint, name: string, value: unknown, owner: VariableOwner): void {
    // Variables may hold 64-bit integers as bigints (clients send them losslessly); they stay exact in JSON text.
    const json = value === undefined || value === null ? 'null' : stringifyJson(value);
    const existing = this.state.variables.getLocal(scopeKey, name);
    if (existing && existing.value === json) return;
    const record: VariableRecordValue = {
      name,
      value: json,
      scopeKey,
      processInstanceKey: owner.processInstanceKey,
      processDefinitionKey: owner.processDefinitionKey,
      bpmnProcessId: owner.bpmnProcessId,
      tenantId: owner.tenantId,
    };
    if (existing) this.writers.appendEvent(existing.key, 'VARIABLE', 'UPDATED', record);
    else this.writers.appendEvent(this.state.keys.nextKey(), 'VARIABLE', 'CREATED', record);
  }
}
