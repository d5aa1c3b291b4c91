import type { ExecutableFlowNode, ExecutableProcess } from '../bpmn/index.js';
import type { ProcessInstanceRecordValue, Record } from '../protocol/index.js';
import type { ReadonlyEngineState } from '../state/domain/index.js';
import type { Behaviors } from './behaviors/index.js';
import type { JobStreamRegistry } from './job-streams.js';
import type { ProcessCache } from './process-cache.js';
import type { Writers } from './writers.js';

/** A client waiting for a process instance to complete (CreateProcessInstanceWithResult). */
export interface AwaitingResult {
  requestId: number;
  requestStreamId: number;
  fetchVariables: string[];
}

/** Everything a processor works with: read-only state, the writers, the models and the shared behaviors. */
export interface ProcessingContext {
  readonly partitionId: number;
  readonly state: ReadonlyEngineState;
  readonly writers: Writers;
  readonly processes: ProcessCache;
  readonly jobStreams: JobStreamRegistry;
  /** Requests waiting for results live in memory: a request does not outlive the broker that holds its connection. */
  readonly awaitingResults: Map<bigint, AwaitingResult>;
  readonly behaviors: Behaviors;
  /** How long an idempotency key of a process instance creation is remembered (see IDEMPOTENCY_WINDOW_DEFAULT_MS). */
  readonly idempotencyWindowMs?: number;
  /**
   * Deploy call activities whose static called process is deployed nowhere, as Zeebe does (the call raises an
   * incident when it runs); by default such a deployment is rejected.
   */
  readonly allowUnknownCalledProcess?: boolean;
}

export interface CommandProcessor {
  process(command: Record, context: ProcessingContext): void;
}

/** The element instance a BPMN step works on. */
export interface ElementContext {
  key: bigint;
  value: ProcessInstanceRecordValue;
  element: ExecutableFlowNode;
  process: ExecutableProcess;
  /** Timestamp of the command being processed: the processing's "now". */
  nowMs: number;
}
