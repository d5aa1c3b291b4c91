import type { ProcessInstanceRecordValue } from '../../protocol/index.js';
import type { StateStore } from '../index.js';
import type { Column } from '../types.js';

export type ElementInstanceLifecycle = 'ACTIVATING' | 'ACTIVATED' | 'COMPLETING' | 'COMPLETED' | 'TERMINATING' | 'TERMINATED';

/** An active element instance (a process instance is the element instance of its process). */
export interface ElementInstance {
  key: bigint;
  state: ElementInstanceLifecycle;
  value: ProcessInstanceRecordValue;
  /** Active child element instances (for scopes). */
  childCount: number;
  /** Sequence flows taken inside this scope whose target has not been activated yet (including those waiting at joins). */
  activeSequenceFlows: number;
  /** The job of a job-based element, -1n when none. */
  jobKey: bigint;
  /** Variables a worker completed the element's job with (JSON text), until the element completes. */
  completionVariables?: string;
  /** Call activities: the process instance they started, -1n or absent when none. */
  calledChildInstanceKey?: bigint;
  /** Scopes: a terminate end event was reached; the scope completes once its other children are terminated. */
  terminateEndEventReached?: boolean;
}

export interface ReadonlyElementInstanceState {
  getInstance(key: bigint): ElementInstance | undefined;
  forEachChild(parentKey: bigint, visitor: (child: ElementInstance) => void): void;
  /** How often each incoming flow of a joining gateway has been taken in a scope (waiting tokens). */
  getTakenFlowCount(flowScopeKey: bigint, gatewayId: string, flowId: string): number;
  /** Every flow with tokens waiting at a joining gateway of a scope. */
  forEachTakenFlow(flowScopeKey: bigint, visitor: (gatewayId: string, flowId: string, count: number) => void): void;
}

export class ElementInstanceState implements ReadonlyElementInstanceState {
  private readonly instances: Column<[bigint], any>;
  private readonly children: Column<[bigint, bigint], boolean>;
  private readonly takenFlows: Column<[bigint, string, string], number>;

  constructor(store: StateStore) {
    this.instances = store.column('element-instance', 1);
    this.children = store.column('element-instance-child', 2);
    this.takenFlows = store.column('taken-sequence-flow', 3);
  }

  getInstance(key: bigint): ElementInstance | undefined {
    return this.instances.get(key);
  }

  forEachChild(parentKey: bigint, visitor: (child: ElementInstance) => void): void {
    const childKeys: bigint[] = [];
    this.children.forEachWithPrefix([parentKey], (_value, key) => {
      childKeys.push(key[1]);
    });
    for (const childKey of childKeys) {
      const child = this.getInstance(childKey);
      if (child) visitor(child);
    }
  }

  getTakenFlowCount(flowScopeKey: bigint, gatewayId: string, flowId: string): number {
    return this.takenFlows.get(flowScopeKey, gatewayId, flowId) ?? 0;
  }

  forEachTakenFlow(flowScopeKey: bigint, visitor: (gatewayId: string, flowId: string, count: number) => void): void {
    const taken: [string, string, number][] = [];
    this.takenFlows.forEachWithPrefix([flowScopeKey], (count, key) => {
      taken.push([key[1], key[2], count]);
    });
    for (const [gatewayId, flowId, count] of taken) visitor(gatewayId, flowId, count);
  }

  createInstance(key: bigint, value: ProcessInstanceRecordValue): void {
    const instance: ElementInstance = { key, state: 'ACTIVATING', value, childCount: 0, activeSequenceFlows: 0, jobKey: -1n };
    this.instances.put([key], instance as any);
    if (value.flowScopeKey >= 0n) {
      this.children.put([value.flowScopeKey, key], true);
      this.updateInstance(value.flowScopeKey, (parent) => ({ childCount: parent.childCount + 1 }));
    }
  }

  updateInstance(key: bigint, change: (instance: ElementInstance) => Partial<ElementInstance>): void {
    const instance = this.getInstance(key);
    if (!instance) return;
    this.instances.put([key], { ...instance, ...change(instance) } as any);
  }

  removeInstance(key: bigint): void {
    const instance = this.getInstance(key);
    if (!instance) return;
    this.instances.delete(key);
    const flowScopeKey = instance.value.flowScopeKey;
    if (flowScopeKey >= 0n) {
      this.children.delete(flowScopeKey, key);
      this.updateInstance(flowScopeKey, (parent) => ({ childCount: parent.childCount - 1 }));
    }
    // Tokens waiting at a join count as active sequence flows, so a scope without them has no taken flows to clear.
    if (instance.activeSequenceFlows > 0) this.clearTakenFlows(key);
  }

  incrementTakenFlow(flowScopeKey: bigint, gatewayId: string, flowId: string): void {
    this.takenFlows.put([flowScopeKey, gatewayId, flowId], this.getTakenFlowCount(flowScopeKey, gatewayId, flowId) + 1);
  }

  decrementTakenFlow(flowScopeKey: bigint, gatewayId: string, flowId: string): void {
    const count = this.getTakenFlowCount(flowScopeKey, gatewayId, flowId);
    if (count <= 1) this.takenFlows.delete(flowScopeKey, gatewayId, flowId);
    else this.takenFlows.put([flowScopeKey, gatewayId, flowId], count - 1);
  }

  private clearTakenFlows(flowScopeKey: bigint): void {
    const keys: [bigint, string, string][] = [];
    this.takenFlows.forEachWithPrefix([flowScopeKey], (_count, key) => {
      keys.push(key);
    });
    for (const key of keys) this.takenFlows.delete(...key);
  }
}
