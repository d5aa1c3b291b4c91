import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { GRPC_STATUS } from '../../errors.js';
import { CallError, FRAME_HEADER_BYTES, frameMessage, messageTooLarge, readSingleMessage, type CallStatus } from './grpc-wire.js';
import { encodeHeaders } from './hpack.js';
import { Http2ServerConnection, type Http2Stream, type RequestHeaders } from './http2-connection.js';
import { OK_TRAILERS, RequestMetadata, RESPONSE_HEADERS, sendTrailersOnly, ServerStreamCall } from './server-call.js';

/** How a method's messages are encoded; proto-loader's method definitions have these. */
export interface MethodCodec<Request, Response> {
  requestDeserialize(bytes: Buffer): Request;
  responseSerialize(response: Response): Buffer;
}

export type UnaryHandler<Request, Response> = (request: Request, metadata: RequestMetadata) => Promise<Response> | Response;
export type ServerStreamHandler<Request, Response> = (call: ServerStreamCall<Request, Response>) => void;

export interface GrpcServerOptions {
  /** The largest request message accepted; a larger one is answered RESOURCE_EXHAUSTED before any handler runs. */
  maxMessageBytes: number;
  /** The status for an error a handler threw (the gateway maps its typed errors; the rest is INTERNAL, logged). */
  errorStatus(error: unknown, rpc: string): CallStatus;
}

interface Method {
  rpc: string;
  codec: MethodCodec<unknown, unknown>;
  unary?: UnaryHandler<unknown, unknown>;
  serverStream?: ServerStreamHandler<unknown, unknown>;
}

/**
 * A gRPC server for the two kinds of methods the Zeebe gateway protocol has: unary and server streaming, on this
 * project's own HTTP/2 connection (http2-connection.ts; see there why not node:http2). It replaces grpc-js's server on
 * the gateway's hot path: grpc-js builds an interceptor chain, a metadata object, object-mode streams and a decoder
 * per call, which was most of the gateway thread's allocations at 1,000 instances/s (and so of its garbage
 * collections). Here a unary call is one request body, one handler call and one buffer written for the answer.
 *
 * Deadlines (grpc-timeout) are the client's to enforce: the official clients reset the stream when theirs passes,
 * which cancels the call here. Compressed requests (gzip, deflate) are accepted; answers are never compressed.
 */
export class GrpcServer {
  private readonly methods = new Map<string, Method>();
  private readonly connections = new Set<Http2ServerConnection>();
  private readonly server: Server;

  constructor(private readonly options: GrpcServerOptions) {
    this.server = createServer((socket) => this.track(socket));
  }

  addUnary<Request, Response>(path: string, rpc: string, codec: MethodCodec<Request, Response>, handler: UnaryHandler<Request, Response>): void {
    this.methods.set(path, { rpc, codec: codec as MethodCodec<unknown, unknown>, unary: handler as UnaryHandler<unknown, unknown> });
  }

  addServerStream<Request, Response>(path: string, rpc: string, codec: MethodCodec<Request, Response>, handler: ServerStreamHandler<Request, Response>): void {
    this.methods.set(path, { rpc, codec: codec as MethodCodec<unknown, unknown>, serverStream: handler as ServerStreamHandler<unknown, unknown> });
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /**
   * Stops accepting connections and asks every open one to finish (GOAWAY: calls in flight go on, new ones go
   * elsewhere); after graceMs the rest are closed.
   */
  async close(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.close();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([closed, grace]);
    clearTimeout(timer);
    for (const connection of this.connections) connection.destroy();
    await closed;
  }

  /** Closes every connection now; calls in flight fail on the client's side. */
  async destroy(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.destroy();
    await closed;
  }

  private track(socket: Socket): void {
    const connection: Http2ServerConnection = new Http2ServerConnection(socket, {
      onStream: (stream) => this.onStream(stream),
      onClose: () => this.connections.delete(connection),
    });
    this.connections.add(connection);
  }

  private onStream(stream: Http2Stream): void {
    const headers = stream.headers;
    const contentType = headers['content-type'];
    if (headers[':method'] !== 'POST' || typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      refuseNonGrpc(stream, headers);
      return;
    }
    const path = typeof headers[':path'] === 'string' ? headers[':path'] : '';
    const method = this.methods.get(path);
    if (method === undefined) {
      sendTrailersOnly(stream, { code: GRPC_STATUS.UNIMPLEMENTED, details: `The server does not implement the method ${path}` });
      return;
    }
    const encoding = headers['grpc-encoding'] as string | undefined;
    readBody(stream, this.options.maxMessageBytes, (error, body) => {
      if (error !== undefined) {
        sendTrailersOnly(stream, error);
        return;
      }
      this.dispatch(stream, headers, method, encoding, body!);
    });
  }

  private dispatch(stream: Http2Stream, headers: RequestHeaders, method: Method, encoding: string | undefined, body: Buffer): void {
    let request: unknown;
    try {
      request = method.codec.requestDeserialize(readSingleMessage(body, encoding, this.options.maxMessageBytes));
    } catch (error) {
      sendTrailersOnly(stream, error instanceof CallError ? error : { code: GRPC_STATUS.INTERNAL, details: `Error deserializing request: ${(error as Error).message}` });
      return;
    }
    const metadata = new RequestMetadata(headers);
    if (method.serverStream !== undefined) {
      const call = new ServerStreamCall(stream, request, metadata, method.codec.responseSerialize, (error) => this.serializeError(error));
      try {
        method.serverStream(call);
      } catch (error) {
        call.fail(this.options.errorStatus(error, method.rpc));
      }
      return;
    }
    let result: unknown;
    try {
      result = method.unary!(request, metadata);
    } catch (error) {
      sendTrailersOnly(stream, this.options.errorStatus(error, method.rpc));
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (response) => this.answer(stream, method, response),
        (error: unknown) => sendTrailersOnly(stream, this.options.errorStatus(error, method.rpc)),
      );
    } else {
      this.answer(stream, method, result);
    }
  }

  private answer(stream: Http2Stream, method: Method, response: unknown): void {
    if (stream.gone) return;
    let bytes: Buffer;
    try {
      bytes = method.codec.responseSerialize(response);
    } catch (error) {
      sendTrailersOnly(stream, this.serializeError(error));
      return;
    }
    stream.respond(RESPONSE_HEADERS, frameMessage(bytes), OK_TRAILERS);
  }

  private serializeError(error: unknown): CallStatus {
    return { code: GRPC_STATUS.INTERNAL, details: `Error serializing response: ${(error as Error).message}` };
  }
}

/**
 * Collects a request body. A message declared larger than the limit is refused as soon as its header arrives, and
 * the stream's remaining data is not buffered.
 */
function readBody(stream: Http2Stream, maxMessageBytes: number, done: (error: CallStatus | undefined, body?: Buffer) => void): void {
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  let length = 0;
  let checked = false;
  let refused = false;
  const refuse = (status: CallStatus): void => {
    refused = true;
    done(status);
  };
  stream.onData = (chunk: Buffer) => {
    if (refused) return;
    length += chunk.length;
    if (first === undefined) first = chunk;
    else (chunks ??= [first]).push(chunk);
    if (!checked && length >= FRAME_HEADER_BYTES) {
      checked = true;
      const declared = (chunks === undefined ? first : Buffer.concat(chunks)).readUInt32BE(1);
      if (declared > maxMessageBytes) return refuse(messageTooLarge(declared, maxMessageBytes));
    }
    // Within the limit, one message never makes the body this long: there is more than one.
    if (length > FRAME_HEADER_BYTES + maxMessageBytes) refuse({ code: GRPC_STATUS.UNIMPLEMENTED, details: 'Expected one request message, but the request had more' });
  };
  stream.onEnd = () => {
    if (refused) return;
    done(undefined, chunks === undefined ? (first ?? EMPTY) : Buffer.concat(chunks, length));
  };
}

/** Anything that is not a gRPC call: 415 (grpc-js answers the same), so a browser or curl gets a plain HTTP error. */
function refuseNonGrpc(stream: Http2Stream, headers: RequestHeaders): void {
  const status = headers[':method'] === 'POST' ? 415 : 405;
  const body = JSON.stringify({ error: status === 415 ? 'Expected content-type application/grpc' : 'Expected a POST (gRPC)' });
  stream.respondAndEnd(encodeHeaders([[':status', String(status)], ['content-type', 'application/json']]), Buffer.from(body));
}

const EMPTY = Buffer.alloc(0);
