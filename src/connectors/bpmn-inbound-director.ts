import { declaredInboundConnectors, type DeclaredConnector } from './bpmn-inbound.js';
import type { ConfigProblem } from './connectors-config.js';
import type { ConnectorsRunner } from './connectors-runner.js';
import type { InboundKafkaRecord, KafkaRecordConsumer } from './kafka-consumer.js';

export type BpmnInboundEvent =
  | { kind: 'bpmn-connector-opened'; connector: string; topic: string; bpmnProcessId: string; version: number }
  | { kind: 'bpmn-connector-closed'; connector: string; bpmnProcessId: string; version: number; reason: string }
  | { kind: 'bpmn-declaration-invalid'; bpmnProcessId: string; version: number; problems: ConfigProblem[] };

interface LatestProcess {
  version: number;
  connectors: Map<string, DeclaredConnector>;
}

/** A PROCESS record as the Kafka exporter writes it in JSON (Zeebe's exported shape, bytes as base64). */
interface ExportedProcessRecord {
  recordType?: string;
  valueType?: string;
  intent?: string;
  value?: { bpmnProcessId?: string; version?: number; tenantId?: string; resource?: string };
}

/**
 * Keeps the BPMN-declared inbound connectors in step with the deployed processes: reads the PROCESS records the
 * broker's Kafka exporter mirrors (from the beginning, so every start sees every deployment), and for the latest
 * version of each process opens the connectors its message events declare and closes those the version dropped.
 * A deleted latest version closes its connectors.
 */
export class BpmnInboundDirector {
  private readonly latest = new Map<string, LatestProcess>();

  constructor(
    private readonly processes: KafkaRecordConsumer,
    private readonly runner: ConnectorsRunner,
    private readonly onEvent: (event: BpmnInboundEvent) => void,
  ) {}

  async start(): Promise<void> {
    await this.processes.start((record) => this.onProcessRecord(record));
  }

  async close(): Promise<void> {
    await this.processes.close();
  }

  async onProcessRecord(record: InboundKafkaRecord): Promise<void> {
    let exported: ExportedProcessRecord;
    try {
      exported = JSON.parse(record.value?.toString('utf8') ?? 'null') as ExportedProcessRecord;
    } catch {
      return; // Not a JSON record of the exporter (an Avro-format exporter writes none that we can read).
    }
    const value = exported?.value;
    if (exported?.recordType !== 'EVENT' || exported.valueType !== 'PROCESS' || value?.bpmnProcessId === undefined || value.version === undefined) return;
    const key = `${value.tenantId ?? ''}/${value.bpmnProcessId}`;
    const known = this.latest.get(key);
    if (exported.intent === 'DELETED' && known?.version === value.version) {
      await this.reconcile(key, value.bpmnProcessId, value.version, [], 'its process version was deleted');
      return;
    }
    if (exported.intent !== 'CREATED' || (known !== undefined && known.version >= value.version)) return;
    const declared = declaredInboundConnectors(Buffer.from(value.resource ?? '', 'base64'), value.bpmnProcessId);
    if (declared.problems.length > 0) this.onEvent({ kind: 'bpmn-declaration-invalid', bpmnProcessId: value.bpmnProcessId, version: value.version, problems: declared.problems });
    await this.reconcile(key, value.bpmnProcessId, value.version, declared.connectors, `version ${value.version} of ${value.bpmnProcessId} does not declare it`);
  }

  private async reconcile(key: string, bpmnProcessId: string, version: number, declared: DeclaredConnector[], closeReason: string): Promise<void> {
    const previous = this.latest.get(key)?.connectors ?? new Map<string, DeclaredConnector>();
    const next = new Map(declared.map((connector) => [connector.config.name, connector]));
    this.latest.set(key, { version, connectors: next });
    for (const [name, connector] of previous) {
      if (next.get(name)?.signature === connector.signature) continue;
      await this.runner.closeConnector(name);
      if (!next.has(name)) this.onEvent({ kind: 'bpmn-connector-closed', connector: name, bpmnProcessId, version, reason: closeReason });
    }
    for (const [name, connector] of next) {
      if (previous.get(name)?.signature === connector.signature) continue;
      await this.runner.open(connector.config);
      this.onEvent({ kind: 'bpmn-connector-opened', connector: name, topic: connector.config.topic, bpmnProcessId, version });
    }
  }
}
