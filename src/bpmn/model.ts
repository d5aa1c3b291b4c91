/**
 * The executable model the engine runs: what the parser makes of a BPMN (or later YAML) definition. Names of
 * element and event types are Zeebe's (BpmnElementType, BpmnEventType), because records carry them.
 */

export type BpmnElementType =
  | 'PROCESS'
  | 'SUB_PROCESS'
  | 'EVENT_SUB_PROCESS'
  | 'CALL_ACTIVITY'
  | 'START_EVENT'
  | 'INTERMEDIATE_CATCH_EVENT'
  | 'INTERMEDIATE_THROW_EVENT'
  | 'BOUNDARY_EVENT'
  | 'END_EVENT'
  | 'SERVICE_TASK'
  | 'SEND_TASK'
  | 'BUSINESS_RULE_TASK'
  | 'USER_TASK'
  | 'SCRIPT_TASK'
  | 'RECEIVE_TASK'
  | 'MANUAL_TASK'
  | 'TASK'
  | 'EXCLUSIVE_GATEWAY'
  | 'PARALLEL_GATEWAY'
  | 'INCLUSIVE_GATEWAY'
  | 'EVENT_BASED_GATEWAY'
  | 'SEQUENCE_FLOW';

export type BpmnEventType =
  | 'UNSPECIFIED'
  | 'NONE'
  | 'MESSAGE'
  | 'TIMER'
  | 'ERROR'
  | 'TERMINATE'
  | 'SIGNAL'
  | 'LINK'
  | 'ESCALATION'
  | 'COMPENSATION';

/** A problem in user input, with where it is; collected and reported together, never thrown. */
export interface Problem {
  elementId?: string;
  message: string;
  /** One-based, where the element (or the malformed XML) starts. */
  line?: number;
  column?: number;
  /** The resource the problem is in, as given to the parser. */
  resourceName?: string;
}

export type EvaluationResult = { ok: true; value: unknown } | { ok: false; message: string };

/** Variables visible to an expression: looked up by name; undefined when there is no such variable. */
export type VariableLookup = (name: string) => unknown;

/** A FEEL expression (text after Zeebe's leading '=') or a static value (text without '='). */
export interface Expression {
  /** The text as written in the model, with its leading '=' when it has one. */
  readonly source: string;
  /** True when it is a static value (no leading '='); its value is then the text itself. */
  readonly isStatic: boolean;
  evaluate(variables: VariableLookup): EvaluationResult;
}

/** An input or output mapping: evaluate source, assign to target (a variable name or a dotted path a.b.c). */
export interface Mapping {
  source: Expression;
  target: string;
}

export interface ExecutableSequenceFlow {
  id: string;
  source: ExecutableFlowNode;
  target: ExecutableFlowNode;
  /**
   * Present on conditional flows out of an exclusive gateway. As in Zeebe, the only outgoing flow of an exclusive
   * gateway may have none (it is always taken); with more than one, every flow but the default flow has one.
   */
  condition?: Expression;
}

export interface JobDefinition {
  type: Expression;
  retries: Expression;
  /** zeebe:taskHeaders, static key/value pairs. */
  headers: { [key: string]: string };
}

/** A message to wait for: its name and (except on start events) the correlation key, both possibly FEEL. */
export interface MessageDefinition {
  name: Expression;
  correlationKey?: Expression;
}

/** A timer: a point in time (timeDate), a delay (timeDuration) or a repetition (timeCycle, R<n>/<duration>). */
export interface TimerDefinition {
  kind: 'date' | 'duration' | 'cycle';
  expression: Expression;
}

/** What an error catch event catches (undefined code: every error) or what an error end event throws. */
export interface ErrorDefinition {
  errorCode?: Expression;
}

/** What an escalation catch event catches (undefined code: every escalation) or what a throw event throws. */
export interface EscalationDefinition {
  escalationCode?: Expression;
}

/**
 * Compensation: on a boundary event, the handler it is associated with; on a throw or end event, the activity to
 * compensate (activityRef; every completed activity of the scope when absent).
 */
export interface CompensationDefinition {
  handler?: ExecutableFlowNode;
  activity?: ExecutableFlowNode;
}

/** zeebe:calledElement: the process a call activity starts, and which variables cross between the two. */
export interface CalledElementDefinition {
  processId: Expression;
  /**
   * Which version is called: the latest one (the default), the one deployed with the calling process
   * (deployment), or the latest one with a zeebe:versionTag (versionTag, naming it).
   */
  bindingType: 'latest' | 'deployment' | 'versionTag';
  versionTag?: string;
  propagateAllChildVariables: boolean;
  propagateAllParentVariables: boolean;
}

/** Multi-instance activities (zeebe:loopCharacteristics): one inner instance per item of the input collection. */
export interface MultiInstanceDefinition {
  sequential: boolean;
  inputCollection: Expression;
  inputElement?: string;
  outputCollection?: string;
  outputElement?: Expression;
  completionCondition?: Expression;
}

/** zeebe:script: a FEEL expression whose result is set as the result variable. */
export interface ScriptDefinition {
  expression: Expression;
  resultVariable: string;
}

export interface ExecutableFlowNode {
  id: string;
  name?: string;
  bpmnElementType: BpmnElementType;
  bpmnEventType: BpmnEventType;
  /** The element this one lives in (the process for top-level elements); undefined for the process itself. */
  flowScope?: ExecutableFlowNode;
  incoming: ExecutableSequenceFlow[];
  outgoing: ExecutableSequenceFlow[];
  /** Exclusive gateways: the default flow, taken when no condition is true. */
  defaultFlow?: ExecutableSequenceFlow;
  /** Service tasks (and later every job-based element). */
  job?: JobDefinition;
  inputMappings: Mapping[];
  outputMappings: Mapping[];
  /** Message events and receive tasks. */
  message?: MessageDefinition;
  /** Timer events. */
  timer?: TimerDefinition;
  /** Link events: the link's name; a throw link jumps to the catch link of that name in its scope. */
  link?: { name: string; target?: ExecutableFlowNode };
  /** Signal events: the signal's name (possibly FEEL). */
  signal?: { name: Expression };
  /** Error boundary and end events. */
  error?: ErrorDefinition;
  /** Escalation throw, end, boundary and event subprocess start events. */
  escalation?: EscalationDefinition;
  /** Compensation boundary, throw and end events. */
  compensation?: CompensationDefinition;
  /** Compensation handlers (isForCompensation): activated only by compensation, never over a sequence flow. */
  isForCompensation?: boolean;
  /** Multi-instance activities. */
  multiInstance?: MultiInstanceDefinition;
  /** Call activities. */
  calledElement?: CalledElementDefinition;
  /** Script tasks with zeebe:script. */
  script?: ScriptDefinition;
  /** Boundary events: the activity they are attached to, and whether they interrupt it (cancelActivity). */
  attachedTo?: ExecutableFlowNode;
  interrupting?: boolean;
  /** Activities: the boundary events attached to them. */
  boundaryEvents: ExecutableFlowNode[];
  /** Scopes (process, embedded subprocess): the none start event their instances start at. */
  noneStartEvent?: ExecutableFlowNode;
  /** Scopes: the start events of their event subprocesses (each interrupting the scope or not). */
  eventSubProcessStarts?: ExecutableFlowNode[];
}

export interface ExecutableProcess extends ExecutableFlowNode {
  bpmnElementType: 'PROCESS';
  /** bpmnProcessId. */
  id: string;
  versionTag?: string;
  /** Start events with an event definition (message, timer) of the process itself. */
  eventStartEvents: ExecutableFlowNode[];
  /** Every flow node of the process by id, the process itself included. */
  elements: Map<string, ExecutableFlowNode>;
  /** Every sequence flow of the process by id. */
  sequenceFlows: Map<string, ExecutableSequenceFlow>;
}

export interface ParseResult {
  /** Executable processes of the definitions; empty when there are problems. */
  processes: ExecutableProcess[];
  problems: Problem[];
  /** What the resource declares and calls, read even when it has problems; empty when it cannot be read at all. */
  outline: ProcessOutline;
}

/**
 * The processes a resource declares and the processes its call activities call by a static id: deployment checks
 * the calls against what is deployed, which parsing alone cannot know, and reports them beside the other problems.
 */
export interface ProcessOutline {
  processes: { id: string; versionTag?: string }[];
  calls: StaticProcessCall[];
}

/** A call activity whose zeebe:calledElement processId is a static value (not FEEL). */
export interface StaticProcessCall {
  /** The call activity. */
  elementId: string;
  /** The process id it calls. */
  calledProcessId: string;
  bindingType: 'latest' | 'deployment' | 'versionTag';
  versionTag?: string;
  /** One-based position of the call activity in the resource, when known. */
  line?: number;
  column?: number;
}

export const EMPTY_OUTLINE: ProcessOutline = { processes: [], calls: [] };
