import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs, { type Consumer, type KafkaMessage } from 'kafkajs';
import { REPOSITORY_ROOT } from '../support/global-setup.js';

const { Kafka, logLevel } = kafkajs;

/** The first start may download Kafka's jars from Maven Central (about 45 MB); later starts take seconds. */
export const KAFKA_START_TIMEOUT_MS = 240_000;
const KAFKA_SCRIPT = join(REPOSITORY_ROOT, 'scripts', 'kafka.sh');

/**
 * A real Apache Kafka broker (single KRaft node on 127.0.0.1), started and stopped through scripts/kafka.sh. A test
 * that cannot start it fails with the script's reason: Kafka tests are never skipped.
 */
export class KafkaProcess {
  private constructor(
    readonly directory: string,
    public bootstrap: string,
  ) {}

  static async start(): Promise<KafkaProcess> {
    const directory = mkdtempSync(join(tmpdir(), 'tributary-kafka-'));
    try {
      return new KafkaProcess(directory, await runScript('start', directory));
    } catch (error) {
      await runScript('stop', directory).catch(() => undefined);
      rmSync(directory, { recursive: true, force: true });
      throw error;
    }
  }

  /** Stops Kafka, keeping its data and ports, as when Kafka goes down. */
  async stop(): Promise<void> {
    await runScript('stop', this.directory);
  }

  /** Starts Kafka again on the same data and port. */
  async restart(): Promise<void> {
    this.bootstrap = await runScript('start', this.directory);
  }

  async dispose(): Promise<void> {
    await runScript('stop', this.directory).catch(() => undefined);
    rmSync(this.directory, { recursive: true, force: true });
  }

  /** The tail of Kafka's own log, for failure messages. */
  logTail(): string {
    try {
      return readFileSync(join(this.directory, 'kafka.log'), 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      return '(no Kafka log)';
    }
  }
}

function runScript(command: 'start' | 'stop', directory: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [KAFKA_SCRIPT, command, directory], { timeout: KAFKA_START_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`Expected \`scripts/kafka.sh ${command} ${directory}\` to succeed, but it failed (${error.message.split('\n')[0]}):\n${stderr}`));
        return;
      }
      resolve(stdout.trim());
    });
  });
}

export interface ConsumedMessage {
  topic: string;
  partition: number;
  key: string;
  value: Buffer;
  headers: { [name: string]: string };
}

/**
 * Reads every message of the topics whose names start with the prefix, from the beginning, until `done` says it has
 * enough (or the timeout passes, which fails). A fresh consumer group each time, so each call sees everything.
 */
export async function consumeTopics(
  bootstrap: string,
  topicPrefix: string,
  done: (messages: readonly ConsumedMessage[]) => boolean,
  timeoutMs = 30_000,
): Promise<ConsumedMessage[]> {
  const kafka = new Kafka({ clientId: 'tributary-test', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`${topicPrefix}-`));
  await admin.disconnect();
  const consumer: Consumer = kafka.consumer({ groupId: `test-${topicPrefix}-${Date.now()}-${Math.random()}` });
  const messages: ConsumedMessage[] = [];
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        messages.push({ topic, partition, key: message.key?.toString() ?? '', value: message.value ?? Buffer.alloc(0), headers: headersOf(message) });
        if (done(messages)) finish();
      },
    });
    const timer = setTimeout(finish, timeoutMs);
    await finished;
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
  }
  if (!done(messages)) throw new Error(`Expected to consume the whole stream from topics [${topics.join(', ')}] within ${timeoutMs} ms, but got ${messages.length} messages`);
  return messages;
}

function headersOf(message: KafkaMessage): { [name: string]: string } {
  const headers: { [name: string]: string } = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
  return headers;
}
