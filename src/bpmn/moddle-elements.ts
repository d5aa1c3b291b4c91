/**
 * The parts of bpmn-moddle's element tree that the transformation reads. Moddle elements carry their XML type
 * (`bpmn:ServiceTask`, `zeebe:TaskDefinition`, or a foreign `modeler:thing`) in `$type`; references (sourceRef,
 * default, ...) are resolved to the elements themselves. Everything is optional because the XML may omit it.
 */
export interface ModdleElement {
  readonly $type: string;
  readonly id?: string;
  readonly name?: string;
}

export interface ExtensionElements extends ModdleElement {
  readonly values?: ModdleElement[];
}

export interface BpmnDefinitions extends ModdleElement {
  readonly rootElements?: ModdleElement[];
}

export interface BpmnBaseElement extends ModdleElement {
  readonly extensionElements?: ExtensionElements;
}

export interface BpmnProcess extends BpmnBaseElement {
  readonly isExecutable?: boolean;
  readonly flowElements?: BpmnFlowElement[];
  readonly artifacts?: BpmnArtifact[];
}

export interface BpmnFlowElement extends BpmnBaseElement {
  /** Events. */
  readonly eventDefinitions?: ModdleElement[];
  /** Activities. */
  readonly loopCharacteristics?: BpmnLoopCharacteristics;
  /** Exclusive (and inclusive) gateways. */
  readonly default?: BpmnSequenceFlow;
  /** Sequence flows. */
  readonly sourceRef?: BpmnFlowElement;
  readonly targetRef?: BpmnFlowElement;
  readonly conditionExpression?: BpmnFormalExpression;
  /** Boundary events. */
  readonly attachedToRef?: BpmnFlowElement;
  readonly cancelActivity?: boolean;
  /** Receive tasks. */
  readonly messageRef?: BpmnMessage;
  /** Subprocesses. */
  readonly flowElements?: BpmnFlowElement[];
  readonly triggeredByEvent?: boolean;
  /** Start events of event subprocesses. */
  readonly isInterrupting?: boolean;
  /** Activities: a compensation handler, activated only by compensation. */
  readonly isForCompensation?: boolean;
  /** Processes and subprocesses: associations (a compensation boundary event to its handler) and other artifacts. */
  readonly artifacts?: BpmnArtifact[];
}

/** Associations and other artifacts (text annotations, groups); only associations carry meaning for us. */
export interface BpmnArtifact extends ModdleElement {
  readonly sourceRef?: ModdleElement;
  readonly targetRef?: ModdleElement;
}

export interface BpmnLoopCharacteristics extends BpmnBaseElement {
  readonly isSequential?: boolean;
  readonly completionCondition?: BpmnFormalExpression;
}

export interface ZeebeLoopCharacteristics extends ModdleElement {
  readonly inputCollection?: string;
  readonly inputElement?: string;
  readonly outputCollection?: string;
  readonly outputElement?: string;
}

export interface BpmnMessage extends BpmnBaseElement {
  readonly name?: string;
}

export interface BpmnError extends ModdleElement {
  readonly errorCode?: string;
}

/** Message, timer, error and other event definitions; each reads the fields of its kind. */
export interface BpmnEventDefinition extends ModdleElement {
  readonly messageRef?: BpmnMessage;
  readonly errorRef?: BpmnError;
  readonly escalationRef?: { readonly escalationCode?: string };
  /** Compensation event definitions: the activity to compensate. */
  readonly activityRef?: ModdleElement;
  readonly signalRef?: { readonly name?: string };
  /** Link event definitions. */
  readonly name?: string;
  readonly timeDate?: BpmnFormalExpression;
  readonly timeDuration?: BpmnFormalExpression;
  readonly timeCycle?: BpmnFormalExpression;
}

export interface ZeebeSubscription extends ModdleElement {
  readonly correlationKey?: string;
}

export interface ZeebeCalledElement extends ModdleElement {
  readonly processId?: string;
  readonly propagateAllChildVariables?: boolean;
  readonly propagateAllParentVariables?: boolean;
  readonly bindingType?: string;
  readonly versionTag?: string;
}

export interface ZeebeScript extends ModdleElement {
  readonly expression?: string;
  readonly resultVariable?: string;
}

export interface ZeebeAssignmentDefinition extends ModdleElement {
  readonly assignee?: string;
  readonly candidateGroups?: string;
  readonly candidateUsers?: string;
}

export interface ZeebeFormDefinition extends ModdleElement {
  readonly formKey?: string;
  readonly formId?: string;
}

export interface ZeebeTaskSchedule extends ModdleElement {
  readonly dueDate?: string;
  readonly followUpDate?: string;
}

export type BpmnSequenceFlow = BpmnFlowElement;

export interface BpmnFormalExpression extends ModdleElement {
  /** The element's text content. */
  readonly body?: string;
}

export interface ZeebeTaskDefinition extends ModdleElement {
  readonly type?: string;
  readonly retries?: string;
}

export interface ZeebeTaskHeaders extends ModdleElement {
  readonly values?: ZeebeHeader[];
}

export interface ZeebeHeader extends ModdleElement {
  readonly key?: string;
  readonly value?: string;
}

export interface ZeebeIoMapping extends ModdleElement {
  readonly inputParameters?: ZeebeParameter[];
  readonly outputParameters?: ZeebeParameter[];
}

export interface ZeebeParameter extends ModdleElement {
  readonly source?: string;
  readonly target?: string;
}

export interface ZeebeVersionTag extends ModdleElement {
  readonly value?: string;
}

/** The extension elements of the given moddle type, e.g. 'zeebe:TaskDefinition'. */
export function extensionElementsOfType<T extends ModdleElement>(element: BpmnBaseElement, $type: string): T[] {
  return (element.extensionElements?.values ?? []).filter((value): value is T => value.$type === $type);
}
