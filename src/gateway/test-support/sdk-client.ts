import { Camunda8 } from '@camunda8/sdk';

export type ZeebeGrpcClient = ReturnType<Camunda8['getZeebeGrpcApiClient']>;

/**
 * The official Node client (@camunda8/sdk) pointed at a gateway on 127.0.0.1. Retries are off so that error
 * statuses reach the test instead of being retried (the SDK retries UNAVAILABLE, RESOURCE_EXHAUSTED and
 * DEADLINE_EXCEEDED forever by default).
 */
export function officialClient(port: number): ZeebeGrpcClient {
  const camunda = new Camunda8({
    ZEEBE_GRPC_ADDRESS: `grpc://127.0.0.1:${port}`,
    CAMUNDA_AUTH_STRATEGY: 'NONE',
    CAMUNDA_LOG_LEVEL: 'none',
    zeebeGrpcSettings: { ZEEBE_GRPC_CLIENT_RETRY: false, ZEEBE_CLIENT_LOG_LEVEL: 'NONE' },
  });
  return camunda.getZeebeGrpcApiClient();
}
