import type { Socket } from 'node:net';
import { HpackDecoder, HpackError, TABLE_SIZE_ZERO } from './hpack.js';

/**
 * The server side of one HTTP/2 connection (RFC 9113) over a plain TCP socket, as much of HTTP/2 as gRPC uses.
 * It replaces node:http2 on the gateway's hot path: node:http2 makes every request header value an external string,
 * which V8 allocates in the old generation, so each call left garbage that only a full mark-compact frees (half its
 * pause was clearing the external string table), plus a C++ and a JS stream object and an event emitter per call.
 * Here a call is a plain object, headers are strings from the HPACK table, and an answer is one prebuilt buffer.
 *
 * Not supported (a gRPC server needs none of it): server push, priorities (parsed and ignored), HTTP/1.1 upgrade, TLS.
 */

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER_BYTES = 9;

const enum FrameType { Data = 0, Headers = 1, Priority = 2, RstStream = 3, Settings = 4, PushPromise = 5, Ping = 6, GoAway = 7, WindowUpdate = 8, Continuation = 9 }
/** Frame flags; ACK (on SETTINGS and PING) shares END_STREAM's bit. */
const enum Flag { EndStream = 0x1, EndHeaders = 0x4, Padded = 0x8, Priority = 0x20 }
const ACK = 0x1;
const enum Setting { HeaderTableSize = 1, EnablePush = 2, MaxConcurrentStreams = 3, InitialWindowSize = 4, MaxFrameSize = 5, MaxHeaderListSize = 6 }

export const enum ErrorCode { NoError = 0, ProtocolError = 1, InternalError = 2, FlowControlError = 3, StreamClosed = 5, FrameSizeError = 6, RefusedStream = 7, Cancel = 8, CompressionError = 9, EnhanceYourCalm = 11 }

/** Limits of this server, announced in its SETTINGS (the README's Limits table). */
export const HTTP2_LIMITS = Object.freeze({
  /** The largest frame payload accepted (the protocol's default; not raised, so not announced). */
  maxFrameBytes: 16_384,
  /** The largest header block (all HEADERS and CONTINUATION fragments of one request), compressed. */
  maxHeaderBlockBytes: 65_536,
  /** Each stream's receive window, and the connection's. */
  streamWindowBytes: 1 << 20,
  connectionWindowBytes: 16 << 20,
  /** Answers buffered for a client that does not read them; beyond this its requests are not read until it does. */
  unreadOutputBytes: 16 << 20,
});

const DEFAULT_WINDOW = 65_535;
const MAX_WINDOW = 2 ** 31 - 1;

/** Request headers: lower-case names; a name sent more than once has its values in an array. */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/**
 * One request and its answer. The reader sets onData/onEnd before the first event loop turn after the stream was
 * announced; onClose runs once, when the stream is done (both sides ended) or reset or the connection goes.
 */
export class Http2Stream {
  onData: ((chunk: Buffer) => void) | undefined;
  onEnd: (() => void) | undefined;
  onClose: (() => void) | undefined;
  /** True once the response headers are on their way. */
  headersSent = false;
  /** True once nothing more may be sent: this side ended, the client reset the stream, or the connection went. */
  gone = false;
  /** @internal */ receiveEnded = false;
  /** @internal */ sendEnded = false;
  /** @internal */ sendWindow: number;
  /** @internal */ receiveUnacknowledged = 0;
  /** @internal Data waiting for flow-control window, and the trailers to send after it. */
  queued: Buffer[] = [];
  /** @internal */ queuedTrailers: Buffer | undefined;

  constructor(
    readonly id: number,
    readonly headers: RequestHeaders,
    private readonly connection: Http2ServerConnection,
  ) {
    this.sendWindow = connection.peerInitialWindow;
  }

  /** True while data sent before waits for the client's flow-control window. */
  get waitsForWindow(): boolean {
    return this.queued.length > 0;
  }

  /** Sends the response headers (an HPACK block from encodeHeaders); the stream stays open for data. */
  sendHeaders(block: Buffer): void {
    if (this.gone || this.headersSent) return;
    this.headersSent = true;
    this.connection.writeHeaders(this, block, false);
  }

  /** Sends data (the headers must have been sent); queued while the client's flow-control window is closed. */
  sendData(data: Buffer): boolean {
    if (this.gone) return false;
    return this.connection.writeData(this, data);
  }

  /** Ends the stream with trailers (after any queued data). */
  end(trailers: Buffer): void {
    if (this.gone) return;
    this.gone = true;
    this.connection.endStream(this, trailers);
  }

  /** Headers, data and trailers at once: the whole answer of a unary call. */
  respond(headers: Buffer, data: Buffer, trailers: Buffer): void {
    if (this.gone || this.headersSent) return;
    this.headersSent = true;
    this.gone = true;
    this.connection.writeAnswer(this, headers, data, trailers);
  }

  /** Headers that end the stream (gRPC's Trailers-Only answer), or headers and a body for a non-gRPC request. */
  respondAndEnd(headers: Buffer, body?: Buffer): void {
    if (this.gone || this.headersSent) return;
    this.headersSent = true;
    this.gone = true;
    if (body === undefined) this.connection.writeHeaders(this, headers, true);
    else this.connection.writeAnswer(this, headers, body, undefined);
  }
}

export interface Http2ConnectionListener {
  /** A request's headers arrived. */
  onStream(stream: Http2Stream): void;
  /** The socket closed; every stream of the connection has been closed before. */
  onClose(): void;
}

/** The server side of one HTTP/2 connection. */
export class Http2ServerConnection {
  /** The client's SETTINGS_INITIAL_WINDOW_SIZE: every new stream's send window. */
  peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrame = 16_384;
  private sendWindow = DEFAULT_WINDOW;
  private receiveUnacknowledged = 0;
  private readonly streams = new Map<number, Http2Stream>();
  /** Streams with data waiting for window. */
  private readonly blocked = new Set<Http2Stream>();
  private readonly decoder = new HpackDecoder();
  private lastStreamId = 0;
  private prefaceSeen = false;
  private input: Buffer | undefined;
  /** The header block being collected across CONTINUATION frames. */
  private continuation: { streamId: number; endStream: boolean; fragments: Buffer[]; bytes: number } | undefined;
  private output: Buffer[] = [];
  private flushScheduled = false;
  private goAwaySent = false;
  private tableSizeUpdateDue = false;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly listener: Http2ConnectionListener,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.onSocketClose());
    socket.on('drain', () => socket.resume());
    this.sendSettings();
  }

  /** Asks the client to open no more streams; the socket closes once the open ones are done. */
  close(): void {
    this.goAway(ErrorCode.NoError);
    if (this.streams.size === 0) this.endSocket();
  }

  destroy(): void {
    this.socket.destroy();
  }

  // ---- receiving ----

  private receive(chunk: Buffer): void {
    let data = this.input === undefined ? chunk : Buffer.concat([this.input, chunk]);
    this.input = undefined;
    if (!this.prefaceSeen) {
      const compared = Math.min(data.length, PREFACE.length);
      if (data.compare(PREFACE, 0, compared, 0, compared) !== 0) {
        this.socket.destroy();
        return;
      }
      if (data.length < PREFACE.length) {
        this.input = data;
        return;
      }
      this.prefaceSeen = true;
      data = data.subarray(PREFACE.length);
    }
    let offset = 0;
    try {
      while (data.length - offset >= FRAME_HEADER_BYTES && !this.closed) {
        const length = data.readUIntBE(offset, 3);
        if (length > HTTP2_LIMITS.maxFrameBytes) throw new ConnectionError(ErrorCode.FrameSizeError, `Frame of ${length} bytes exceeds ${HTTP2_LIMITS.maxFrameBytes}`);
        if (data.length - offset < FRAME_HEADER_BYTES + length) break;
        const type = data[offset + 3];
        const flags = data[offset + 4];
        const streamId = data.readUInt32BE(offset + 5) & 0x7fffffff;
        const payload = data.subarray(offset + FRAME_HEADER_BYTES, offset + FRAME_HEADER_BYTES + length);
        offset += FRAME_HEADER_BYTES + length;
        this.onFrame(type, flags, streamId, payload);
      }
    } catch (error) {
      // A protocol error ends the connection; so does a fault of this server's own (never the process).
      const code = error instanceof ConnectionError ? error.code : ErrorCode.InternalError;
      this.goAway(code, (error as Error).message);
      this.endSocket();
      return;
    }
    if (offset < data.length) this.input = data.subarray(offset);
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.continuation !== undefined && type !== FrameType.Continuation) {
      throw new ConnectionError(ErrorCode.ProtocolError, 'Expected a CONTINUATION frame');
    }
    switch (type) {
      case FrameType.Data:
        return this.onData(flags, streamId, payload);
      case FrameType.Headers:
        return this.onHeaders(flags, streamId, payload);
      case FrameType.Continuation:
        return this.onContinuation(flags, streamId, payload);
      case FrameType.RstStream:
        return this.onReset(streamId, payload);
      case FrameType.Settings:
        return this.onSettings(flags, streamId, payload);
      case FrameType.Ping:
        return this.onPing(flags, streamId, payload);
      case FrameType.GoAway:
        return; // The client opens no more streams; the open ones go on.
      case FrameType.WindowUpdate:
        return this.onWindowUpdate(streamId, payload);
      case FrameType.PushPromise:
        throw new ConnectionError(ErrorCode.ProtocolError, 'A client may not push');
      default:
        return; // PRIORITY and unknown frame types are ignored (RFC 9113, 4.1 and 5.3.2).
    }
  }

  private onHeaders(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(ErrorCode.ProtocolError, 'HEADERS on stream 0');
    let start = 0;
    let end = payload.length;
    if (flags & Flag.Padded) {
      end -= payload[0];
      start = 1;
    }
    if (flags & Flag.Priority) start += 5;
    if (start > end) throw new ConnectionError(ErrorCode.ProtocolError, 'HEADERS padding exceeds the frame');
    const fragment = payload.subarray(start, end);
    const endStream = (flags & Flag.EndStream) !== 0;
    if (flags & Flag.EndHeaders) {
      this.onHeaderBlock(streamId, endStream, fragment);
    } else {
      this.continuation = { streamId, endStream, fragments: [fragment], bytes: fragment.length };
    }
  }

  private onContinuation(flags: number, streamId: number, payload: Buffer): void {
    const continuation = this.continuation;
    if (continuation === undefined || continuation.streamId !== streamId) throw new ConnectionError(ErrorCode.ProtocolError, 'Unexpected CONTINUATION frame');
    continuation.fragments.push(payload);
    continuation.bytes += payload.length;
    if (continuation.bytes > HTTP2_LIMITS.maxHeaderBlockBytes) {
      throw new ConnectionError(ErrorCode.EnhanceYourCalm, `Header block exceeds ${HTTP2_LIMITS.maxHeaderBlockBytes} bytes`);
    }
    if (flags & Flag.EndHeaders) {
      this.continuation = undefined;
      this.onHeaderBlock(streamId, continuation.endStream, Buffer.concat(continuation.fragments, continuation.bytes));
    }
  }

  private onHeaderBlock(streamId: number, endStream: boolean, block: Buffer): void {
    // The block is decoded even for a stream that is gone: the HPACK table must see every block.
    // No prototype: a header named like an Object method ("constructor") is just a header.
    const headers = Object.create(null) as RequestHeaders;
    try {
      this.decoder.decode(block, (name, value) => addHeader(headers, name, value));
    } catch (error) {
      if (error instanceof HpackError) throw new ConnectionError(ErrorCode.CompressionError, error.message);
      throw error;
    }
    const existing = this.streams.get(streamId);
    if (existing !== undefined) {
      // Trailers from the client: they end its side.
      if (!endStream) throw new ConnectionError(ErrorCode.ProtocolError, `Second HEADERS on stream ${streamId} without END_STREAM`);
      this.endReceived(existing);
      return;
    }
    if (streamId % 2 === 0 || streamId <= this.lastStreamId) {
      if (streamId % 2 === 0) throw new ConnectionError(ErrorCode.ProtocolError, `Client stream ${streamId} is even`);
      return; // A stream this side already closed: its frames may still be in flight.
    }
    this.lastStreamId = streamId;
    if (this.goAwaySent) {
      this.writeFrame(FrameType.RstStream, 0, streamId, uint32(ErrorCode.RefusedStream));
      return;
    }
    const stream = new Http2Stream(streamId, headers, this);
    this.streams.set(streamId, stream);
    this.listener.onStream(stream);
    if (endStream) this.endReceived(stream);
  }

  private onData(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new ConnectionError(ErrorCode.ProtocolError, 'DATA on stream 0');
    // Flow control counts the whole payload, padding included, whether or not the stream still exists.
    this.receiveUnacknowledged += payload.length;
    if (this.receiveUnacknowledged > HTTP2_LIMITS.connectionWindowBytes) throw new ConnectionError(ErrorCode.FlowControlError, 'Data beyond the connection window');
    if (this.receiveUnacknowledged >= HTTP2_LIMITS.connectionWindowBytes / 2) {
      this.writeFrame(FrameType.WindowUpdate, 0, 0, uint32(this.receiveUnacknowledged));
      this.receiveUnacknowledged = 0;
    }
    const stream = this.streams.get(streamId);
    if (stream === undefined || stream.receiveEnded) {
      if (streamId > this.lastStreamId) throw new ConnectionError(ErrorCode.ProtocolError, `DATA on idle stream ${streamId}`);
      return;
    }
    let data = payload;
    if (flags & Flag.Padded) {
      const padding = payload[0];
      if (padding >= payload.length) throw new ConnectionError(ErrorCode.ProtocolError, 'DATA padding exceeds the frame');
      data = payload.subarray(1, payload.length - padding);
    }
    stream.receiveUnacknowledged += payload.length;
    if (stream.receiveUnacknowledged > HTTP2_LIMITS.streamWindowBytes) throw new ConnectionError(ErrorCode.FlowControlError, `Data beyond stream ${streamId}'s window`);
    const endStream = (flags & Flag.EndStream) !== 0;
    if (!endStream && stream.receiveUnacknowledged >= HTTP2_LIMITS.streamWindowBytes / 2) {
      this.writeFrame(FrameType.WindowUpdate, 0, streamId, uint32(stream.receiveUnacknowledged));
      stream.receiveUnacknowledged = 0;
    }
    if (data.length > 0) stream.onData?.(data);
    if (endStream) this.endReceived(stream);
  }

  private endReceived(stream: Http2Stream): void {
    if (stream.receiveEnded) return;
    stream.receiveEnded = true;
    stream.onEnd?.();
    if (stream.sendEnded) this.closeStream(stream);
  }

  private onReset(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(ErrorCode.FrameSizeError, 'RST_STREAM payload is not 4 bytes');
    const stream = this.streams.get(streamId);
    if (stream !== undefined) this.closeStream(stream);
  }

  private onSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new ConnectionError(ErrorCode.ProtocolError, 'SETTINGS on a stream');
    if (flags & ACK) return;
    if (payload.length % 6 !== 0) throw new ConnectionError(ErrorCode.FrameSizeError, 'SETTINGS payload is not a multiple of 6 bytes');
    for (let offset = 0; offset < payload.length; offset += 6) {
      const value = payload.readUInt32BE(offset + 2);
      switch (payload.readUInt16BE(offset)) {
        case Setting.HeaderTableSize:
          // This side's answers never use the dynamic table; a block after a change says the table is empty.
          this.tableSizeUpdateDue = true;
          break;
        case Setting.InitialWindowSize:
          if (value > MAX_WINDOW) throw new ConnectionError(ErrorCode.FlowControlError, 'SETTINGS_INITIAL_WINDOW_SIZE above 2^31-1');
          for (const stream of this.streams.values()) stream.sendWindow += value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          break;
        case Setting.MaxFrameSize:
          if (value < 16_384 || value > 16_777_215) throw new ConnectionError(ErrorCode.ProtocolError, 'SETTINGS_MAX_FRAME_SIZE out of range');
          this.peerMaxFrame = value;
          break;
        default:
          break; // ENABLE_PUSH (this side never pushes), MAX_CONCURRENT_STREAMS (nor opens streams), MAX_HEADER_LIST_SIZE, unknown.
      }
    }
    this.writeFrame(FrameType.Settings, ACK, 0, EMPTY);
    this.flushBlocked();
  }

  private onPing(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new ConnectionError(ErrorCode.ProtocolError, 'PING on a stream');
    if (payload.length !== 8) throw new ConnectionError(ErrorCode.FrameSizeError, 'PING payload is not 8 bytes');
    if (!(flags & ACK)) this.writeFrame(FrameType.Ping, ACK, 0, Buffer.from(payload));
  }

  private onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) throw new ConnectionError(ErrorCode.FrameSizeError, 'WINDOW_UPDATE payload is not 4 bytes');
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (streamId === 0) {
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW) throw new ConnectionError(ErrorCode.FlowControlError, 'Connection window above 2^31-1');
    } else {
      const stream = this.streams.get(streamId);
      if (stream === undefined) return;
      stream.sendWindow += increment;
    }
    this.flushBlocked();
  }

  // ---- sending ----

  /** @internal */
  writeHeaders(stream: Http2Stream, block: Buffer, endStream: boolean): void {
    this.writeFrame(FrameType.Headers, Flag.EndHeaders | (endStream ? Flag.EndStream : 0), stream.id, this.headerBlock(block));
    if (endStream) this.endSent(stream);
  }

  /** @internal */
  writeData(stream: Http2Stream, data: Buffer): boolean {
    if (stream.queued.length === 0 && this.fits(stream, data.length)) {
      this.spend(stream, data.length);
      this.writeFrame(FrameType.Data, 0, stream.id, data);
      return true;
    }
    stream.queued.push(data);
    this.blocked.add(stream);
    this.flushBlocked();
    return stream.queued.length === 0;
  }

  /** @internal */
  endStream(stream: Http2Stream, trailers: Buffer): void {
    if (stream.queued.length > 0) {
      stream.queuedTrailers = trailers;
      return;
    }
    this.writeHeaders(stream, trailers, true);
  }

  /**
   * @internal Headers, one DATA frame and trailers in one buffer when the data fits the windows (the usual unary
   * answer); trailers undefined ends the stream with the data.
   */
  writeAnswer(stream: Http2Stream, headers: Buffer, data: Buffer, trailers: Buffer | undefined): void {
    headers = this.headerBlock(headers);
    if (!this.fits(stream, data.length)) {
      this.writeFrame(FrameType.Headers, Flag.EndHeaders, stream.id, headers);
      stream.queued.push(data);
      stream.queuedTrailers = trailers ?? EMPTY_DATA_END;
      this.blocked.add(stream);
      this.flushBlocked();
      return;
    }
    this.spend(stream, data.length);
    const size = 3 * FRAME_HEADER_BYTES + headers.length + data.length + (trailers?.length ?? 0);
    const out = Buffer.allocUnsafe(trailers === undefined ? size - FRAME_HEADER_BYTES : size);
    let offset = writeFrameHeader(out, 0, headers.length, FrameType.Headers, Flag.EndHeaders, stream.id);
    offset += headers.copy(out, offset);
    offset = writeFrameHeader(out, offset, data.length, FrameType.Data, trailers === undefined ? Flag.EndStream : 0, stream.id);
    offset += data.copy(out, offset);
    if (trailers !== undefined) {
      offset = writeFrameHeader(out, offset, trailers.length, FrameType.Headers, Flag.EndHeaders | Flag.EndStream, stream.id);
      trailers.copy(out, offset);
    }
    this.write(out);
    this.endSent(stream);
  }

  private fits(stream: Http2Stream, length: number): boolean {
    return length <= this.sendWindow && length <= stream.sendWindow && length <= this.peerMaxFrame;
  }

  private spend(stream: Http2Stream, length: number): void {
    this.sendWindow -= length;
    stream.sendWindow -= length;
  }

  /** Sends what the windows now allow of each blocked stream's data, and its trailers once the data is out. */
  private flushBlocked(): void {
    for (const stream of this.blocked) {
      while (stream.queued.length > 0) {
        const next = stream.queued[0];
        const allowed = Math.min(this.sendWindow, stream.sendWindow, this.peerMaxFrame);
        if (allowed <= 0 && next.length > 0) break;
        const chunk = next.length <= allowed ? next : next.subarray(0, allowed);
        if (chunk === next) stream.queued.shift();
        else stream.queued[0] = next.subarray(allowed);
        this.spend(stream, chunk.length);
        const ends = stream.queued.length === 0 && stream.queuedTrailers === EMPTY_DATA_END;
        this.writeFrame(FrameType.Data, ends ? Flag.EndStream : 0, stream.id, chunk);
        if (ends) this.endSent(stream);
      }
      if (stream.queued.length > 0) continue;
      this.blocked.delete(stream);
      const trailers = stream.queuedTrailers;
      stream.queuedTrailers = undefined;
      if (trailers !== undefined && trailers !== EMPTY_DATA_END) this.writeHeaders(stream, trailers, true);
    }
  }

  private endSent(stream: Http2Stream): void {
    stream.sendEnded = true;
    stream.gone = true;
    if (stream.receiveEnded) {
      this.closeStream(stream);
      return;
    }
    // The answer is complete before the request: the client need not send the rest (RFC 9113, 8.1).
    this.writeFrame(FrameType.RstStream, 0, stream.id, uint32(ErrorCode.NoError));
    this.closeStream(stream);
  }

  private closeStream(stream: Http2Stream): void {
    if (!this.streams.delete(stream.id)) return;
    stream.gone = true;
    this.blocked.delete(stream);
    stream.queued.length = 0;
    stream.onClose?.();
    if (this.goAwaySent && this.streams.size === 0) this.endSocket();
  }

  private headerBlock(block: Buffer): Buffer {
    if (!this.tableSizeUpdateDue) return block;
    this.tableSizeUpdateDue = false;
    return Buffer.concat([TABLE_SIZE_ZERO, block]);
  }

  private sendSettings(): void {
    const settings = Buffer.alloc(12);
    settings.writeUInt16BE(Setting.InitialWindowSize, 0);
    settings.writeUInt32BE(HTTP2_LIMITS.streamWindowBytes, 2);
    settings.writeUInt16BE(Setting.MaxHeaderListSize, 6);
    settings.writeUInt32BE(HTTP2_LIMITS.maxHeaderBlockBytes, 8);
    this.writeFrame(FrameType.Settings, 0, 0, settings);
    this.writeFrame(FrameType.WindowUpdate, 0, 0, uint32(HTTP2_LIMITS.connectionWindowBytes - DEFAULT_WINDOW));
  }

  private goAway(code: ErrorCode, message = ''): void {
    if (this.goAwaySent) return;
    this.goAwaySent = true;
    const payload = Buffer.alloc(8 + Buffer.byteLength(message));
    payload.writeUInt32BE(this.lastStreamId, 0);
    payload.writeUInt32BE(code, 4);
    payload.write(message, 8);
    this.writeFrame(FrameType.GoAway, 0, 0, payload);
  }

  private writeFrame(type: FrameType, flags: number, streamId: number, payload: Buffer): void {
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES + (payload.length <= 256 ? payload.length : 0));
    writeFrameHeader(header, 0, payload.length, type, flags, streamId);
    if (payload.length <= 256) {
      payload.copy(header, FRAME_HEADER_BYTES);
      this.write(header);
    } else {
      this.write(header);
      this.write(payload);
    }
  }

  /**
   * Output is gathered and written once per event loop turn (setImmediate): the answers to a batch of broker
   * replies leave in one writev instead of one syscall each.
   */
  private write(bytes: Buffer): void {
    if (this.closed) return;
    this.output.push(bytes);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const output = this.output;
    this.output = [];
    if (this.closed || output.length === 0) return;
    if (output.length === 1) {
      this.socket.write(output[0]);
    } else {
      this.socket.cork();
      for (const bytes of output) this.socket.write(bytes);
      this.socket.uncork();
    }
    if (this.socket.writableLength > HTTP2_LIMITS.unreadOutputBytes) this.socket.pause();
  }

  private endSocket(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.socket.end();
  }

  private onSocketClose(): void {
    this.closed = true;
    for (const stream of [...this.streams.values()]) this.closeStream(stream);
    this.listener.onClose();
  }
}

class ConnectionError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const EMPTY = Buffer.alloc(0);
/** Marks queued data whose last frame ends the stream (an answer without trailers). */
const EMPTY_DATA_END = Buffer.alloc(0);

function addHeader(headers: RequestHeaders, name: string, value: string): void {
  const existing = headers[name];
  if (existing === undefined) headers[name] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else headers[name] = [existing, value];
}

function uint32(value: number): Buffer {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32BE(value, 0);
  return bytes;
}

function writeFrameHeader(out: Buffer, offset: number, length: number, type: FrameType, flags: number, streamId: number): number {
  out.writeUIntBE(length, offset, 3);
  out[offset + 3] = type;
  out[offset + 4] = flags;
  out.writeUInt32BE(streamId, offset + 5);
  return offset + FRAME_HEADER_BYTES;
}

