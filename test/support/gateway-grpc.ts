import { credentials, makeGenericClientConstructor, status, type Client, type ServiceError } from '@grpc/grpc-js';
import { loadGatewayService } from '../../src/gateway/proto-definition.js';
import type { BrokerProcess } from './broker-process.js';

/**
 * A bare gRPC client of the gateway, built from the project's own gateway.proto, for requests an official client
 * would refuse to send (malformed documents, unknown keys, oversized messages). Calls resolve with the response or
 * with the error status, so a test can assert on both.
 */

export type GrpcOutcome<T = any> = { ok: true; response: T } | { ok: false; code: status; codeName: string; details: string };

const CALL_TIMEOUT_MS = 10_000;

export class GatewayGrpcClient {
  private readonly client: Client & { [method: string]: any };

  constructor(broker: BrokerProcess) {
    const Constructor = makeGenericClientConstructor(loadGatewayService(), 'Gateway');
    this.client = new Constructor(broker.address, credentials.createInsecure()) as Client & { [method: string]: any };
  }

  call<T = any>(method: string, request: object): Promise<GrpcOutcome<T>> {
    return new Promise((resolve) => {
      this.client[method](request, { deadline: Date.now() + CALL_TIMEOUT_MS }, (error: ServiceError | null, response: T) => {
        resolve(error ? failure(error) : { ok: true, response });
      });
    });
  }

  /** A server-streaming call, collected until it ends. */
  stream<T = any>(method: string, request: object): Promise<GrpcOutcome<T[]>> {
    return new Promise((resolve) => {
      const items: T[] = [];
      const call = this.client[method](request, { deadline: Date.now() + CALL_TIMEOUT_MS });
      call.on('data', (item: T) => items.push(item));
      call.on('error', (error: ServiceError) => resolve(failure(error)));
      call.on('end', () => resolve({ ok: true, response: items }));
    });
  }

  close(): void {
    this.client.close();
  }
}

function failure(error: ServiceError): GrpcOutcome<never> {
  return { ok: false, code: error.code, codeName: status[error.code] ?? String(error.code), details: error.details };
}
