import { credentials, loadPackageDefinition, type ChannelOptions, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

/**
 * A plain grpc-js client built from Tributary's own gateway.proto, for the few requests the official Node client
 * cannot send (the deprecated DeployProcess, creating an instance by processDefinitionKey).
 */
export type RawGatewayClient = Client & { [rpc: string]: any };

/** `options` are grpc-js channel options (e.g. 'grpc.default_compression_algorithm' to send compressed requests). */
export function rawGatewayClient(port: number, options: ChannelOptions = {}): RawGatewayClient {
  const protoPath = fileURLToPath(new URL('../proto/gateway.proto', import.meta.url));
  const definition = loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const Gateway = (loadPackageDefinition(definition).gateway_protocol as any).Gateway;
  return new Gateway(`127.0.0.1:${port}`, credentials.createInsecure(), options) as RawGatewayClient;
}

export function callUnary(client: RawGatewayClient, rpc: string, request: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    client[rpc](request, (error: ServiceError | null, response: unknown) => (error ? reject(error) : resolve(response)));
  });
}
