import { createServer, type Server } from 'node:http';
import { Command } from 'commander';
import { MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from '../broker/metrics.js';
import {
  ConnectorsService,
  loadConnectorsConfig,
  type ConnectorMetricsRegistry,
  type ConnectorsConfig,
  type ConnectorsEvent,
} from '../connectors/index.js';
import { integer } from './broker-command.js';
import { GatewayClient } from './gateway-client.js';

/**
 * `tributary connect --connectors FILE`: runs the Kafka connectors of the file against a gateway until SIGINT or
 * SIGTERM. Prints one line per record settled and per outbound job (JSON lines with --json), so every record can be
 * traced; with --metrics-port, serves the consumer lag on /metrics.
 */
export function connectCommand(): Command {
  return new Command('connect')
    .description('run Kafka connectors: start instances and publish messages from Kafka topics, publish to Kafka from tasks')
    .requiredOption('--connectors <file>', 'connectors file (YAML or JSON; see docs/connectors.md)')
    .option('--metrics-port <port>', 'serve /metrics (consumer lag, record counts) on this port', integer)
    .action(async (options: { connectors: string; metricsPort?: number }, command: Command) => {
      const globals = command.optsWithGlobals() as { address: string; json?: boolean };
      const config = loadConnectorsFileOrExit(options.connectors);
      if (config === undefined) return;
      const registry = new MetricsRegistry();
      const metricsServer = options.metricsPort === undefined ? undefined : await serveMetrics(registry, options.metricsPort);
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      const running = await startConnectors(config, globals.address, { json: globals.json === true, metrics: registry }).catch((error: Error) => {
        metricsServer?.close();
        throw error;
      });
      try {
        await stopped;
      } finally {
        await running.close();
        metricsServer?.close();
      }
    });
}

/** Loads and validates a connectors file; prints every problem and sets exit code 1 when it is not valid. */
export function loadConnectorsFileOrExit(file: string): ConnectorsConfig | undefined {
  const validation = loadConnectorsConfig(file);
  if (validation.ok) return validation.config;
  console.error(`Error: ${file} has ${validation.problems.length} problem(s):`);
  for (const problem of validation.problems) console.error(`  ${problem.path || '(file)'}: ${problem.message}`);
  process.exitCode = 1;
  return undefined;
}

/**
 * Starts the connectors of a configuration against the gateway at the address (the broker's own when they run
 * inside it) and prints what each settled record and job did. close() stops them and closes the gRPC channel.
 */
export async function startConnectors(
  config: ConnectorsConfig,
  address: string,
  options: { json: boolean; metrics?: ConnectorMetricsRegistry },
): Promise<{ close(): Promise<void> }> {
  const client = new GatewayClient(address);
  let service: ConnectorsService;
  try {
    service = await ConnectorsService.start({
      config,
      gateway: client,
      metrics: options.metrics,
      onEvent: (event) => console.log(options.json ? JSON.stringify(event) : describeEvent(event)),
    });
  } catch (error) {
    client.close();
    throw error;
  }
  console.log(`Connectors running: ${service.describe()}`);
  return {
    close: async () => {
      await service.close().catch((error: Error) => console.error(`Error while closing the connectors: ${error.message}`));
      client.close();
    },
  };
}

function serveMetrics(registry: MetricsRegistry, port: number): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `Expected GET /metrics, but got ${request.method} ${request.url}` }));
      return;
    }
    response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE }).end(registry.exposition());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => {
      const address = server.address();
      console.log(`Connector metrics on port ${typeof address === 'object' && address !== null ? address.port : port}`);
      resolve(server);
    });
  });
}

function describeEvent(event: ConnectorsEvent): string {
  switch (event.kind) {
    case 'delivered':
      return event.command.kind === 'create-instance'
        ? `${event.connector}: ${event.record} created instance ${event.receipt.processInstanceKey ?? '?'} of ${event.command.bpmnProcessId}`
        : `${event.connector}: ${event.record} published ${event.command.name} (correlation key ${event.command.correlationKey}, id ${event.command.messageId})`;
    case 'duplicate':
      return `${event.connector}: ${event.record} was published before (message id ${event.messageId}), not again`;
    case 'dead-lettered':
      return `${event.connector}: ${event.record} ${event.deadLetterTopic ? `to ${event.deadLetterTopic}` : 'dropped (no deadLetterTopic)'} (${event.cause}): ${event.reason}`;
    case 'backing-off':
      return `${event.connector}: ${event.record} retried in ${event.delayMs} ms: ${event.reason}`;
    case 'published':
      return `outbound: job ${event.jobKey} of instance ${event.processInstanceKey} published to ${event.record.topic}-${event.record.partition}-${event.record.offset}`;
    case 'job-failed':
      return `outbound: job ${event.jobKey} of instance ${event.processInstanceKey} failed (${event.retriesLeft} retries left): ${event.reason}`;
    case 'activation-failed':
      return `outbound: activating jobs failed, retrying: ${event.reason}`;
    case 'bpmn-connector-opened':
      return `${event.connector}: opened for version ${event.version} of ${event.bpmnProcessId}, reading ${event.topic}`;
    case 'bpmn-connector-closed':
      return `${event.connector}: closed: ${event.reason}`;
    case 'bpmn-declaration-invalid':
      return `version ${event.version} of ${event.bpmnProcessId} declares Kafka connectors that cannot run: ${event.problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ')}`;
  }
}
