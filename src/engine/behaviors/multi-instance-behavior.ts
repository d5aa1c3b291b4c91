import { evaluateCondition, expressionText, resultTypeOf, type ExecutableFlowNode } from '../../bpmn/index.js';
import { parseJson, type ProcessInstanceRecordValue } from '../../protocol/index.js';
import type { ElementInstance, ReadonlyEngineState } from '../../state/domain/index.js';
import type { ElementContext } from '../context.js';
import type { ElementBehavior } from './element-behavior.js';
import type { IncidentBehavior } from './incident-behavior.js';
import type { VariableBehavior } from './variable-behavior.js';

/** Zeebe's element type of the instance that holds the inner instances of a multi-instance activity. */
export const MULTI_INSTANCE_BODY = 'MULTI_INSTANCE_BODY';

export function isMultiInstanceBody(value: ProcessInstanceRecordValue): boolean {
  return value.bpmnElementType === MULTI_INSTANCE_BODY;
}

/** An instance of a multi-instance activity inside its body (not the body itself). */
export function isInnerInstance(element: ExecutableFlowNode, value: ProcessInstanceRecordValue): boolean {
  return element.multiInstance !== undefined && !isMultiInstanceBody(value);
}

/**
 * Multi-instance activities as Zeebe runs them: a body element instance evaluates the input collection and holds
 * one inner instance per item (all at once, or one after the other when sequential), each with the item as its
 * input element and its loopCounter (from 1) as local variables. Each completed inner instance writes its output
 * element into the output collection; the completion condition may end the body early.
 */
export class MultiInstanceBehavior {
  constructor(
    private readonly state: ReadonlyEngineState,
    private readonly elements: ElementBehavior,
    private readonly variables: VariableBehavior,
    private readonly incidents: IncidentBehavior,
  ) {}

  /** The input collection, or undefined with an incident raised on the body. */
  inputCollection(body: ElementContext): unknown[] | undefined {
    const definition = body.element.multiInstance;
    if (!definition) return undefined;
    const result = definition.inputCollection.evaluate(this.variables.lookup(body.key));
    if (!result.ok) {
      this.incidents.raiseElementIncident(body, 'EXTRACT_VALUE_ERROR', result.message);
      return undefined;
    }
    if (!Array.isArray(result.value)) {
      const message = `Expected result of the expression '${expressionText(definition.inputCollection)}' to be 'ARRAY', but was '${resultTypeOf(result.value)}'.`;
      this.incidents.raiseElementIncident(body, 'EXTRACT_VALUE_ERROR', message);
      return undefined;
    }
    return result.value;
  }

  activateInner(body: { key: bigint; value: ProcessInstanceRecordValue }, element: ExecutableFlowNode, items: unknown[], index: number): void {
    const key = this.state.keys.nextKey();
    const value: ProcessInstanceRecordValue = {
      ...body.value,
      flowScopeKey: body.key,
      bpmnElementType: element.bpmnElementType,
      bpmnEventType: element.bpmnEventType,
    };
    const document: { [name: string]: unknown } = { loopCounter: index + 1 };
    const inputElement = element.multiInstance?.inputElement;
    if (inputElement) document[inputElement] = items[index];
    this.variables.mergeLocal(key, document, value);
    this.elements.activateInstance(key, value);
  }

  /**
   * An inner instance finished its work: its output element goes into the output collection, then it completes
   * and the body goes on (next item, completion, or early completion by the completion condition). Returns false
   * when an expression failed (an incident is raised and the inner instance stays completing).
   */
  completeInner(inner: ElementContext): boolean {
    const definition = inner.element.multiInstance;
    const body = this.state.elementInstances.getInstance(inner.value.flowScopeKey);
    if (!definition || !body) return true;
    const lookup = this.variables.lookup(inner.key);
    const loopCounter = Number(lookup('loopCounter') ?? 1);
    if (definition.outputCollection && definition.outputElement) {
      const output = definition.outputElement.evaluate(lookup);
      if (!output.ok) {
        this.incidents.raiseElementIncident(inner, 'EXTRACT_VALUE_ERROR', output.message);
        return false;
      }
      const stored = this.state.variables.getLocal(body.key, definition.outputCollection);
      const collection = stored ? (parseJson(stored.value) as unknown[]) : [];
      collection[loopCounter - 1] = output.value;
      this.variables.mergeLocal(body.key, { [definition.outputCollection]: collection }, body.value);
    }
    let done = false;
    if (definition.completionCondition) {
      const condition = evaluateCondition(definition.completionCondition, lookup);
      if (!condition.ok) {
        this.incidents.raiseElementIncident(inner, 'CONDITION_ERROR', condition.message);
        return false;
      }
      done = condition.value;
    }
    this.elements.transition(inner, 'ELEMENT_COMPLETED');
    this.continueBody(body, inner.element, loopCounter, done);
    return true;
  }

  private continueBody(body: ElementInstance, element: ExecutableFlowNode, loopCounter: number, done: boolean): void {
    if (done) {
      this.elements.terminateChildren(body.key);
      this.elements.completeElement(body.key, body.value);
      return;
    }
    if (element.multiInstance?.sequential) {
      const items = this.inputCollection({ key: body.key, value: body.value, element, process: undefined as never, nowMs: 0 });
      if (items && loopCounter < items.length) this.activateInner(body, element, items, loopCounter);
      else if (items) this.elements.completeElement(body.key, body.value);
      return;
    }
    const current = this.state.elementInstances.getInstance(body.key);
    if (current && current.childCount === 0) this.elements.completeElement(body.key, body.value);
  }
}
