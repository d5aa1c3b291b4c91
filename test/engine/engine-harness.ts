import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DueTimerCommands, Engine, RoundRobinJobStreams, type ProcessingResult } from '../../src/engine/index.js';
import {
  BROKER_VERSION,
  type Intent,
  type Record,
  type RecordValue,
  type ValueType,
} from '../../src/protocol/index.js';
import { StateStore } from '../../src/state/index.js';
import { tempDir } from '../support/temp-dir.js';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'bpmn');

/**
 * Drives an engine on real RocksDB state without a log: writes commands, keeps every record written, and lets a
 * test move the clock. Scenario tests assert on the record stream, as a user of the exported stream would see it.
 */
export class EngineHarness {
  readonly records: Record[] = [];
  readonly responses: ProcessingResult['responses'] = [];
  readonly sideEffects: ProcessingResult['sideEffects'] = [];
  readonly jobStreams = new RoundRobinJobStreams();
  nowMs = 1_700_000_000_000;
  private nextPosition = 1;
  private nextRequestId = 1;

  private constructor(
    readonly store: StateStore,
    readonly engine: Engine,
    private readonly directory: string,
    private readonly cleanup: () => void,
    readonly partitionId: number,
    private readonly partitionCount: number | undefined,
    private readonly allowUnknownCalledProcess: boolean | undefined,
  ) {}

  /**
   * An engine of partition 1 of a one-partition cluster, unless a test models more partitions; with
   * allowUnknownCalledProcess it deploys call activities of processes deployed nowhere, as Zeebe does.
   */
  static async create(options: { partitionId?: number; partitionCount?: number; allowUnknownCalledProcess?: boolean } = {}): Promise<EngineHarness> {
    const dir = tempDir('tributary-engine-');
    const store = await StateStore.open({ directory: dir.path });
    const partitionId = options.partitionId ?? 1;
    const harness = new EngineHarness(store, undefined as unknown as Engine, dir.path, dir.remove, partitionId, options.partitionCount, options.allowUnknownCalledProcess);
    (harness as { engine: Engine }).engine = harness.newEngine(store);
    return harness;
  }

  /** Persists, closes and opens the state again from its directory with a new engine: a clean restart, no replay. */
  async reopen(): Promise<void> {
    await this.store.persist(this.store.position);
    await this.store.close();
    const store = await StateStore.open({ directory: this.directory });
    (this as { store: StateStore }).store = store;
    (this as { engine: Engine }).engine = this.newEngine(store);
  }

  private newEngine(store: StateStore): Engine {
    return new Engine({
      partitionId: this.partitionId,
      partitionCount: this.partitionCount,
      store,
      jobStreams: this.jobStreams,
      allowUnknownCalledProcess: this.allowUnknownCalledProcess,
    });
  }

  async close(): Promise<void> {
    await this.store.close();
    this.cleanup();
  }

  /** Writes a command as a client would and processes it with its follow-ups; returns the response record. */
  write(valueType: ValueType, intent: Intent, value: object, key = -1n): Record | undefined {
    const requestId = this.nextRequestId++;
    const command: Record = {
      partitionId: this.partitionId,
      position: this.nextPosition,
      sourceRecordPosition: -1,
      key,
      timestamp: this.nowMs,
      recordType: 'COMMAND',
      valueType,
      intent,
      rejectionType: 'NULL_VAL',
      rejectionReason: '',
      brokerVersion: BROKER_VERSION,
      value: value as RecordValue,
      requestId,
      requestStreamId: 0,
    };
    let result = this.engine.processCommand(command, { isNew: true, nextPosition: this.nextPosition + 1 });
    this.take(result);
    while (result.leftoverCommands.length > 0) {
      for (const leftover of result.leftoverCommands) {
        result = this.engine.processCommand(leftover, { isNew: false, nextPosition: this.nextPosition });
        this.take(result);
      }
    }
    return this.responses.find((response) => response.requestId === requestId)?.record;
  }

  deploy(...fixtureNames: string[]): Record | undefined {
    const resources = fixtureNames.map((name) => ({ resourceName: name, resource: readFileSync(join(FIXTURES, name)) }));
    return this.write('DEPLOYMENT', 'CREATE', { resources, tenantId: '<default>' });
  }

  deployXml(resourceName: string, xml: string): Record | undefined {
    return this.write('DEPLOYMENT', 'CREATE', { resources: [{ resourceName, resource: Buffer.from(xml) }], tenantId: '<default>' });
  }

  createInstance(bpmnProcessId: string, variables: object = {}): bigint {
    const response = this.write('PROCESS_INSTANCE_CREATION', 'CREATE', { bpmnProcessId, version: -1, variables, tenantId: '<default>' });
    if (!response || response.recordType !== 'EVENT') throw new Error(`create failed: ${response?.rejectionReason}`);
    return response.key;
  }

  publishMessage(name: string, correlationKey: string, options: { variables?: object; timeToLive?: number; messageId?: string } = {}): Record | undefined {
    return this.write('MESSAGE', 'PUBLISH', {
      name,
      correlationKey,
      timeToLive: options.timeToLive ?? 0,
      messageId: options.messageId ?? '',
      variables: options.variables ?? {},
      deadline: -1,
      tenantId: '<default>',
    });
  }

  /** Moves the clock on and writes what a partition's due-date checker would: TIMER TRIGGER and MESSAGE EXPIRE. */
  advanceTime(milliseconds: number): void {
    this.nowMs += milliseconds;
    const checker = new DueTimerCommands(this.engine.state.timers, this.engine.state.messages);
    for (const due of checker.collect(this.nowMs)) this.write(due.valueType, due.intent, {}, due.key);
  }

  /** The key of the active element instance with this element id, in an instance. */
  elementInstanceKey(processInstanceKey: bigint, elementId: string): bigint {
    const activated = this.records.filter(
      (record) =>
        record.valueType === 'PROCESS_INSTANCE' &&
        record.intent === 'ELEMENT_ACTIVATED' &&
        (record.value as any).processInstanceKey === processInstanceKey &&
        (record.value as any).elementId === elementId,
    );
    const last = activated[activated.length - 1];
    if (!last) throw new Error(`no activated element '${elementId}'`);
    return last.key;
  }

  activateJobs(type: string, maxJobsToActivate = 10, timeout = 60_000): Record {
    return this.write('JOB_BATCH', 'ACTIVATE', { type, worker: 'test', timeout, maxJobsToActivate, variables: [], tenantIds: [] })!;
  }

  /** Records of one instance with a value type and intent, in order. */
  find(valueType: ValueType, intent?: Intent, predicate: (value: any) => boolean = () => true): Record<any>[] {
    return this.records.filter(
      (record) => record.valueType === valueType && record.recordType !== 'COMMAND' && (!intent || record.intent === intent) && predicate(record.value),
    );
  }

  /** The sequence of `elementId:intent` of PROCESS_INSTANCE events, to assert on an instance's path. */
  elementEvents(processInstanceKey: bigint): string[] {
    return this.records
      .filter((record) => record.valueType === 'PROCESS_INSTANCE' && record.recordType === 'EVENT')
      .filter((record) => (record.value as any).processInstanceKey === processInstanceKey)
      .map((record) => `${(record.value as any).elementId}:${record.intent}`);
  }

  private take(result: ProcessingResult): void {
    this.records.push(...result.records);
    this.responses.push(...result.responses);
    this.sideEffects.push(...result.sideEffects);
    if (result.records.length > 0) {
      const last = result.records[result.records.length - 1].position;
      this.nextPosition = last + 1;
    }
  }
}
