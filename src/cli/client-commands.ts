import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Command } from 'commander';
import { integer } from './broker-command.js';
import { GatewayClient } from './gateway-client.js';
import { fail, parseVariables, print, type OutputOptions } from './output.js';

type Run = (client: GatewayClient, output: OutputOptions) => Promise<void>;

/** Runs a client command against the gateway named by --address, printing errors with a non-zero exit code. */
export async function withClient(command: Command, run: Run): Promise<void> {
  const globals = command.optsWithGlobals() as { address: string; json?: boolean };
  const client = new GatewayClient(globals.address);
  try {
    await run(client, { json: globals.json });
  } catch (error) {
    fail(error);
  } finally {
    client.close();
  }
}

export function statusCommand(): Command {
  return new Command('status').description('show the cluster topology').action(async (_options, command: Command) =>
    withClient(command, async (client, output) => {
      const topology = await client.call<any>('Topology', {});
      print(output, topology, () => {
        const lines = [`Cluster size: ${topology.clusterSize}`, `Partitions count: ${topology.partitionsCount}`, `Replication factor: ${topology.replicationFactor}`, `Gateway version: ${topology.gatewayVersion}`, 'Brokers:'];
        for (const broker of topology.brokers) {
          lines.push(`  Broker ${broker.nodeId} - ${broker.host}:${broker.port}`, `    Version: ${broker.version}`);
          for (const partition of broker.partitions) lines.push(`    Partition ${partition.partitionId} : ${partition.role} (${partition.health})`);
        }
        return lines.join('\n');
      });
    }),
  );
}

export function deployCommand(): Command {
  return new Command('deploy')
    .description('deploy BPMN files')
    .argument('<files...>', 'BPMN files (.bpmn) or YAML definitions (.yaml, .yml)')
    .action(async (files: string[], _options, command: Command) =>
      withClient(command, async (client, output) => {
        const resources = files.map((file) => ({ name: basename(file), content: readFileSync(file) }));
        const response = await client.call<any>('DeployResource', { resources, tenantId: '' });
        print(output, response, () =>
          response.deployments
            .filter((deployment: any) => deployment.process)
            .map((deployment: any) => {
              const process = deployment.process;
              return `Deployed ${process.bpmnProcessId} version ${process.version} (key ${process.processDefinitionKey}) from ${process.resourceName}`;
            })
            .join('\n'),
        );
      }),
    );
}

export function createCommand(): Command {
  const instance = new Command('instance')
    .description('create a process instance')
    .argument('<processId>', 'the bpmnProcessId')
    .option('--variables <json>', 'variables as a JSON object', '{}')
    .option('--version <version>', 'process version (latest when left out)', (text) => Number(text), -1)
    .option('--with-result', 'wait until the instance completes and print its variables')
    .option('--request-timeout <ms>', 'how long to wait with --with-result', integer, 20_000)
    .action(async (processId: string, options, command: Command) =>
      withClient(command, async (client, output) => {
        const request = { bpmnProcessId: processId, version: options.version, variables: parseVariables(options.variables), tenantId: '' };
        if (options.withResult) {
          const response = await client.call<any>(
            'CreateProcessInstanceWithResult',
            { request, requestTimeout: String(options.requestTimeout), fetchVariables: [] },
            options.requestTimeout + 5000,
          );
          print(output, response, () => `Process instance ${response.processInstanceKey} of ${response.bpmnProcessId} completed with variables ${response.variables}`);
          return;
        }
        const response = await client.call<any>('CreateProcessInstance', request);
        print(output, response, () => `Created process instance ${response.processInstanceKey} of ${response.bpmnProcessId} version ${response.version}`);
      }),
    );
  return new Command('create').description('create resources').addCommand(instance);
}

export function cancelCommand(): Command {
  const instance = new Command('instance')
    .description('cancel a process instance')
    .argument('<key>', 'process instance key')
    .action(async (key: string, _options, command: Command) =>
      withClient(command, async (client, output) => {
        await client.call('CancelProcessInstance', { processInstanceKey: key });
        print(output, { processInstanceKey: key, canceled: true }, () => `Canceled process instance ${key}`);
      }),
    );
  return new Command('cancel').description('cancel resources').addCommand(instance);
}

export function publishCommand(): Command {
  const message = new Command('message')
    .description('publish a message')
    .argument('<name>', 'message name')
    .requiredOption('--correlation-key <key>', 'correlation key')
    .option('--variables <json>', 'variables as a JSON object', '{}')
    .option('--ttl <ms>', 'time to live in milliseconds', integer, 0)
    .option('--message-id <id>', 'unique message id', '')
    .action(async (name: string, options, command: Command) =>
      withClient(command, async (client, output) => {
        const request = { name, correlationKey: options.correlationKey, timeToLive: String(options.ttl), messageId: options.messageId, variables: parseVariables(options.variables), tenantId: '' };
        const response = await client.call<any>('PublishMessage', request);
        print(output, response, () => `Published message ${name} (key ${response.key})`);
      }),
    );
  return new Command('publish').description('publish messages').addCommand(message);
}
