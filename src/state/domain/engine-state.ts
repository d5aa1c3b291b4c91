import type { StateStore, TransactionListener } from '../index.js';
import { ElementInstanceState, type ReadonlyElementInstanceState } from './element-instance-state.js';
import { IncidentState, type ReadonlyIncidentState } from './incident-state.js';
import { JobState, type ReadonlyJobState } from './job-state.js';
import { KeyGenerator } from './key-generator.js';
import { ProcessState, type ReadonlyProcessState } from './process-state.js';
import { VariableState, type ReadonlyVariableState } from './variable-state.js';
import { MessageState, type ReadonlyMessageState } from './message-state.js';
import { SubscriptionState, type ReadonlySubscriptionState } from './subscription-state.js';
import { TimerState, type ReadonlyTimerState } from './timer-state.js';
import { EventTriggerState, type ReadonlyEventTriggerState } from './event-trigger-state.js';
import { SignalSubscriptionState, type ReadonlySignalSubscriptionState } from './signal-subscription-state.js';
import { IdempotencyState, type ReadonlyIdempotencyState } from './idempotency-state.js';
import { ExporterPositionState, type ReadonlyExporterPositionState } from './exporter-positions.js';
import { SchemaRegistryState, type ReadonlySchemaRegistryState } from './schema-registry-state.js';
import {
  CompensationSubscriptionState,
  type ReadonlyCompensationSubscriptionState,
} from './compensation-subscription-state.js';
import type { Column } from '../types.js';

/** What processors may see: read-only views, plus the key generator (see KeyGenerator for why). */
export interface ReadonlyEngineState {
  readonly processes: ReadonlyProcessState;
  readonly elementInstances: ReadonlyElementInstanceState;
  readonly variables: ReadonlyVariableState;
  readonly jobs: ReadonlyJobState;
  readonly incidents: ReadonlyIncidentState;
  readonly messages: ReadonlyMessageState;
  readonly subscriptions: ReadonlySubscriptionState;
  readonly timers: ReadonlyTimerState;
  readonly eventTriggers: ReadonlyEventTriggerState;
  readonly signalSubscriptions: ReadonlySignalSubscriptionState;
  readonly compensationSubscriptions: ReadonlyCompensationSubscriptionState;
  readonly idempotency: ReadonlyIdempotencyState;
  readonly exporterPositions: ReadonlyExporterPositionState;
  readonly schemaRegistry: ReadonlySchemaRegistryState;
  readonly keys: KeyGenerator;
  readonly lastProcessedPosition: number;
}

/** Every domain's state of one partition; only event appliers use the mutable views. */
export class EngineState implements ReadonlyEngineState, TransactionListener {
  readonly processes: ProcessState;
  readonly elementInstances: ElementInstanceState;
  readonly variables: VariableState;
  readonly jobs: JobState;
  readonly incidents: IncidentState;
  readonly messages: MessageState;
  readonly subscriptions: SubscriptionState;
  readonly timers: TimerState;
  readonly eventTriggers: EventTriggerState;
  readonly signalSubscriptions: SignalSubscriptionState;
  readonly compensationSubscriptions: CompensationSubscriptionState;
  readonly idempotency: IdempotencyState;
  readonly exporterPositions: ExporterPositionState;
  readonly schemaRegistry: SchemaRegistryState;
  readonly keys: KeyGenerator;
  private readonly meta: Column<[string], number>;
  private processedInTransaction: number | undefined;

  constructor(store: StateStore, partitionId: number) {
    this.processes = new ProcessState(store);
    this.elementInstances = new ElementInstanceState(store);
    this.variables = new VariableState(store);
    this.jobs = new JobState(store);
    this.incidents = new IncidentState(store);
    this.messages = new MessageState(store);
    this.subscriptions = new SubscriptionState(store);
    this.timers = new TimerState(store);
    this.eventTriggers = new EventTriggerState(store);
    this.signalSubscriptions = new SignalSubscriptionState(store);
    this.compensationSubscriptions = new CompensationSubscriptionState(store);
    this.idempotency = new IdempotencyState(store);
    this.exporterPositions = new ExporterPositionState(store);
    this.schemaRegistry = new SchemaRegistryState(store);
    this.keys = new KeyGenerator(store, partitionId);
    this.meta = store.column('processing-meta', 1);
    store.addTransactionListener(this);
  }

  /** Position of the last command processed; commands after it in the log still wait for processing. */
  get lastProcessedPosition(): number {
    return this.processedInTransaction ?? this.meta.get('lastProcessedPosition') ?? 0;
  }

  /** Kept here while the transaction runs (every command of a batch moves it) and written as it commits. */
  markProcessed(position: number): void {
    if (position > this.lastProcessedPosition) this.processedInTransaction = position;
  }

  beforeCommit(): void {
    if (this.processedInTransaction === undefined) return;
    this.meta.put(['lastProcessedPosition'], this.processedInTransaction);
    this.processedInTransaction = undefined;
  }

  afterRollback(): void {
    this.processedInTransaction = undefined;
  }
}
