import { Command } from 'commander';
import { Broker } from '../broker/broker.js';
import { BROKER_CONFIG_DEFAULTS, type BrokerConfig } from '../broker/broker-config.js';

/** `tributary broker`: runs a single broker with its embedded gateway until SIGINT or SIGTERM. */
export function brokerCommand(): Command {
  const defaults = BROKER_CONFIG_DEFAULTS;
  return new Command('broker')
    .description('start a broker with its embedded gateway')
    .option('--data-dir <dir>', 'where logs, state and snapshots live', defaults.dataDirectory)
    .option('--host <host>', 'interface to listen on', defaults.host)
    .option('--port <port>', 'gateway gRPC port (Zeebe gateway protocol)', integer, defaults.gatewayPort)
    .option('--monitoring-port <port>', 'port of /ready, /health and /metrics', integer, defaults.monitoringPort)
    .option('--partitions <count>', 'number of partitions', integer, defaults.partitionCount)
    .option('--node-id <id>', 'this broker\'s node id', integer, defaults.nodeId)
    .option('--export-jsonl <file>', 'append every record to this file as JSON lines')
    .option('--snapshot-period <ms>', 'how often partitions take snapshots and compact their logs', integer, defaults.snapshotPeriodMs)
    .option('--no-fsync', 'do not fsync the log (unsafe: acknowledged data can be lost; for benchmarks only)')
    .action(async (options) => {
      const config: BrokerConfig = {
        ...defaults,
        dataDirectory: options.dataDir,
        host: options.host,
        gatewayPort: options.port,
        monitoringPort: options.monitoringPort,
        partitionCount: options.partitions,
        nodeId: options.nodeId,
        exportJsonlFile: options.exportJsonl,
        snapshotPeriodMs: options.snapshotPeriod,
        fsync: options.fsync,
      };
      const broker = new Broker(config);
      try {
        await broker.start();
      } catch (error) {
        console.error(`Error: the broker could not start: ${(error as Error).message}`);
        process.exit(1);
      }
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        console.log(`Received ${signal}; stopping the broker`);
        broker.stop().then(
          () => process.exit(0),
          (error) => {
            console.error(`Stopping the broker failed: ${String(error)}`);
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}

export function integer(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`Expected a whole number, but got '${text}'`);
  return value;
}
