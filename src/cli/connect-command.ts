import { Command } from 'commander';
import {
  ConnectorsRunner,
  GrpcCommandGateway,
  KafkajsRecordConsumer,
  loadConnectorsConfig,
  type ConnectorEvent,
} from '../connectors/index.js';
import { KafkajsProducer } from '../exporters/kafka/kafkajs-producer.js';
import { GatewayClient } from './gateway-client.js';

/**
 * `tributary connect --connectors FILE`: runs the inbound Kafka connectors of the file against a gateway until
 * SIGINT or SIGTERM. Prints one line per record settled (JSON lines with --json), so every record can be traced.
 */
export function connectCommand(): Command {
  return new Command('connect')
    .description('run Kafka connectors: start instances and publish messages from Kafka topics')
    .requiredOption('--connectors <file>', 'connectors file (JSON; see docs/connectors.md)')
    .action(async (options: { connectors: string }, command: Command) => {
      const globals = command.optsWithGlobals() as { address: string; json?: boolean };
      const validation = loadConnectorsConfig(options.connectors);
      if (!validation.ok) {
        console.error(`Error: ${options.connectors} has ${validation.problems.length} problem(s):`);
        for (const problem of validation.problems) console.error(`  ${problem.path || '(file)'}: ${problem.message}`);
        process.exitCode = 1;
        return;
      }
      const { config } = validation;
      const client = new GatewayClient(globals.address);
      const runner = new ConnectorsRunner(config, {
        gateway: new GrpcCommandGateway(client),
        deadLetters: new KafkajsProducer({ brokers: config.kafka.brokers, clientId: config.kafka.clientId }),
        createConsumer: (consumerOptions) => new KafkajsRecordConsumer(consumerOptions),
        onEvent: (event) => console.log(globals.json ? JSON.stringify(event) : describeEvent(event)),
      });
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      try {
        await runner.start();
        console.log(`Connectors running: ${config.inbound.map((inbound) => `${inbound.name} (${inbound.topic} -> ${inbound.action})`).join(', ')}`);
        await stopped;
      } finally {
        await runner.close().catch((error: Error) => console.error(`Error while closing: ${error.message}`));
        client.close();
      }
    });
}

function describeEvent(event: ConnectorEvent): string {
  switch (event.kind) {
    case 'delivered':
      return event.command.kind === 'create-instance'
        ? `${event.connector}: ${event.record} created an instance of ${event.command.bpmnProcessId}`
        : `${event.connector}: ${event.record} published ${event.command.name} (correlation key ${event.command.correlationKey}, id ${event.command.messageId})`;
    case 'duplicate':
      return `${event.connector}: ${event.record} was published before (message id ${event.messageId}), not again`;
    case 'dead-lettered':
      return `${event.connector}: ${event.record} ${event.deadLetterTopic ? `to ${event.deadLetterTopic}` : 'dropped (no deadLetterTopic)'} (${event.cause}): ${event.reason}`;
    case 'backing-off':
      return `${event.connector}: ${event.record} retried in ${event.delayMs} ms: ${event.reason}`;
  }
}
