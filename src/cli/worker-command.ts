import { Command } from 'commander';
import { integer } from './broker-command.js';
import { withClient } from './client-commands.js';
import { parseVariables, print } from './output.js';

/**
 * `tributary worker TYPE`: a job worker for trying processes out: it long-polls for jobs of the type and completes
 * each with the given variables, until Ctrl-C or until it has completed --count jobs.
 */
export function workerCommand(): Command {
  return new Command('worker')
    .description('complete jobs of a type as they come (a worker for trying processes out)')
    .argument('<type>', 'job type')
    .option('--variables <json>', 'variables to complete each job with', '{}')
    .option('--count <n>', 'stop after completing this many jobs (0: run until Ctrl-C)', integer, 0)
    .option('--max-jobs <n>', 'jobs activated per request', integer, 32)
    .option('--timeout <ms>', 'activation timeout', integer, 60_000)
    .option('--poll-timeout <ms>', 'long-polling timeout of each request', integer, 10_000)
    .action(async (type: string, options, command: Command) =>
      withClient(command, async (client, output) => {
        const variables = parseVariables(options.variables);
        let completed = 0;
        let stopped = false;
        process.once('SIGINT', () => (stopped = true));
        while (!stopped && (options.count === 0 || completed < options.count)) {
          const wanted = options.count === 0 ? options.maxJobs : Math.min(options.maxJobs, options.count - completed);
          const request = { type, worker: 'tributary-cli-worker', timeout: String(options.timeout), maxJobsToActivate: wanted, fetchVariable: [], requestTimeout: String(options.pollTimeout), tenantIds: [] };
          const responses = await client.collect<any>('ActivateJobs', request, options.pollTimeout + 10_000);
          for (const job of responses.flatMap((response) => response.jobs)) {
            await client.call('CompleteJob', { jobKey: job.key, variables });
            completed++;
            print(output, { jobKey: job.key, processInstanceKey: job.processInstanceKey, completed: true }, () => `Completed job ${job.key} (${job.elementId} of instance ${job.processInstanceKey})`);
          }
        }
      }),
    );
}
