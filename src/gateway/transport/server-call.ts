import type { IncomingHttpHeaders, ServerHttp2Stream, ServerStreamResponseOptions } from 'node:http2';
import { GRPC_STATUS } from '../../errors.js';
import { encodeGrpcMessage, frameMessage, type CallStatus } from './grpc-wire.js';

/** Response headers of every answer that carries messages; the status follows in the trailers. */
export const RESPONSE_HEADERS = Object.freeze({ ':status': 200, 'content-type': 'application/grpc+proto', 'grpc-accept-encoding': 'identity,deflate,gzip' });
/** `sendDate: false` (node:http2 honours it, its types do not list it): no Date header, which gRPC does not use. */
export const WAIT_FOR_TRAILERS = Object.freeze({ waitForTrailers: true, sendDate: false }) as ServerStreamResponseOptions;
const OK_TRAILERS = Object.freeze({ 'grpc-status': '0' });
const END_STREAM = Object.freeze({ endStream: true, sendDate: false }) as ServerStreamResponseOptions;
export const NO_DATE = Object.freeze({ sendDate: false }) as ServerStreamResponseOptions;

/** The request's custom metadata (HTTP/2 headers); values of "-bin" keys are base64 on the wire. */
export class RequestMetadata {
  constructor(private readonly headers: IncomingHttpHeaders) {}

  get(key: string): (string | Buffer)[] {
    const name = key.toLowerCase();
    const value = this.headers[name];
    if (value === undefined) return [];
    const values = Array.isArray(value) ? value : name.endsWith('-bin') ? value.split(',') : [value];
    return name.endsWith('-bin') ? values.map((text) => Buffer.from(text.trim(), 'base64')) : values;
  }
}

/** Sends the OK trailers when a stream's data is written; `this` is the stream (a listener shared by every call). */
export function sendOkTrailers(this: ServerHttp2Stream): void {
  this.sendTrailers(OK_TRAILERS);
}

/** Ends a call that sent no messages with its status in the response headers ("Trailers-Only"). */
export function sendTrailersOnly(stream: ServerHttp2Stream, status: CallStatus): void {
  if (isGone(stream) || stream.headersSent) return;
  stream.respond({ ':status': 200, 'content-type': 'application/grpc+proto', ...statusTrailers(status) }, END_STREAM);
}

/** The status as gRPC sends it, in trailers or (Trailers-Only) in the response headers. */
function statusTrailers(status: CallStatus): { 'grpc-status': string; 'grpc-message': string } {
  return { 'grpc-status': String(status.code), 'grpc-message': encodeGrpcMessage(status.details) };
}

/** True when nothing more may be sent on the stream (the client reset it, or it ended). */
export function isGone(stream: ServerHttp2Stream): boolean {
  return stream.destroyed || stream.closed;
}

/**
 * A server-streaming call as its handler sees it: the request, then any number of writes, then end() or fail().
 * The call is cancelled when the client resets the stream or the connection goes; writes after that are dropped.
 */
export class ServerStreamCall<Request, Response> {
  private ended = false;
  /** Who to tell when the client goes away; undefined once it has. */
  private cancelListeners: (() => void)[] | undefined = [];
  private finalStatus: CallStatus | undefined;

  constructor(
    private readonly stream: ServerHttp2Stream,
    readonly request: Request,
    readonly metadata: RequestMetadata,
    private readonly serialize: (response: Response) => Buffer,
    private readonly onSerializeError: (error: unknown) => CallStatus,
  ) {
    stream.on('close', () => {
      if (!this.ended) this.cancel();
    });
  }

  /** True once the client went away; nothing it would see may happen any more. */
  get cancelled(): boolean {
    return this.cancelListeners === undefined;
  }

  onCancelled(listener: () => void): void {
    if (this.cancelListeners === undefined) listener();
    else this.cancelListeners.push(listener);
  }

  /** Sends one message; false when the stream's buffer is full (the message is queued all the same). */
  write(response: Response): boolean {
    if (this.ended || isGone(this.stream)) return false;
    let bytes: Buffer;
    try {
      bytes = this.serialize(response);
    } catch (error) {
      this.fail(this.onSerializeError(error));
      return false;
    }
    this.respondOnce();
    return this.stream.write(frameMessage(bytes));
  }

  /** Ends the call with OK. */
  end(): void {
    this.finish({ code: GRPC_STATUS.OK, details: '' });
  }

  /** Ends the call with an error status. */
  fail(status: CallStatus): void {
    this.finish(status);
  }

  private finish(status: CallStatus): void {
    if (this.ended) return;
    this.ended = true;
    if (isGone(this.stream)) return;
    if (!this.stream.headersSent) {
      sendTrailersOnly(this.stream, status);
      return;
    }
    this.finalStatus = status;
    this.stream.end();
  }

  /**
   * Sends the response headers now, before any message (write sends them otherwise): a client that waits for them
   * knows its call was accepted.
   */
  sendHeaders(): void {
    if (!this.ended && !isGone(this.stream)) this.respondOnce();
  }

  private respondOnce(): void {
    if (this.stream.headersSent) return;
    this.stream.respond(RESPONSE_HEADERS, WAIT_FOR_TRAILERS);
    this.stream.once('wantTrailers', () => {
      this.stream.sendTrailers(statusTrailers(this.finalStatus ?? { code: GRPC_STATUS.OK, details: '' }));
    });
  }

  private cancel(): void {
    const listeners = this.cancelListeners;
    if (listeners === undefined) return;
    this.cancelListeners = undefined;
    this.ended = true;
    for (const listener of listeners) listener();
  }
}
