import type { GatewayCaller } from './command-gateway.js';
import type { OutboundJob, OutboundJobClient } from './outbound-connector.js';

/** How long completing or failing a job may wait for the gateway. */
const JOB_COMMAND_TIMEOUT_MS = 15_000;
/** Extra time a long-polling activation may take beyond its own timeout before the call gives up. */
const ACTIVATION_DEADLINE_SLACK_MS = 5_000;

interface ActivatedJobMessage {
  key: string;
  processInstanceKey: string;
  elementId: string;
  retries: number;
  variables: string;
  customHeaders: string;
}

/** OutboundJobClient on the Zeebe gateway protocol (ActivateJobs with long polling, CompleteJob, FailJob). */
export class GatewayJobClient implements OutboundJobClient {
  constructor(private readonly caller: GatewayCaller) {}

  async activate(request: { type: string; worker: string; maxJobsToActivate: number; timeoutMs: number; pollTimeoutMs: number }): Promise<OutboundJob[]> {
    const responses = await this.caller.collect<{ jobs: ActivatedJobMessage[] }>(
      'ActivateJobs',
      {
        type: request.type,
        worker: request.worker,
        timeout: String(request.timeoutMs),
        maxJobsToActivate: request.maxJobsToActivate,
        fetchVariable: [],
        requestTimeout: String(request.pollTimeoutMs),
        tenantIds: [],
      },
      request.pollTimeoutMs + ACTIVATION_DEADLINE_SLACK_MS,
    );
    return responses.flatMap((response) => response.jobs).map((job) => ({
      key: String(job.key),
      processInstanceKey: String(job.processInstanceKey),
      elementId: job.elementId,
      retries: job.retries,
      variables: parseObject(job.variables),
      customHeaders: parseObject(job.customHeaders) as { [name: string]: string },
    }));
  }

  async complete(jobKey: string, variables: object): Promise<void> {
    await this.caller.call('CompleteJob', { jobKey, variables: JSON.stringify(variables) }, JOB_COMMAND_TIMEOUT_MS);
  }

  async fail(jobKey: string, retries: number, errorMessage: string): Promise<void> {
    await this.caller.call('FailJob', { jobKey, retries, errorMessage, retryBackOff: '0', variables: '' }, JOB_COMMAND_TIMEOUT_MS);
  }
}

function parseObject(text: string): { [name: string]: unknown } {
  if (!text) return {};
  const parsed: unknown = JSON.parse(text);
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as { [name: string]: unknown }) : {};
}
