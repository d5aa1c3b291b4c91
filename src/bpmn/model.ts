/**
 * The executable model the engine runs: what the parser makes of a BPMN (or later YAML) definition. Names of
 * element and event types are Zeebe's (BpmnElementType, BpmnEventType), because records carry them.
 */

export type BpmnElementType =
  | 'PROCESS'
  | 'START_EVENT'
  | 'END_EVENT'
  | 'SERVICE_TASK'
  | 'EXCLUSIVE_GATEWAY'
  | 'PARALLEL_GATEWAY'
  | 'SEQUENCE_FLOW';

export type BpmnEventType = 'UNSPECIFIED' | 'NONE';

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
}

export interface ExecutableProcess extends ExecutableFlowNode {
  bpmnElementType: 'PROCESS';
  /** bpmnProcessId. */
  id: string;
  versionTag?: string;
  /** The none start event a CreateProcessInstance starts at. */
  noneStartEvent: ExecutableFlowNode;
  /** Every flow node of the process by id, the process itself included. */
  elements: Map<string, ExecutableFlowNode>;
  /** Every sequence flow of the process by id. */
  sequenceFlows: Map<string, ExecutableSequenceFlow>;
}

export interface ParseResult {
  /** Executable processes of the definitions; empty when there are problems. */
  processes: ExecutableProcess[];
  problems: Problem[];
}
