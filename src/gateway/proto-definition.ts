import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/**
 * Where gateway.proto is: beside this module when running from src (tests, tsx), or back in src when running the
 * compiled output from dist (tsc does not copy .proto files).
 */
function protoPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'proto', 'gateway.proto'), join(here, '..', '..', 'src', 'gateway', 'proto', 'gateway.proto')];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) throw new Error(`Expected gateway.proto at one of ${candidates.join(', ')}, but found none`);
  return found;
}

let gatewayService: ServiceDefinition | undefined;

/**
 * The Gateway service, loaded once per process: proto-loader builds the encoders and decoders when it loads, so
 * calls pay no reflection. Decoded requests keep the proto's field names, carry int64 as decimal strings and enums
 * as names, and have every field present with its default.
 */
export function loadGatewayService(): ServiceDefinition {
  if (gatewayService === undefined) {
    const definition = loadSync(protoPath(), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
    gatewayService = definition['gateway_protocol.Gateway'] as ServiceDefinition;
  }
  return gatewayService;
}
