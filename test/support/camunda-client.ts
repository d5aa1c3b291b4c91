import { Camunda8 } from '@camunda8/sdk';
import type { BrokerProcess } from './broker-process.js';

export type ZeebeClient = ReturnType<Camunda8['getZeebeGrpcApiClient']>;

/**
 * A Zeebe gRPC client of the official Camunda 8 SDK, pointed at a broker process: plain text, no authentication,
 * quiet. Retries are off by default so a test sees the status the gateway answered, not the SDK's retry outcome.
 * Close it at the end of the test (`await client.close()`).
 */
export function camundaClient(broker: BrokerProcess, options: { retry?: boolean } = {}): ZeebeClient {
  const camunda = new Camunda8({
    ZEEBE_GRPC_ADDRESS: broker.grpcAddress,
    CAMUNDA_AUTH_STRATEGY: 'NONE',
    CAMUNDA_OAUTH_DISABLED: true,
    CAMUNDA_LOG_LEVEL: 'none',
    CAMUNDA_TOKEN_DISK_CACHE_DISABLE: true,
    zeebeGrpcSettings: {
      ZEEBE_CLIENT_LOG_LEVEL: 'NONE',
      ZEEBE_GRPC_CLIENT_RETRY: options.retry ?? false,
      ZEEBE_GRPC_WORKER_POLL_INTERVAL_MS: 50,
    },
  });
  return camunda.getZeebeGrpcApiClient();
}

/** A job stream that completes every job pushed to it and records the process instance keys, in push order. */
export interface RecordingJobStream {
  readonly pushed: string[];
  close(): void;
}

/**
 * Opens a job stream of `type` on the SDK's StreamActivatedJobs worker with no recurring polls, so every job it gets
 * was pushed; each job is completed at once (with `variables`). The SDK resolves before the gateway has registered
 * the stream, so give it a moment before relying on pushes.
 */
export async function streamCompletingJobs(
  client: ZeebeClient,
  type: string,
  { worker = `${type}-worker`, variables = {} }: { worker?: string; variables?: { [name: string]: string | number | boolean } } = {},
): Promise<RecordingJobStream> {
  const pushed: string[] = [];
  const stream = await client.streamJobs({
    type,
    worker,
    timeout: 30_000,
    tenantIds: ['<default>'],
    pollInterval: -1,
    taskHandler: (job) => {
      pushed.push(job.processInstanceKey);
      return job.complete(variables);
    },
  });
  return { pushed, close: () => stream.close() };
}
