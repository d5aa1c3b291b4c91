import { credentials, makeGenericClientConstructor, Metadata, type Client, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { loadGatewayService } from '../gateway/proto-definition.js';

/** A small promise-based client of the gateway protocol for the CLI (the official clients work just as well). */
export class GatewayClient {
  private readonly client: Client & { [method: string]: any };

  constructor(address: string) {
    const Constructor = makeGenericClientConstructor(loadGatewayService(), 'Gateway');
    this.client = new Constructor(address, credentials.createInsecure()) as Client & { [method: string]: any };
  }

  /** A unary call; headers go as request metadata (e.g. tributary-idempotency-key). */
  call<T>(method: string, request: object, timeoutMs = 30_000, headers: { [name: string]: string } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline = new Date(Date.now() + timeoutMs);
      const metadata = new Metadata();
      for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
      this.client[method](request, metadata, { deadline }, (error: ServiceError | null, response: T) => {
        if (error) reject(error);
        else resolve(response);
      });
    });
  }

  /** A server-streaming call, collected until the stream ends. */
  collect<T>(method: string, request: object, timeoutMs: number): Promise<T[]> {
    return new Promise<T[]>((resolve, reject) => {
      const items: T[] = [];
      const stream: ClientReadableStream<T> = this.client[method](request, { deadline: new Date(Date.now() + timeoutMs) });
      stream.on('data', (item: T) => items.push(item));
      stream.on('error', reject);
      stream.on('end', () => resolve(items));
    });
  }

  close(): void {
    this.client.close();
  }
}
