// A real Apache Kafka broker (single-node KRaft on 127.0.0.1) and its own producer benchmark, run from the jars that
// bench/kafka/pom.xml lists. The jars are fetched once into bench/kafka/lib (git-ignored) and reused.

import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchDirectory } from './paths.mjs';
import { cpuSeconds, freePort, runToCompletion, sleep, startProcess, stopProcess } from './processes.mjs';
import { say } from './say.mjs';

const KAFKA_DIRECTORY = join(benchDirectory, 'kafka');
const LIB_DIRECTORY = join(KAFKA_DIRECTORY, 'lib');
// Written after a complete copy, so an interrupted download is redone rather than half used.
const COMPLETE_MARKER = join(LIB_DIRECTORY, '.complete');
const CLASSPATH = `${LIB_DIRECTORY}/*`;
// Quiet tools: their summary goes to stdout, and SLF4J's simple logger writes to stderr.
const JAVA_OPTIONS = ['-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', CLASSPATH];

export async function fetchKafkaJars() {
  if (existsSync(COMPLETE_MARKER)) return;
  say('fetching the Kafka jars from Maven Central (once)');
  await runToCompletion('mvn', ['-q', '-B', 'dependency:copy-dependencies', '-DoutputDirectory=lib', '-DincludeScope=runtime'], { cwd: KAFKA_DIRECTORY });
  writeFileSync(COMPLETE_MARKER, '');
}

export function kafkaVersion() {
  return /<kafka.version>([^<]+)</.exec(readFileSync(join(KAFKA_DIRECTORY, 'pom.xml'), 'utf8'))[1];
}

/** Formats storage in directory and starts a combined broker and controller; resolves once it serves. */
export async function startKafka(directory) {
  const port = await freePort();
  const controllerPort = await freePort();
  const properties = join(directory, 'server.properties');
  writeFileSync(
    properties,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${join(directory, 'data')}`,
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      '',
    ].join('\n'),
  );
  // A cluster id is 16 random bytes in URL-safe base64, what `kafka-storage random-uuid` prints.
  const clusterId = randomBytes(16).toString('base64url');
  await runToCompletion('java', [...JAVA_OPTIONS, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties]);
  const logFile = join(directory, 'kafka.log');
  // Info level here, to find the line that says it started; a fixed heap, so memory is not a variable.
  const child = startProcess('java', ['-Xms1g', '-Xmx1g', '-Dorg.slf4j.simpleLogger.defaultLogLevel=info', '-cp', CLASSPATH, 'kafka.Kafka', properties], { logFile });
  const deadline = performance.now() + 120_000;
  while (!readFileSync(logFile, 'utf8').includes('Kafka Server started')) {
    if (child.exitCode !== null || performance.now() > deadline) throw new Error(`Kafka did not start; see ${logFile}`);
    await sleep(100);
  }
  return { process: child, pid: child.pid, bootstrap: `127.0.0.1:${port}` };
}

export function stopKafka(kafka) {
  return stopProcess(kafka.process);
}

/** Creates a one-partition topic; topicConfig such as { 'flush.messages': 1 }. */
export async function createTopic(kafka, topic, topicConfig = {}) {
  const configs = Object.entries(topicConfig).flatMap(([name, value]) => ['--config', `${name}=${value}`]);
  const args = ['--bootstrap-server', kafka.bootstrap, '--create', '--topic', topic, '--partitions', '1', '--replication-factor', '1', ...configs];
  await runToCompletion('java', [...JAVA_OPTIONS, 'org.apache.kafka.tools.TopicCommand', ...args]);
}

/**
 * Runs kafka-producer-perf-test (ProducerPerformance) against topic and returns its steady-state records/s (the
 * records after warmupRecords, so the JVM's warm-up is not counted), plus the CPU time of the tool and of the broker.
 */
export async function producerPerformance(kafka, { topic, records, warmupRecords, recordBytes, producerProperties }) {
  const properties = Object.entries({ 'bootstrap.servers': kafka.bootstrap, ...producerProperties }).map(([name, value]) => `${name}=${value}`);
  const args = ['--topic', topic, '--num-records', String(records + warmupRecords), '--warmup-records', String(warmupRecords)];
  args.push('--record-size', String(recordBytes), '--throughput', '-1', '--command-property', ...properties);
  const brokerCpuBefore = cpuSeconds(kafka.pid);
  const { stdout, cpuSeconds: producerCpuSeconds } = await runToCompletion('java', [...JAVA_OPTIONS, 'org.apache.kafka.tools.ProducerPerformance', ...args]);
  const steadyState = /steady state records sent, ([\d.]+) records\/sec.*?, ([\d.]+) ms avg latency.*?(\d+) ms 99th/.exec(stdout);
  if (!steadyState) throw new Error(`Unexpected ProducerPerformance output:\n${stdout}`);
  return {
    recordsPerS: Number(steadyState[1]),
    averageLatencyMs: Number(steadyState[2]),
    p99LatencyMs: Number(steadyState[3]),
    producerCpuSeconds,
    brokerCpuSeconds: cpuSeconds(kafka.pid) - brokerCpuBefore,
  };
}
