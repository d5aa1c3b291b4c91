import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import type { Problem } from '../model.js';

/** A YAML process definition as read, before it becomes BPMN: see docs/yaml.md. */
export interface YamlProcess {
  id: string;
  name?: string;
  steps: YamlStep[];
  line: number;
}

export type YamlStepKind = 'service' | 'decide' | 'message' | 'timer' | 'end';

export interface YamlBranch {
  when?: string;
  next: string;
  line: number;
}

export interface YamlStep {
  id: string;
  name?: string;
  kind: YamlStepKind;
  line: number;
  column: number;
  /** service: the job type; message: the message name; timer: the ISO 8601 duration or date. */
  value: string;
  timerKind?: 'duration' | 'date';
  retries?: string;
  headers: [string, string][];
  correlationKey?: string;
  inputs: [string, string][];
  outputs: [string, string][];
  next?: string;
  /** decide: the conditional branches, then the default one (without `when`). */
  branches: YamlBranch[];
}

const TOP_LEVEL_KEYS = new Set(['process', 'name', 'steps']);
const KINDS: YamlStepKind[] = ['service', 'decide', 'message', 'timer', 'end'];
const STEP_KEYS = new Set([...KINDS, 'id', 'name', 'retries', 'headers', 'correlationKey', 'inputs', 'outputs', 'next']);
/** BPMN ids are XML names; a YAML id becomes the element id in every record. */
const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Reads a YAML definition; expected problems come back with their line and column, never thrown. */
export function readYamlProcess(text: string): { process?: YamlProcess; problems: Problem[] } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: Problem[] = [];
  const position = (node: Node | undefined | null) => {
    const found = node?.range ? lineCounter.linePos(node.range[0]) : { line: 1, col: 1 };
    return { line: found.line, column: found.col };
  };
  const at: At = (node, message, elementId) => problems.push({ message, ...position(node), ...(elementId ? { elementId } : {}) });
  const context: ReadContext = {
    at,
    atLine: (line, column, message, elementId) => problems.push({ message, line, column, elementId }),
    position,
  };
  for (const error of document.errors) {
    const found = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
    problems.push({ message: `Invalid YAML: ${firstLine(error.message)}`, line: found.line, column: found.col });
  }
  if (problems.length > 0) return { problems };
  const root = document.contents;
  if (!isMap(root)) {
    at(root, "Expected a YAML mapping with the keys 'process' and 'steps'");
    return { problems };
  }
  for (const pair of root.items) {
    const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
    if (!TOP_LEVEL_KEYS.has(key)) at(pair.key as Node, `Unknown key '${key}'; expected 'process', 'name' and 'steps'`);
  }
  const id = scalarText(root, 'process');
  if (id === undefined || !ID_PATTERN.test(id)) at(root.get('process', true) ?? root, "Expected 'process' to be the process id (letters, digits, '_', '-', '.'; not starting with a digit)");
  const stepsNode = root.get('steps', true) as Node | undefined;
  const steps: YamlStep[] = [];
  if (!isSeq(stepsNode) || stepsNode.items.length === 0) at(stepsNode ?? root, "Expected 'steps' to be a list of at least one step");
  else for (const item of stepsNode.items) {
    const step = readStep(item as Node, context);
    if (step) steps.push(step);
  }
  checkReferences(steps, context);
  if (problems.length > 0 || id === undefined) return { problems };
  return { process: { id, name: scalarText(root, 'name'), steps, line: position(root).line }, problems };
}

type At = (node: Node | undefined | null, message: string, elementId?: string) => void;

/** How the reader reports a problem at a node, and finds a node's line and column. */
interface ReadContext {
  at: At;
  atLine(line: number, column: number, message: string, elementId: string): void;
  position(node: Node): { line: number; column: number };
}

function readStep(node: Node, context: ReadContext): YamlStep | undefined {
  const { at } = context;
  if (!isMap(node)) {
    at(node, 'Expected a step to be a mapping with an id and one of: service, decide, message, timer, end');
    return undefined;
  }
  const id = scalarText(node, 'id');
  if (id === undefined || !ID_PATTERN.test(id)) {
    at(node.get('id', true) ?? node, "Expected the step to have an 'id' (letters, digits, '_', '-', '.'; not starting with a digit)");
    return undefined;
  }
  for (const pair of node.items) {
    const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
    if (!STEP_KEYS.has(key)) at(pair.key as Node, `Unknown key '${key}' in step '${id}'`, id);
  }
  const kinds = KINDS.filter((kind) => node.has(kind));
  if (kinds.length !== 1) {
    at(node, `Expected step '${id}' to have exactly one of: ${KINDS.join(', ')}; it has ${kinds.length === 0 ? 'none' : kinds.join(', ')}`, id);
    return undefined;
  }
  const position = context.position(node);
  const step: YamlStep = {
    id,
    name: scalarText(node, 'name'),
    kind: kinds[0],
    line: position.line,
    column: position.column,
    value: '',
    retries: scalarText(node, 'retries'),
    headers: pairsOf(node, 'headers', id, at),
    correlationKey: scalarText(node, 'correlationKey'),
    inputs: pairsOf(node, 'inputs', id, at),
    outputs: pairsOf(node, 'outputs', id, at),
    next: scalarText(node, 'next'),
    branches: [],
  };
  readKind(node, step, context);
  return step;
}

function readKind(node: YAMLMap, step: YamlStep, context: ReadContext): void {
  const { at } = context;
  const valueNode = node.get(step.kind, true) as Node;
  if (step.kind === 'decide') {
    step.branches = readBranches(valueNode, step.id, context);
    if (step.next !== undefined) at(node.get('next', true) as Node, `Step '${step.id}' decides where to go on; use 'next' in its branches`, step.id);
    return;
  }
  if (step.kind === 'end') {
    if (step.next !== undefined) at(node.get('next', true) as Node, `Step '${step.id}' is an end; it cannot have 'next'`, step.id);
    return;
  }
  if (step.kind === 'timer' && isMap(valueNode)) {
    const kind = valueNode.has('date') ? 'date' : valueNode.has('duration') ? 'duration' : undefined;
    const text = kind ? scalarText(valueNode, kind) : undefined;
    if (!kind || text === undefined || valueNode.items.length !== 1) at(valueNode, `Expected the timer of step '${step.id}' to be a duration, or one of 'duration:' and 'date:'`, step.id);
    step.timerKind = kind ?? 'duration';
    step.value = text ?? '';
    return;
  }
  const text = isScalar(valueNode) && valueNode.value !== null ? String(valueNode.value) : undefined;
  if (text === undefined || text === '') {
    at(valueNode ?? node, `Expected '${step.kind}' of step '${step.id}' to be ${step.kind === 'service' ? 'a job type' : step.kind === 'message' ? 'a message name' : 'an ISO 8601 duration'}`, step.id);
    return;
  }
  step.value = text;
  if (step.kind === 'timer') step.timerKind = 'duration';
  if (step.kind === 'message' && step.correlationKey === undefined) at(node, `Expected message step '${step.id}' to have a 'correlationKey'`, step.id);
}

function readBranches(node: Node, stepId: string, context: ReadContext): YamlBranch[] {
  const { at } = context;
  if (!isSeq(node) || node.items.length === 0) {
    at(node, `Expected 'decide' of step '${stepId}' to be a list of branches ('when' and 'next', or 'otherwise')`, stepId);
    return [];
  }
  const branches: YamlBranch[] = [];
  for (const item of node.items as Node[]) {
    const line = context.position(item).line;
    if (isMap(item) && item.has('otherwise') && item.items.length === 1) {
      const next = scalarText(item, 'otherwise');
      if (next === undefined) at(item, `Expected 'otherwise' in step '${stepId}' to name the step to go on with`, stepId);
      else branches.push({ next, line });
      continue;
    }
    const when = isMap(item) ? scalarText(item, 'when') : undefined;
    const next = isMap(item) ? scalarText(item, 'next') : undefined;
    if (!isMap(item) || when === undefined || next === undefined || item.items.length !== 2) {
      at(item, `Expected a branch of step '${stepId}' to have 'when' (a condition) and 'next' (a step id), or only 'otherwise'`, stepId);
      continue;
    }
    branches.push({ when, next, line });
  }
  if (branches.filter((branch) => branch.when === undefined).length > 1) at(node, `Expected step '${stepId}' to have at most one 'otherwise' branch`, stepId);
  return branches;
}

/** Ids are unique and every 'next' names a step. */
function checkReferences(steps: YamlStep[], context: ReadContext): void {
  const seen = new Map<string, YamlStep>();
  for (const step of steps) {
    if (step.id === 'start') context.atLine(step.line, step.column, "Step id 'start' is taken by the process's start event", step.id);
    const first = seen.get(step.id);
    if (first) context.atLine(step.line, step.column, `Duplicate step id '${step.id}' (first used on line ${first.line})`, step.id);
    seen.set(step.id, step);
  }
  for (const step of steps) {
    for (const target of [step.next, ...step.branches.map((branch) => branch.next)]) {
      if (target !== undefined && !seen.has(target)) context.atLine(step.line, step.column, `Step '${step.id}' goes on with '${target}', but there is no step with that id`, step.id);
    }
  }
}

function pairsOf(node: YAMLMap, key: string, stepId: string, at: At): [string, string][] {
  const value = node.get(key, true) as Node | undefined;
  if (value === undefined) return [];
  if (!isMap(value)) {
    at(value, `Expected '${key}' of step '${stepId}' to be a mapping`, stepId);
    return [];
  }
  return value.items.map((pair) => [String(isScalar(pair.key) ? pair.key.value : pair.key), isScalar(pair.value) ? String(pair.value.value) : '']);
}

function scalarText(node: YAMLMap, key: string): string | undefined {
  const value = node.get(key, true);
  return isScalar(value) && value.value !== null && value.value !== undefined ? String(value.value) : undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}
