import type { KafkaMessage } from '../exporters/kafka/kafka-producer.js';
import type { OutboundConnectorConfig } from './connectors-config.js';

/**
 * The outbound connector: a built-in job worker for service tasks of type `io.tributary:kafka-publish:1`. Each job
 * names a record (topic, key, value, headers) through its variables (input mappings) or its custom headers
 * (zeebe:taskHeaders); the record is produced with acks=all and the job is completed with where it landed. A job
 * that names no usable record, or whose record Kafka refuses, is failed with the reason, so the engine's retries
 * and incidents apply.
 */

/** An activated job as the outbound connector needs it. */
export interface OutboundJob {
  key: string;
  processInstanceKey: string;
  elementId: string;
  retries: number;
  variables: { [name: string]: unknown };
  customHeaders: { [name: string]: string };
}

/** Where Kafka stored a produced record. */
export interface PublishedRecord {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit: kept as decimal text. */
  offset: string;
  /** Milliseconds since the epoch: Kafka's log-append time, or the record's create time. */
  timestamp: number;
}

/** Produces one record and resolves once Kafka acknowledged it (acks=all). */
export interface RecordPublisher {
  publish(message: KafkaMessage): Promise<PublishedRecord>;
  close(): Promise<void>;
}

/** The job side of the gateway: long-poll activation, completion and failure. */
export interface OutboundJobClient {
  activate(request: { type: string; worker: string; maxJobsToActivate: number; timeoutMs: number; pollTimeoutMs: number }): Promise<OutboundJob[]>;
  complete(jobKey: string, variables: object): Promise<void>;
  fail(jobKey: string, retries: number, errorMessage: string): Promise<void>;
}

export type OutboundEvent =
  | { kind: 'published'; jobKey: string; processInstanceKey: string; record: PublishedRecord }
  | { kind: 'job-failed'; jobKey: string; processInstanceKey: string; retriesLeft: number; reason: string }
  | { kind: 'activation-failed'; reason: string };

export interface OutboundConnectorDependencies {
  jobs: OutboundJobClient;
  publisher: RecordPublisher;
  /** Encodes a value with the latest schema of the subject, in the Confluent wire format (for `avroSubject`). */
  encodeAvro?: (subject: string, value: unknown) => Promise<Buffer>;
  onEvent: (event: OutboundEvent) => void;
  sleep: (ms: number) => Promise<void>;
}

/** The worker name recorded on the jobs it activates. */
export const OUTBOUND_WORKER_NAME = 'tributary-kafka-publish';
/** Long polling: how long one activation request waits for jobs; it also bounds how long close() waits. */
const ACTIVATION_POLL_TIMEOUT_MS = 5_000;
/** Pause after a failed activation (gateway not reachable yet, shutting down) before asking again. */
const ACTIVATION_RETRY_DELAY_MS = 1_000;

export class OutboundConnector {
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly config: OutboundConnectorConfig,
    private readonly dependencies: OutboundConnectorDependencies,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops asking for jobs and waits for the jobs in hand; jobs not yet activated stay with the engine. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.dependencies.publisher.close();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let jobs: OutboundJob[];
      try {
        jobs = await this.dependencies.jobs.activate({
          type: this.config.jobType,
          worker: OUTBOUND_WORKER_NAME,
          maxJobsToActivate: this.config.maxJobsToActivate,
          timeoutMs: this.config.jobTimeoutMs,
          pollTimeoutMs: ACTIVATION_POLL_TIMEOUT_MS,
        });
      } catch (error) {
        if (!this.stopped) this.dependencies.onEvent({ kind: 'activation-failed', reason: (error as Error).message });
        if (!this.stopped) await this.dependencies.sleep(ACTIVATION_RETRY_DELAY_MS);
        continue;
      }
      await Promise.all(jobs.map((job) => this.handle(job)));
    }
  }

  /** Publishes the job's record and completes the job, or fails it with the reason; never throws. */
  async handle(job: OutboundJob): Promise<void> {
    const request = publishRequestOf(job);
    if ('problem' in request) return this.fail(job, request.problem);
    if (request.avroSubject !== undefined) {
      const encoded = await this.encodeAvro(request.avroSubject, request.value);
      if ('problem' in encoded) return this.fail(job, encoded.problem);
      request.message.value = encoded.value;
    }
    let published: PublishedRecord;
    try {
      published = await this.dependencies.publisher.publish(request.message);
    } catch (error) {
      return this.fail(job, `Expected Kafka to acknowledge the record for topic '${request.message.topic}', but ${(error as Error).message}`);
    }
    const result = { topic: published.topic, partition: published.partition, offset: published.offset, timestamp: published.timestamp };
    try {
      await this.dependencies.jobs.complete(job.key, request.resultVariable === undefined ? result : { [request.resultVariable]: result });
      this.dependencies.onEvent({ kind: 'published', jobKey: job.key, processInstanceKey: job.processInstanceKey, record: published });
    } catch (error) {
      // The record is in Kafka but the job stays open: it times out and is published again (at least once).
      this.dependencies.onEvent({ kind: 'job-failed', jobKey: job.key, processInstanceKey: job.processInstanceKey, retriesLeft: job.retries, reason: `completing the job failed: ${(error as Error).message}` });
    }
  }

  private async encodeAvro(subject: string, value: unknown): Promise<{ value: Buffer } | { problem: string }> {
    if (this.dependencies.encodeAvro === undefined) return { problem: `Expected kafka.schemaRegistryUrl to be set to encode the value with Avro subject '${subject}', but it is not` };
    try {
      return { value: await this.dependencies.encodeAvro(subject, value) };
    } catch (error) {
      return { problem: `Expected the value to be encodable with the latest schema of Avro subject '${subject}', but ${(error as Error).message}` };
    }
  }

  private async fail(job: OutboundJob, reason: string): Promise<void> {
    const retriesLeft = Math.max(job.retries - 1, 0);
    this.dependencies.onEvent({ kind: 'job-failed', jobKey: job.key, processInstanceKey: job.processInstanceKey, retriesLeft, reason });
    await this.dependencies.jobs.fail(job.key, retriesLeft, reason).catch(() => undefined);
  }
}

type PublishRequest = { message: KafkaMessage; value: unknown; avroSubject?: string; resultVariable?: string } | { problem: string };

/**
 * The record a job asks for. Each field is read from the job's variables first (input mappings), then from its
 * custom headers: `topic` (required), `key`, `value` (required; text as it is, anything else as JSON),
 * `headers` (a context of names to values; JSON text in a custom header), `avroSubject` (encode the value with the
 * subject's latest schema instead), and `resultVariable` (custom header only).
 */
export function publishRequestOf(job: OutboundJob): PublishRequest {
  const field = (name: string): unknown => (job.variables[name] !== undefined ? job.variables[name] : job.customHeaders[name]);
  const topic = field('topic');
  if (typeof topic !== 'string' || topic.trim() === '') return { problem: `Expected a 'topic' variable or task header naming a Kafka topic, but found ${JSON.stringify(topic ?? null)}` };
  const value = field('value');
  if (value === undefined || value === null) return { problem: `Expected a 'value' variable or task header with the record's value, but found none` };
  const key = field('key');
  const headers = headersOf(job.variables.headers !== undefined ? job.variables.headers : job.customHeaders.headers);
  if ('problem' in headers) return headers;
  const resultVariable = job.customHeaders.resultVariable || undefined;
  const avroSubject = field('avroSubject');
  if (avroSubject !== undefined && (typeof avroSubject !== 'string' || avroSubject === '')) return { problem: `Expected 'avroSubject' to name a schema registry subject, but found ${JSON.stringify(avroSubject)}` };
  return {
    message: { topic, key: Buffer.from(key === undefined || key === null ? '' : textOf(key)), value: Buffer.from(textOf(value)), headers: headers.headers },
    value,
    avroSubject,
    resultVariable,
  };
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function headersOf(value: unknown): { headers: { [name: string]: string } } | { problem: string } {
  if (value === undefined || value === null) return { headers: {} };
  let context = value;
  if (typeof value === 'string') {
    try {
      context = JSON.parse(value);
    } catch {
      return { problem: `Expected 'headers' to be a context of header names to values, but found the text ${JSON.stringify(value)}` };
    }
  }
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    return { problem: `Expected 'headers' to be a context of header names to values, but found ${JSON.stringify(context)}` };
  }
  const headers: { [name: string]: string } = {};
  for (const [name, item] of Object.entries(context)) headers[name] = textOf(item);
  return { headers };
}
