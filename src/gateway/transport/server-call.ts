import { GRPC_STATUS } from '../../errors.js';
import { encodeGrpcMessage, frameMessage, type CallStatus } from './grpc-wire.js';
import { encodeHeaders } from './hpack.js';
import type { Http2Stream, RequestHeaders } from './http2-connection.js';

/** Response headers of every answer that carries messages (an HPACK block); the status follows in the trailers. */
export const RESPONSE_HEADERS = encodeHeaders([[':status', '200'], ['content-type', 'application/grpc+proto'], ['grpc-accept-encoding', 'identity,deflate,gzip']]);
export const OK_TRAILERS = encodeHeaders([['grpc-status', '0']]);

/** The request's custom metadata (HTTP/2 headers); values of "-bin" keys are base64 on the wire. */
export class RequestMetadata {
  constructor(private readonly headers: RequestHeaders) {}

  get(key: string): (string | Buffer)[] {
    const name = key.toLowerCase();
    const value = this.headers[name];
    if (value === undefined) return [];
    const values = Array.isArray(value) ? value : name.endsWith('-bin') ? value.split(',') : [value];
    return name.endsWith('-bin') ? values.map((text) => Buffer.from(text.trim(), 'base64')) : values;
  }
}

/** Ends a call that sent no messages with its status in the response headers ("Trailers-Only"). */
export function sendTrailersOnly(stream: Http2Stream, status: CallStatus): void {
  if (stream.gone || stream.headersSent) return;
  stream.respondAndEnd(encodeHeaders([[':status', '200'], ['content-type', 'application/grpc+proto'], ...statusFields(status)]));
}

/** The status as gRPC sends it, in trailers or (Trailers-Only) in the response headers. */
function statusFields(status: CallStatus): [string, string][] {
  return [['grpc-status', String(status.code)], ['grpc-message', encodeGrpcMessage(status.details)]];
}

function statusTrailers(status: CallStatus): Buffer {
  return status.code === GRPC_STATUS.OK ? OK_TRAILERS : encodeHeaders(statusFields(status));
}

/**
 * A server-streaming call as its handler sees it: the request, then any number of writes, then end() or fail().
 * The call is cancelled when the client resets the stream or the connection goes; writes after that are dropped.
 */
export class ServerStreamCall<Request, Response> {
  private ended = false;
  /** Who to tell when the client goes away; undefined once it has. */
  private cancelListeners: (() => void)[] | undefined = [];

  constructor(
    private readonly stream: Http2Stream,
    readonly request: Request,
    readonly metadata: RequestMetadata,
    private readonly serialize: (response: Response) => Buffer,
    private readonly onSerializeError: (error: unknown) => CallStatus,
  ) {
    stream.onClose = () => {
      if (!this.ended) this.cancel();
    };
  }

  /** True once the client went away; nothing it would see may happen any more. */
  get cancelled(): boolean {
    return this.cancelListeners === undefined;
  }

  /**
   * False while messages written before wait for the client's flow-control window (the client does not keep up);
   * the gRPC servers' isReady().
   */
  get ready(): boolean {
    return !this.ended && !this.stream.gone && !this.stream.waitsForWindow;
  }

  onCancelled(listener: () => void): void {
    if (this.cancelListeners === undefined) listener();
    else this.cancelListeners.push(listener);
  }

  /** Sends one message; false when the stream's buffer is full (the message is queued all the same). */
  write(response: Response): boolean {
    if (this.ended || this.stream.gone) return false;
    let bytes: Buffer;
    try {
      bytes = this.serialize(response);
    } catch (error) {
      this.fail(this.onSerializeError(error));
      return false;
    }
    this.respondOnce();
    return this.stream.sendData(frameMessage(bytes));
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
    if (this.stream.gone) return;
    if (!this.stream.headersSent) {
      sendTrailersOnly(this.stream, status);
      return;
    }
    this.stream.end(statusTrailers(status));
  }

  /**
   * Sends the response headers now, before any message (write sends them otherwise): a client that waits for them
   * knows its call was accepted.
   */
  sendHeaders(): void {
    if (!this.ended && !this.stream.gone) this.respondOnce();
  }

  private respondOnce(): void {
    if (!this.stream.headersSent) this.stream.sendHeaders(RESPONSE_HEADERS);
  }

  private cancel(): void {
    const listeners = this.cancelListeners;
    if (listeners === undefined) return;
    this.cancelListeners = undefined;
    this.ended = true;
    for (const listener of listeners) listener();
  }
}
