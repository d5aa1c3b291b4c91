import type { ExecutableFlowNode, ExecutableProcess } from '../../../bpmn/index.js';
import type {
  ProcessInstanceModificationActivateInstruction,
  ProcessInstanceModificationRecordValue,
  ProcessInstanceRecordValue,
  Record,
  RejectionType,
} from '../../../protocol/index.js';
import type { ElementInstance } from '../../../state/domain/index.js';
import type { CommandProcessor, ProcessingContext } from '../../context.js';
import {
  flowScopesOf,
  instancesToTerminate,
  isInsideMultiInstance,
  isUnsupportedActivation,
  resolveActivation,
} from './modification-instructions.js';

type Rejection = { type: RejectionType; reason: string };

/**
 * PROCESS_INSTANCE_MODIFICATION MODIFY: activates elements (creating the flow scope instances they need) and
 * terminates element instances of a running process instance, all instructions or none. The elements are activated
 * by ACTIVATE_ELEMENT commands as if a token had arrived; the named instances (and the flow scopes left empty by
 * them) by TERMINATE_ELEMENT commands. The MODIFIED event lists, per activation, the scopes it used and created.
 */
export class ProcessInstanceModificationModifyProcessor implements CommandProcessor {
  process(command: Record, context: ProcessingContext): void {
    const request = command.value as unknown as ProcessInstanceModificationRecordValue;
    const processInstanceKey = command.key >= 0n ? command.key : request.processInstanceKey;
    const instance = context.state.elementInstances.getInstance(processInstanceKey);
    if (!instance || instance.value.bpmnElementType !== 'PROCESS') {
      const reason = `Expected to modify process instance but no process instance found with key '${processInstanceKey}'`;
      context.writers.appendRejection(command, 'NOT_FOUND', reason);
      return;
    }
    const process = context.processes.get(instance.value.processDefinitionKey);
    const rejection = validate(request, instance, process, context);
    if (rejection) {
      context.writers.appendRejection(command, rejection.type, rejection.reason);
      return;
    }
    const activateInstructions = (request.activateInstructions ?? []).map((instruction) => activate(instruction, instance, process, context, command.timestamp));
    const modified: ProcessInstanceModificationRecordValue = {
      processInstanceKey,
      activateInstructions,
      terminateInstructions: (request.terminateInstructions ?? []).map((instruction) => ({ elementInstanceKey: instruction.elementInstanceKey })),
      tenantId: instance.value.tenantId,
    };
    // Applying MODIFIED counts the activations as tokens on their way, so the terminations below keep their scopes.
    const event = context.writers.appendEvent(processInstanceKey, 'PROCESS_INSTANCE_MODIFICATION', 'MODIFIED', modified);
    const named = modified.terminateInstructions.map((instruction) => instruction.elementInstanceKey);
    for (const terminated of instancesToTerminate(context.state, named)) {
      context.behaviors.elements.terminateElement(terminated.key, terminated.value);
    }
    context.writers.respond(command, event);
  }
}

/** Checks every instruction before anything is written; the first kind of problem found rejects the command. */
function validate(
  request: ProcessInstanceModificationRecordValue,
  instance: ElementInstance,
  process: ExecutableProcess,
  context: ProcessingContext,
): Rejection | undefined {
  const prefix = `Expected to modify instance of process '${process.id}' but it contains one or more`;
  const activations = request.activateInstructions ?? [];
  const invalid = (reason: string): Rejection => ({ type: 'INVALID_ARGUMENT', reason });
  const unknown = activations.filter((instruction) => !process.elements.has(instruction.elementId)).map((instruction) => instruction.elementId);
  if (unknown.length > 0) return invalid(`${prefix} activate instructions with an element that could not be found: ${quoted(unknown)}`);
  const elementOf = (instruction: ProcessInstanceModificationActivateInstruction) => process.elements.get(instruction.elementId)!;
  const unsupported = activations.filter((instruction) => isUnsupportedActivation(elementOf(instruction), process));
  if (unsupported.length > 0) {
    const ids = quoted(unsupported.map((instruction) => instruction.elementId));
    return invalid(
      `${prefix} activate instructions for elements that are unsupported: ${ids}. The activation of start events, boundary events, event subprocesses, events belonging to an event-based gateway, compensation handlers and inclusive joins is not supported.`,
    );
  }
  const nested = activations.filter((instruction) => isInsideMultiInstance(elementOf(instruction)));
  if (nested.length > 0) {
    return invalid(`${prefix} activate instructions for elements that are nested in a multi-instance activity: ${quoted(nested.map((instruction) => instruction.elementId))}. The activation of such elements is not supported.`);
  }
  const variableProblem = validateVariableInstructions(activations, process, prefix);
  if (variableProblem) return invalid(variableProblem);
  const ancestorProblem = validateAncestors(activations, instance, process, context, prefix);
  if (ancestorProblem) return invalid(ancestorProblem);
  return validateTerminations(request, instance, context, prefix);
}

function validateVariableInstructions(
  activations: ProcessInstanceModificationActivateInstruction[],
  process: ExecutableProcess,
  prefix: string,
): string | undefined {
  const unknownScopes: string[] = [];
  const foreignScopes: string[] = [];
  for (const instruction of activations) {
    const element = process.elements.get(instruction.elementId)!;
    const allowed = new Set([element.id, ...flowScopesOf(element).map((scope) => scope.id)]);
    for (const variables of instruction.variableInstructions ?? []) {
      if (variables.elementId === '') continue;
      if (!process.elements.has(variables.elementId)) unknownScopes.push(variables.elementId);
      else if (!allowed.has(variables.elementId)) foreignScopes.push(variables.elementId);
    }
  }
  if (unknownScopes.length > 0) return `${prefix} variable instructions with a scope element id that could not be found: ${quoted(unknownScopes)}`;
  if (foreignScopes.length > 0) {
    return `${prefix} variable instructions with a scope element that doesn't belong to the activating element's flow scope: ${quoted(foreignScopes)}. These variables should be set before or after the modification.`;
  }
  return undefined;
}

function validateAncestors(
  activations: ProcessInstanceModificationActivateInstruction[],
  instance: ElementInstance,
  process: ExecutableProcess,
  context: ProcessingContext,
  prefix: string,
): string | undefined {
  const invalid: string[] = [];
  const notAncestors: string[] = [];
  const ambiguous: string[] = [];
  for (const instruction of activations) {
    const outcome = resolveActivation(context.state, instance, process.elements.get(instruction.elementId)!, normalized(instruction));
    if (outcome === 'ancestor-invalid') invalid.push(instruction.ancestorScopeKey.toString());
    else if (outcome === 'not-an-ancestor') notAncestors.push(instruction.ancestorScopeKey.toString());
    else if (outcome === 'ambiguous-flow-scope') ambiguous.push(instruction.elementId);
  }
  if (invalid.length > 0) return `${prefix} activate instructions with an ancestor scope key that does not exist, or is not in an active state: ${quoted(invalid)}`;
  if (notAncestors.length > 0) return `${prefix} activate instructions with an ancestor scope key that is not an ancestor of the element to activate: ${quoted(notAncestors)}`;
  if (ambiguous.length > 0) {
    return `${prefix} activate instructions for an element that has a flow scope with more than one active instance: ${quoted(ambiguous)}. Can't decide in which instance of the flow scope the element should be activated. Please specify an ancestor element instance key for this activate instruction.`;
  }
  return undefined;
}

function validateTerminations(request: ProcessInstanceModificationRecordValue, instance: ElementInstance, context: ProcessingContext, prefix: string): Rejection | undefined {
  const unknown = (request.terminateInstructions ?? [])
    .map((instruction) => instruction.elementInstanceKey)
    .filter((key) => {
      const found = context.state.elementInstances.getInstance(key);
      return !found || found.key === instance.key || found.value.processInstanceKey !== instance.key;
    });
  if (unknown.length === 0) return undefined;
  const reason = `${prefix} terminate instructions with an element instance key that could not be found: ${quoted(unknown.map(String))}`;
  return { type: 'INVALID_ARGUMENT', reason };
}

/** Creates the missing flow scope instances, sets the variables and writes the command that activates the element. */
function activate(
  request: ProcessInstanceModificationActivateInstruction,
  instance: ElementInstance,
  process: ExecutableProcess,
  context: ProcessingContext,
  nowMs: number,
): ProcessInstanceModificationActivateInstruction {
  const instruction = normalized(request);
  const element = process.elements.get(instruction.elementId)!;
  const target = resolveActivation(context.state, instance, element, instruction);
  if (typeof target === 'string') throw new Error(`Expected a validated activate instruction for '${element.id}', but found ${target}`);
  const scopeKeys = existingScopeKeys(target.anchor, context);
  const ancestorScopeKeys = [target.anchor.key];
  let parent = target.anchor;
  for (const scope of target.missing) {
    parent = createFlowScope(scope, parent, process, context, nowMs);
    scopeKeys.set(scope.id, parent.key);
    ancestorScopeKeys.push(parent.key);
  }
  const elementKey = context.state.keys.nextKey();
  scopeKeys.set(element.id, elementKey);
  for (const variables of instruction.variableInstructions) {
    const scopeKey = scopeKeys.get(variables.elementId === '' ? process.id : variables.elementId);
    if (scopeKey !== undefined) context.behaviors.variables.mergeLocal(scopeKey, variables.variables, instance.value);
  }
  context.behaviors.elements.activateElementWithKey(elementKey, element, parent.key, instance.value);
  return { ...instruction, ancestorScopeKeys };
}

/**
 * An instance of a flow scope the element needs, written as activated with its event subscriptions (boundary
 * events, event subprocess starts). Its none start event is not taken and its input mappings are not applied:
 * the modification starts it at the element; variable instructions give it variables.
 */
function createFlowScope(scope: ExecutableFlowNode, parent: ElementInstance, process: ExecutableProcess, context: ProcessingContext, nowMs: number): ElementInstance {
  const key = context.state.keys.nextKey();
  const value: ProcessInstanceRecordValue = {
    ...parent.value,
    elementId: scope.id,
    flowScopeKey: parent.key,
    bpmnElementType: scope.bpmnElementType,
    bpmnEventType: scope.bpmnEventType,
  };
  context.writers.appendEvent(key, 'PROCESS_INSTANCE', 'ELEMENT_ACTIVATING', value);
  context.behaviors.eventSubscriptions.subscribe({ key, value, element: scope, process, nowMs });
  context.writers.appendEvent(key, 'PROCESS_INSTANCE', 'ELEMENT_ACTIVATED', value);
  return context.state.elementInstances.getInstance(key)!;
}

/** The keys of a flow scope instance and of the instances around it, by element id, for variable instructions. */
function existingScopeKeys(innermost: ElementInstance, context: ProcessingContext): Map<string, bigint> {
  const keys = new Map<string, bigint>();
  let current: ElementInstance | undefined = innermost;
  for (let depth = 0; current && depth < SCOPE_DEPTH_MAX; depth += 1) {
    if (!keys.has(current.value.elementId)) keys.set(current.value.elementId, current.key);
    current = current.value.flowScopeKey >= 0n ? context.state.elementInstances.getInstance(current.value.flowScopeKey) : undefined;
  }
  return keys;
}

/** Bound on the walk up the scope tree; far above any real nesting. */
const SCOPE_DEPTH_MAX = 1000;

function normalized(instruction: ProcessInstanceModificationActivateInstruction): ProcessInstanceModificationActivateInstruction {
  return {
    elementId: instruction.elementId,
    ancestorScopeKey: instruction.ancestorScopeKey ?? -1n,
    variableInstructions: (instruction.variableInstructions ?? []).map((variables) => ({ variables: variables.variables ?? {}, elementId: variables.elementId ?? '' })),
    ancestorScopeKeys: [],
  };
}

function quoted(values: string[]): string {
  return values.map((value) => `'${value}'`).join(', ');
}
