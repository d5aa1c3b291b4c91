import { once } from 'node:events';
import { connect as http2Connect, type ClientHttp2Session, type OutgoingHttpHeaders, type SecureClientSessionOptions } from 'node:http2';
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { GRPC_STATUS } from '../../errors.js';
import { GrpcServer } from './grpc-server.js';
import { HpackDecoder, HpackError } from './hpack.js';
import type { RequestMetadata } from './server-call.js';

// The gateway's HTTP/2 layer against node:http2's client (nghttp2: Huffman-coded strings, the dynamic table, flow
// control as a real peer does it) and against raw bytes where a client would never break the protocol.

const MAX_MESSAGE_BYTES = 8 << 20;
const identity = { requestDeserialize: (bytes: Buffer) => bytes, responseSerialize: (bytes: Buffer) => bytes };

let server: GrpcServer;
let port: number;
const seenMetadata: string[][] = [];
let bigAnswers = 0;

beforeAll(async () => {
  server = new GrpcServer({ maxMessageBytes: MAX_MESSAGE_BYTES, errorStatus: () => ({ code: GRPC_STATUS.INTERNAL, details: 'failed' }) });
  server.addUnary('/test.Echo/Echo', 'Echo', identity, (request: Buffer) => request);
  // Answers with as many bytes as the request's first four bytes say.
  server.addUnary('/test.Echo/Big', 'Big', identity, (request: Buffer) => {
    bigAnswers++;
    return Buffer.alloc(request.readUInt32BE(0), 7);
  });
  server.addUnary('/test.Echo/Metadata', 'Metadata', identity, (_request: Buffer, metadata: RequestMetadata) => {
    seenMetadata.push(metadata.get('x-value') as string[]);
    return Buffer.alloc(0);
  });
  server.addServerStream('/test.Echo/Count', 'Count', identity, (call) => {
    const count = (call.request as Buffer).readUInt32BE(0);
    for (let i = 0; i < count; i++) call.write(Buffer.alloc(1000, i & 0xff));
    call.end();
  });
  port = await server.listen('127.0.0.1', 0);
});

afterAll(async () => {
  await server.close(1_000);
});

interface Answer {
  status: number | undefined;
  grpcStatus: string | undefined;
  messages: Buffer[];
}

function connect(settings: SecureClientSessionOptions['settings'] = {}): ClientHttp2Session {
  const session = http2Connect(`http://127.0.0.1:${port}`, { settings });
  session.on('error', () => {});
  return session;
}

function call(session: ClientHttp2Session, path: string, message: Buffer, headers: OutgoingHttpHeaders = {}): Promise<Answer> {
  const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', ...headers });
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(message.length, 1);
  stream.end(Buffer.concat([prefix, message]));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let status: number | undefined;
    let grpcStatus: string | undefined;
    stream.on('response', (received) => {
      status = received[':status'];
      grpcStatus ??= received['grpc-status'] as string | undefined;
    });
    stream.on('trailers', (trailers) => (grpcStatus = trailers['grpc-status'] as string | undefined));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('close', () => resolve({ status, grpcStatus, messages: splitMessages(Buffer.concat(chunks)) }));
  });
}

function splitMessages(body: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  for (let offset = 0; offset < body.length; ) {
    const length = body.readUInt32BE(offset + 1);
    messages.push(body.subarray(offset + 5, offset + 5 + length));
    offset += 5 + length;
  }
  return messages;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Condition not met in time');
    await sleep(20);
  }
}

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

describe('flow control', () => {
  test('an answer larger than the client window and its frame size arrives whole once the client opens its window', async () => {
    const session = connect({ initialWindowSize: 20_000 });
    try {
      const answer = await call(session, '/test.Echo/Big', uint32(3_000_000));

      expect(answer.grpcStatus).toBe('0');
      expect(answer.messages).toHaveLength(1);
      expect(answer.messages[0].length).toBe(3_000_000);
      expect(answer.messages[0].every((byte) => byte === 7)).toBe(true);
    } finally {
      session.destroy();
    }
  });

  test('a request larger than the server window (1 MiB) is taken in, the server opening its window as it reads', async () => {
    const session = connect();
    try {
      const request = Buffer.alloc(5_000_000);
      for (let i = 0; i < request.length; i += 4096) request[i] = i & 0xff;

      const answer = await call(session, '/test.Echo/Echo', request);

      expect(answer.grpcStatus).toBe('0');
      expect(answer.messages[0].equals(request)).toBe(true);
    } finally {
      session.destroy();
    }
  });

  test('a server stream of 2,000 messages through a 16 KiB window: all arrive, in order, then the OK trailers', async () => {
    const session = connect({ initialWindowSize: 16_384 });
    try {
      const answer = await call(session, '/test.Echo/Count', uint32(2_000));

      expect(answer.grpcStatus).toBe('0');
      expect(answer.messages.map((message) => message[0])).toEqual(Array.from({ length: 2_000 }, (_, i) => i & 0xff));
    } finally {
      session.destroy();
    }
  });
});

describe('header compression', () => {
  test('metadata values (Huffman-coded, indexed, evicted from a 4 KiB table) reach the handler unchanged', async () => {
    const session = connect();
    seenMetadata.length = 0;
    const values = Array.from({ length: 300 }, (_, i) => `${i % 7 === 0 ? 'x'.repeat(900 + i) : 'value'}-${i % 13}-äß`);
    try {
      for (const value of values) {
        const answer = await call(session, '/test.Echo/Metadata', Buffer.alloc(0), { 'x-value': value, 'x-same': 'constant header, sent indexed after the first call' });
        expect(answer.grpcStatus).toBe('0');
      }
      // node:http2 sends header values as latin1 bytes.
      expect(seenMetadata).toEqual(values.map((value) => [Buffer.from(value, 'latin1').toString('latin1')]));
    } finally {
      session.destroy();
    }
  });

  test('RFC 7541 C.4: three requests with Huffman-coded strings sharing one dynamic table', () => {
    const decoder = new HpackDecoder();
    const decode = (hex: string): [string, string][] => {
      const fields: [string, string][] = [];
      decoder.decode(Buffer.from(hex.replace(/ /g, ''), 'hex'), (name, value) => fields.push([name, value]));
      return fields;
    };

    expect(decode('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff')).toEqual([[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']]);
    expect(decode('8286 84be 5886 a8eb 1064 9cbf')).toEqual([[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache']]);
    expect(decode('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf')).toEqual([
      [':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value'],
    ]);
  });

  test.each([
    { name: 'an index past both tables', hex: 'ff00', message: /past the tables/ },
    { name: 'a string longer than its block', hex: '000361', message: /runs past the end/ },
    { name: 'Huffman padding of zeros', hex: '00810000', message: /bad padding/ },
    { name: 'a table size above the announced 4096', hex: '3fe21f', message: /exceeds the announced/ },
  ])('$name is a compression error', ({ hex, message }) => {
    expect(() => new HpackDecoder().decode(Buffer.from(hex, 'hex'), () => {})).toThrow(HpackError);
    expect(() => new HpackDecoder().decode(Buffer.from(hex, 'hex'), () => {})).toThrow(message);
  });
});

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

describe('a client that does not read its answers', () => {
  test('once 16 MiB of answers wait for it, its further requests are not read; when it reads, all are answered', async () => {
    const socket: Socket = tcpConnect(port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    socket.pause();
    // SETTINGS_INITIAL_WINDOW_SIZE 2^31-1 and the connection window as large: flow control never holds an answer back.
    const settings = Buffer.alloc(6);
    settings.writeUInt16BE(4, 0);
    settings.writeUInt32BE(2 ** 31 - 1, 2);
    socket.write(Buffer.concat([PREFACE, frame(4, 0, 0, settings), frame(8, 0, 0, uint32(2 ** 31 - 1 - 65_535))]));
    // :method POST (static index 3), :path and content-type as literals with indexed names.
    const path = '/test.Echo/Big';
    const block = Buffer.concat([Buffer.from([0x83, 0x04, path.length]), Buffer.from(path), Buffer.from([0x0f, 0x10, 16]), Buffer.from('application/grpc')]);
    const message = Buffer.concat([Buffer.from([0, 0, 0, 0, 4]), uint32(4_000_000)]);
    bigAnswers = 0;
    const requests = 40;
    for (let i = 0; i < requests; i++) {
      const streamId = 2 * i + 1;
      socket.write(Buffer.concat([frame(1, 0x4, streamId, block), frame(0, 0x1, streamId, message)]));
      await sleep(20);
    }
    await sleep(300);
    // 16 MiB in the server's buffer plus what the kernel's socket buffers hold: far fewer than 40 answers of 4 MB.
    expect(bigAnswers).toBeGreaterThan(0);
    expect(bigAnswers).toBeLessThan(requests / 2);

    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.resume();
    await until(() => bigAnswers === requests && received >= requests * 4_000_000);
    socket.destroy();
  });
});

describe('protocol errors', () => {
  /** Writes bytes after the preface and an empty SETTINGS; resolves with the GOAWAY's error code and message. */
  async function goAwayFor(bytes: Buffer): Promise<{ code: number; message: string }> {
    const socket: Socket = tcpConnect(port, '127.0.0.1');
    socket.on('error', () => {});
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    await once(socket, 'connect');
    socket.write(Buffer.concat([PREFACE, frame(4, 0, 0, Buffer.alloc(0)), bytes]));
    await once(socket, 'close');
    const all = Buffer.concat(received);
    for (let offset = 0; offset + 9 <= all.length; offset += 9 + all.readUIntBE(offset, 3)) {
      if (all[offset + 3] === 7) {
        const payload = all.subarray(offset + 9, offset + 9 + all.readUIntBE(offset, 3));
        return { code: payload.readUInt32BE(4), message: payload.subarray(8).toString() };
      }
    }
    throw new Error('The server closed the connection without a GOAWAY');
  }

  test.each([
    { name: 'HEADERS on stream 0', bytes: frame(1, 0x5, 0, Buffer.from([0x82])), code: 1, message: 'HEADERS on stream 0' },
    { name: 'a stream id the client may not use (even)', bytes: frame(1, 0x5, 2, Buffer.from([0x83, 0x84])), code: 1, message: 'Client stream 2 is even' },
    { name: 'a header block that does not decode', bytes: frame(1, 0x5, 1, Buffer.from([0xff, 0x00])), code: 9, message: 'Header index 127 is past the tables' },
    { name: 'a frame larger than 16 KiB', bytes: frame(0, 0, 1, Buffer.alloc(20_000)), code: 6, message: 'Frame of 20000 bytes exceeds 16384' },
    { name: 'a PING of 3 bytes', bytes: frame(6, 0, 0, Buffer.alloc(3)), code: 6, message: 'PING payload is not 8 bytes' },
  ])('$name: GOAWAY with the error and its reason, and the server goes on serving', async ({ bytes, code, message }) => {
    expect(await goAwayFor(bytes)).toEqual({ code, message });

    const session = connect();
    try {
      expect((await call(session, '/test.Echo/Echo', Buffer.from('still here'))).messages[0].toString()).toBe('still here');
    } finally {
      session.destroy();
    }
  });

  test('a PING is answered with its payload', async () => {
    const session = connect();
    try {
      await once(session, 'connect');
      const payload = Buffer.from('12345678');
      const echoed = await new Promise<Buffer>((resolve, reject) => session.ping(payload, (error, _ms, answer) => (error ? reject(error) : resolve(answer))));
      expect(echoed.equals(payload)).toBe(true);
    } finally {
      session.destroy();
    }
  });
});
