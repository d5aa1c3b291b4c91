import type { KafkaProducer } from '../exporters/kafka/kafka-producer.js';
import { GRPC_ALREADY_EXISTS, RETRIABLE_GRPC_CODES, type CommandGateway, type DeliveryReceipt, type GatewayFailure } from './command-gateway.js';
import type { InboundConnectorConfig } from './connectors-config.js';
import { commandForRecord, type InboundCommand } from './inbound-command.js';
import type { InboundKafkaRecord } from './kafka-consumer.js';

/** Headers a dead-lettered record carries besides its own. */
export const DEAD_LETTER_HEADERS = {
  reason: 'tributary-dead-letter-reason',
  cause: 'tributary-dead-letter-cause',
  connector: 'tributary-dead-letter-connector',
  topic: 'tributary-dead-letter-topic',
  partition: 'tributary-dead-letter-partition',
  offset: 'tributary-dead-letter-offset',
} as const;

/** Why a record went to the dead-letter topic: unusable, its condition false, or the engine refused the command. */
export type DeadLetterCause = 'invalid' | 'unmatched' | 'undeliverable';

export type ConnectorEvent =
  | { kind: 'delivered'; connector: string; record: string; command: InboundCommand; receipt: DeliveryReceipt }
  | { kind: 'duplicate'; connector: string; record: string; messageId: string }
  | { kind: 'dead-lettered'; connector: string; record: string; cause: DeadLetterCause; reason: string; deadLetterTopic: string | undefined }
  | { kind: 'backing-off'; connector: string; record: string; delayMs: number; reason: string };

export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
}

export const BACKOFF_DEFAULT: BackoffOptions = { initialDelayMs: 100, maxDelayMs: 10_000 };

export interface InboundConnectorDependencies {
  gateway: CommandGateway;
  /** Where dead letters are produced (acks=all). */
  deadLetters: KafkaProducer;
  sleep: (ms: number) => Promise<void>;
  onEvent: (event: ConnectorEvent) => void;
  backoff?: BackoffOptions;
  /** Decodes a value in the Confluent wire format through the schema registry (for `format: avro`). */
  decodeAvro?: (value: Buffer) => Promise<unknown>;
}

export class ConnectorStoppedError extends Error {
  constructor(connector: string) {
    super(`Expected connector '${connector}' to be running, but it was stopped; the record stays uncommitted`);
  }
}

/**
 * One inbound connector: handles the records of its topic one at a time. The returned promise resolves only once
 * the record is settled (the gateway acknowledged its command, or it is in the dead-letter topic), and the consumer
 * commits its offset only then. While the engine answers RESOURCE_EXHAUSTED or is unavailable, the same command is
 * sent again after a growing delay, which holds the partition back instead of dropping records.
 */
export class InboundConnector {
  private stopped = false;
  private readonly backoff: BackoffOptions;

  constructor(
    readonly config: InboundConnectorConfig,
    private readonly dependencies: InboundConnectorDependencies,
  ) {
    this.backoff = dependencies.backoff ?? BACKOFF_DEFAULT;
  }

  /** Stops retrying: a record in back-off rejects with ConnectorStoppedError and is not committed. */
  stop(): void {
    this.stopped = true;
  }

  async handle(record: InboundKafkaRecord): Promise<void> {
    let decoded: { value: unknown } | undefined;
    if (this.config.format === 'avro') {
      const avro = await this.decodeAvro(record);
      if ('reason' in avro) return this.deadLetter(record, 'invalid', avro.reason);
      decoded = avro;
    }
    const outcome = commandForRecord(this.config, record, decoded);
    if (outcome.kind === 'rejected') return this.deadLetter(record, 'invalid', outcome.reason);
    if (outcome.kind === 'skipped') return this.deadLetter(record, 'unmatched', outcome.reason);
    await this.deliver(record, outcome.command);
  }

  /** The Avro value as plain JSON-like data (FEEL sees contexts, not avsc's record classes), or why it is unusable. */
  private async decodeAvro(record: InboundKafkaRecord): Promise<{ value: unknown } | { reason: string }> {
    if (record.value === null) return { value: null };
    const decode = this.dependencies.decodeAvro;
    if (decode === undefined) return { reason: 'Expected a schema registry to decode Avro values, but none is configured' };
    try {
      const value: unknown = await decode(record.value);
      return { value: JSON.parse(JSON.stringify(value ?? null, (_name, item: unknown) => (typeof item === 'bigint' ? Number(item) : item))) };
    } catch (error) {
      return { reason: `Expected the record value to be Avro in the Confluent wire format with a schema in the registry, but ${(error as Error).message}` };
    }
  }

  private async deliver(record: InboundKafkaRecord, command: InboundCommand): Promise<void> {
    let delayMs = this.backoff.initialDelayMs;
    while (true) {
      this.requireRunning();
      try {
        const receipt = (await this.dependencies.gateway.send(command)) ?? {};
        this.emit({ kind: 'delivered', connector: this.config.name, record: describe(record), command, receipt });
        return;
      } catch (error) {
        const failure = error as GatewayFailure;
        const reason = failureReason(failure);
        if (failure.code === GRPC_ALREADY_EXISTS && command.kind === 'publish-message') {
          // The message with this id was published before (a replayed record): publishing it is done.
          this.emit({ kind: 'duplicate', connector: this.config.name, record: describe(record), messageId: command.messageId });
          return;
        }
        if (failure.code === undefined || !RETRIABLE_GRPC_CODES.has(failure.code)) return this.deadLetter(record, 'undeliverable', reason);
        this.emit({ kind: 'backing-off', connector: this.config.name, record: describe(record), delayMs, reason });
        await this.dependencies.sleep(delayMs);
        delayMs = Math.min(delayMs * 2, this.backoff.maxDelayMs);
      }
    }
  }

  private async deadLetter(record: InboundKafkaRecord, cause: DeadLetterCause, reason: string): Promise<void> {
    const topic = this.config.deadLetterTopic;
    this.emit({ kind: 'dead-lettered', connector: this.config.name, record: describe(record), cause, reason, deadLetterTopic: topic });
    if (topic === undefined) return;
    const headers = {
      ...record.headers,
      [DEAD_LETTER_HEADERS.reason]: reason,
      [DEAD_LETTER_HEADERS.cause]: cause,
      [DEAD_LETTER_HEADERS.connector]: this.config.name,
      [DEAD_LETTER_HEADERS.topic]: record.topic,
      [DEAD_LETTER_HEADERS.partition]: String(record.partition),
      [DEAD_LETTER_HEADERS.offset]: record.offset,
    };
    const message = { topic, key: record.key ?? Buffer.alloc(0), value: record.value ?? Buffer.alloc(0), headers };
    let delayMs = this.backoff.initialDelayMs;
    while (true) {
      this.requireRunning();
      try {
        await this.dependencies.deadLetters.send([message]);
        return;
      } catch (error) {
        // Committing without the dead letter would lose the record: hold the partition until Kafka takes it.
        this.emit({ kind: 'backing-off', connector: this.config.name, record: describe(record), delayMs, reason: `dead-letter topic ${topic}: ${(error as Error).message}` });
        await this.dependencies.sleep(delayMs);
        delayMs = Math.min(delayMs * 2, this.backoff.maxDelayMs);
      }
    }
  }

  private requireRunning(): void {
    if (this.stopped) throw new ConnectorStoppedError(this.config.name);
  }

  private emit(event: ConnectorEvent): void {
    this.dependencies.onEvent(event);
  }
}

function describe(record: InboundKafkaRecord): string {
  return `${record.topic}-${record.partition}-${record.offset}`;
}

function failureReason(failure: GatewayFailure): string {
  const code = failure.code === undefined ? '' : `${GRPC_CODE_NAMES[failure.code] ?? `gRPC status ${failure.code}`}: `;
  return `${code}${failure.details || failure.message || String(failure)}`;
}

const GRPC_CODE_NAMES: { [code: number]: string } = {
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
};
