import { Command } from 'commander';
import { integer } from './broker-command.js';
import { withClient } from './client-commands.js';
import { parseVariables, print } from './output.js';

export function completeCommand(): Command {
  const job = new Command('job')
    .description('complete a job')
    .argument('<key>', 'job key')
    .option('--variables <json>', 'variables as a JSON object', '{}')
    .action(async (key: string, options, command: Command) =>
      withClient(command, async (client, output) => {
        await client.call('CompleteJob', { jobKey: key, variables: parseVariables(options.variables) });
        print(output, { jobKey: key, completed: true }, () => `Completed job ${key}`);
      }),
    );
  return new Command('complete').description('complete jobs').addCommand(job);
}

export function failCommand(): Command {
  const job = new Command('job')
    .description('fail a job')
    .argument('<key>', 'job key')
    .requiredOption('--retries <n>', 'retries left', integer)
    .option('--error-message <text>', 'why it failed', '')
    .option('--retry-backoff <ms>', 'wait before the job can be activated again', integer, 0)
    .action(async (key: string, options, command: Command) =>
      withClient(command, async (client, output) => {
        await client.call('FailJob', { jobKey: key, retries: options.retries, errorMessage: options.errorMessage, retryBackOff: String(options.retryBackoff), variables: '{}' });
        print(output, { jobKey: key, failed: true, retries: options.retries }, () => `Failed job ${key} (${options.retries} retries left)`);
      }),
    );
  return new Command('fail').description('fail jobs').addCommand(job);
}

export function activateCommand(): Command {
  const jobs = new Command('jobs')
    .description('activate jobs of a type')
    .argument('<type>', 'job type')
    .option('--max-jobs <n>', 'how many jobs at most', integer, 10)
    .option('--timeout <ms>', 'activation timeout', integer, 300_000)
    .option('--worker <name>', 'worker name', 'tributary-cli')
    .option('--request-timeout <ms>', 'how long to wait for jobs', integer, 1000)
    .action(async (type: string, options, command: Command) =>
      withClient(command, async (client, output) => {
        const request = { type, worker: options.worker, timeout: String(options.timeout), maxJobsToActivate: options.maxJobs, fetchVariable: [], requestTimeout: String(options.requestTimeout), tenantIds: [] };
        const responses = await client.collect<any>('ActivateJobs', request, options.requestTimeout + 10_000);
        const activated = responses.flatMap((response) => response.jobs);
        print(output, { jobs: activated }, () =>
          activated.length === 0 ? `No jobs of type ${type} activated` : activated.map((job) => `Activated job ${job.key} (${job.elementId} of instance ${job.processInstanceKey}) with variables ${job.variables}`).join('\n'),
        );
      }),
    );
  return new Command('activate').description('activate jobs').addCommand(jobs);
}

export function resolveCommand(): Command {
  const incident = new Command('incident')
    .description('resolve an incident')
    .argument('<key>', 'incident key')
    .action(async (key: string, _options, command: Command) =>
      withClient(command, async (client, output) => {
        await client.call('ResolveIncident', { incidentKey: key });
        print(output, { incidentKey: key, resolved: true }, () => `Resolved incident ${key}`);
      }),
    );
  return new Command('resolve').description('resolve incidents').addCommand(incident);
}

export function updateCommand(): Command {
  const retries = new Command('retries')
    .description('set the retries of a job')
    .argument('<key>', 'job key')
    .requiredOption('--retries <n>', 'new retries', integer)
    .action(async (key: string, options, command: Command) =>
      withClient(command, async (client, output) => {
        await client.call('UpdateJobRetries', { jobKey: key, retries: options.retries });
        print(output, { jobKey: key, retries: options.retries }, () => `Updated the retries of job ${key} to ${options.retries}`);
      }),
    );
  return new Command('update').description('update jobs').addCommand(retries);
}

export function setCommand(): Command {
  const variables = new Command('variables')
    .description('set variables on an element instance (or process instance)')
    .argument('<key>', 'element instance key')
    .requiredOption('--variables <json>', 'variables as a JSON object')
    .option('--local', 'set them on this scope only instead of propagating')
    .action(async (key: string, options, command: Command) =>
      withClient(command, async (client, output) => {
        const response = await client.call<any>('SetVariables', { elementInstanceKey: key, variables: parseVariables(options.variables), local: Boolean(options.local) });
        print(output, response, () => `Set variables on ${key} (key ${response.key})`);
      }),
    );
  return new Command('set').description('set variables').addCommand(variables);
}
