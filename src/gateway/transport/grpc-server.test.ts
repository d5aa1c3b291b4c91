import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import { once } from 'node:events';
import { connect as http2Connect, type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http2';
import { connect as tcpConnect } from 'node:net';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { TributaryError } from '../../errors.js';
import { encodeKey } from '../../protocol/index.js';
import { GatewayServer } from '../gateway-server.js';
import type { GatewayLogger } from '../grpc-errors.js';
import { loadGatewayService } from '../proto-definition.js';
import { eventFor, FakeBrokerClient } from '../test-support/fake-broker-client.js';
import { callUnary, rawGatewayClient, type RawGatewayClient } from '../test-support/raw-client.js';

/** Small, so that "too large" needs no megabytes in a test. */
const MAX_MESSAGE_BYTES = 64 * 1024;
const ANSWER_TIMEOUT_MS = 2_000;
const service = loadGatewayService();
const TOPOLOGY = service.Topology.path;
const COMPLETE_JOB = service.CompleteJob.path;

interface RawAnswer {
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP/2 request on a raw session: the bytes go out as given, which no gRPC client would send. */
function send(session: ClientHttp2Session, headers: OutgoingHttpHeaders, body: Buffer | undefined, endStream = true): { stream: ClientHttp2Stream; answer: Promise<RawAnswer> } {
  const stream = session.request(headers, { endStream: body === undefined });
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    let responseHeaders: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (received) => (responseHeaders = received));
    stream.on('trailers', (received) => (trailers = received));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ headers: responseHeaders, trailers, body: Buffer.concat(chunks) }));
    stream.on('error', reject);
  });
  if (body !== undefined) {
    if (endStream) stream.end(body);
    else stream.write(body);
  }
  return { stream, answer };
}

function grpcPost(session: ClientHttp2Session, path: string, body: Buffer, headers: OutgoingHttpHeaders = {}, endStream = true) {
  return send(session, { ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers }, body, endStream);
}

/** A length-prefixed message; flag 1 marks it compressed. */
function frame(message: Buffer, compressed = false): Buffer {
  const header = Buffer.alloc(5);
  header[0] = compressed ? 1 : 0;
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

function completeJobMessage(jobKey: bigint, variables: object = {}): Buffer {
  return service.CompleteJob.requestSerialize({ jobKey: jobKey.toString(), variables: JSON.stringify(variables) });
}

/** The status of an answer without messages, read where "Trailers-Only" puts it: the response headers. */
function trailersOnlyStatus(answer: RawAnswer): { code: number; message: string } {
  expect(answer.headers[':status']).toBe(200);
  expect(answer.body.length).toBe(0);
  return { code: Number(answer.headers['grpc-status']), message: String(answer.headers['grpc-message']) };
}

/** Topology on the given session, asserting it succeeds: the connection still serves calls. */
async function expectTopologyServed(session: ClientHttp2Session): Promise<void> {
  const answer = await grpcPost(session, TOPOLOGY, frame(Buffer.alloc(0))).answer;
  expect(answer.trailers['grpc-status']).toBe('0');
  expect(service.Topology.responseDeserialize(answer.body.subarray(5))).toMatchObject({ partitionsCount: 3 });
}

function withTimeout<T>(promise: Promise<T>, timeoutMs = ANSWER_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for a condition');
    await sleep(5);
  }
}

/** 'connected', or the code of the error a TCP connection to the port ends with. */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Resolves with the status a server-streaming call ended with (CANCELLED when the client cancelled it). */
function streamEnd(call: ClientReadableStream<unknown>): Promise<number> {
  return new Promise((resolve) => {
    call.on('data', () => {});
    call.on('error', (error: ServiceError) => resolve(error.code));
    call.on('end', () => resolve(0));
  });
}

describe('GrpcServer under the gateway, driven by raw HTTP/2 and grpc-js clients', () => {
  const broker = new FakeBrokerClient();
  const logged: string[] = [];
  const logger: GatewayLogger = { error: (message) => logged.push(message) };
  const server = new GatewayServer(broker, { host: '127.0.0.1', port: 0, maxMessageSizeBytes: MAX_MESSAGE_BYTES, longPollingTimeoutDefaultMs: 30_000, logger });
  let port: number;
  let raw: RawGatewayClient;
  let session: ClientHttp2Session;

  beforeAll(async () => {
    port = await server.start();
    raw = rawGatewayClient(port);
  });

  afterAll(async () => {
    raw.close();
    await server.stop();
  });

  beforeEach(() => {
    broker.commands.length = 0;
    broker.jobStreams.length = 0;
    broker.respond = (sent) => eventFor(sent);
    logged.length = 0;
    session = http2Connect(`http://127.0.0.1:${port}`);
    session.on('error', () => {});
  });

  afterEach(() => {
    session.destroy();
  });

  test.each(['/gateway_protocol.Gateway/Nope', '/other.Service/X'])('%s: UNIMPLEMENTED naming the path, and the connection still serves', async (path) => {
    const answer = await grpcPost(session, path, frame(Buffer.alloc(0))).answer;

    expect(trailersOnlyStatus(answer)).toEqual({ code: 12, message: `The server does not implement the method ${path}` });
    await expectTopologyServed(session);
  });

  test.each([
    { name: 'a GET', headers: { ':method': 'GET', ':path': TOPOLOGY }, status: 405 },
    { name: 'a POST of text/plain', headers: { ':method': 'POST', ':path': TOPOLOGY, 'content-type': 'text/plain' }, status: 415 },
  ])('$name is not gRPC: HTTP $status with a JSON body, and the connection still serves', async ({ headers, status }) => {
    const answer = await send(session, headers, headers[':method'] === 'POST' ? Buffer.from('hello') : undefined).answer;

    expect(answer.headers[':status']).toBe(status);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer.body.toString())).toEqual({ error: expect.stringMatching(/^Expected /) });
    await expectTopologyServed(session);
  });

  const message = completeJobMessage(encodeKey(1, 5n));
  test.each([
    { body: 'empty', bytes: Buffer.alloc(0), code: 13, details: 'Expected one request message, but the request had none' },
    { body: 'cut inside the 5-byte header', bytes: Buffer.from([0, 0, 0]), code: 13, details: 'The request ended inside a message header' },
    { body: 'cut inside the message', bytes: frame(message).subarray(0, -2), code: 13, details: 'The request ended inside a message' },
    { body: 'two messages', bytes: Buffer.concat([frame(message), frame(message)]), code: 12, details: 'Expected one request message, but the request had more' },
    // Field 1 (jobKey, a varint) whose varint never ends.
    { body: 'a message that does not decode', bytes: frame(Buffer.from([0x08, 0xff])), code: 13, details: expect.stringMatching(/^Error deserializing request: index out of range/) },
  ])('a unary request body $body: status $code, and no handler runs', async ({ bytes, code, details }) => {
    const answer = await grpcPost(session, COMPLETE_JOB, bytes).answer;

    expect(trailersOnlyStatus(answer)).toEqual({ code, message: details });
    expect(broker.commands).toEqual([]);
  });

  test('a message declared larger than the limit is refused RESOURCE_EXHAUSTED once its header arrives', async () => {
    const declaredBytes = 100 * 1024 * 1024;
    const header = Buffer.alloc(5);
    header.writeUInt32BE(declaredBytes, 1);
    // Only the header is sent and the request stays open: the answer must not wait for the 100 MB.
    const { stream, answer } = grpcPost(session, COMPLETE_JOB, header, {}, false);

    const refused = await withTimeout(answer);

    expect(trailersOnlyStatus(refused)).toEqual({ code: 8, message: `Received message larger than max (${declaredBytes} vs. ${MAX_MESSAGE_BYTES})` });
    expect(broker.commands).toEqual([]);
    stream.close();
  });

  test.each([
    { encoding: 'gzip', compress: gzipSync },
    { encoding: 'deflate', compress: deflateSync },
  ])('a $encoding-compressed request frame is decompressed and served', async ({ encoding, compress }) => {
    const key = encodeKey(2, 9n);
    const note = 'compressible '.repeat(500);

    const answer = await grpcPost(session, COMPLETE_JOB, frame(compress(completeJobMessage(key, { note })), true), { 'grpc-encoding': encoding }).answer;

    expect(answer.trailers['grpc-status']).toBe('0');
    expect(broker.commands.map((sent) => sent.command)).toMatchObject([{ valueType: 'JOB', intent: 'COMPLETE', key, value: { variables: { note } } }]);
  });

  test.each([
    { encoding: 'gzip', algorithm: 2 },
    { encoding: 'deflate', algorithm: 1 },
  ])('a grpc-js client sending $encoding-compressed requests is served', async ({ algorithm }) => {
    const compressing = rawGatewayClient(port, { 'grpc.default_compression_algorithm': algorithm });
    const key = encodeKey(3, 11n);
    const note = 'compressible '.repeat(500);
    try {
      await callUnary(compressing, 'CompleteJob', { jobKey: key.toString(), variables: JSON.stringify({ note }) });
    } finally {
      compressing.close();
    }

    expect(broker.commands.map((sent) => sent.command)).toMatchObject([{ valueType: 'JOB', intent: 'COMPLETE', key, value: { variables: { note } } }]);
  });

  test.each([
    { encoding: 'identity', headers: { 'grpc-encoding': 'identity' } },
    { encoding: 'snappy', headers: { 'grpc-encoding': 'snappy' } },
    { encoding: 'identity', headers: {} },
  ])('a compressed frame with grpc-encoding $headers is UNIMPLEMENTED', async ({ encoding, headers }) => {
    const answer = await grpcPost(session, COMPLETE_JOB, frame(gzipSync(message), true), headers).answer;

    expect(trailersOnlyStatus(answer)).toEqual({ code: 12, message: `Expected a request compressed with gzip or deflate, but grpc-encoding is '${encoding}'` });
    expect(broker.commands).toEqual([]);
  });

  test('a gzip bomb that inflates beyond the limit is refused RESOURCE_EXHAUSTED', async () => {
    const bomb = gzipSync(Buffer.alloc(MAX_MESSAGE_BYTES * 16));
    expect(bomb.length).toBeLessThan(MAX_MESSAGE_BYTES);

    const answer = await grpcPost(session, COMPLETE_JOB, frame(bomb, true), { 'grpc-encoding': 'gzip' }).answer;

    expect(trailersOnlyStatus(answer)).toEqual({ code: 8, message: `Received message larger than max (${MAX_MESSAGE_BYTES + 1} vs. ${MAX_MESSAGE_BYTES})` });
    expect(broker.commands).toEqual([]);
  });

  test('an error message with non-ASCII characters and % reaches the grpc-js client unchanged', async () => {
    const details = 'Zürich 100% – 東京 %41';
    broker.respond = () => {
      throw new TributaryError('NOT_FOUND', details);
    };

    const error = await callUnary(raw, 'CompleteJob', { jobKey: encodeKey(1, 6n).toString() }).then(
      () => undefined,
      (failure: ServiceError) => failure,
    );

    expect(error).toMatchObject({ code: 5, details });
  });

  test('a job stream the client cancels closes the broker side of the stream', async () => {
    const call = raw.StreamActivatedJobs({ type: 'notify', worker: 'w', timeout: 1_000 }) as ClientReadableStream<unknown>;
    const ended = streamEnd(call);
    await until(() => broker.jobStreams.length === 1);
    const opened = broker.jobStreams[0];
    expect(opened.closed).toBe(false);

    call.cancel();

    expect(await ended).toBe(1);
    await until(() => opened.closed);
    expect(logged).toEqual([]);
  });

  test('a long poll the client cancels ends without error and no longer waits for jobs', async () => {
    const call = raw.ActivateJobs({ type: 'late', worker: 'w', timeout: 1_000, maxJobsToActivate: 1, requestTimeout: 30_000 }) as ClientReadableStream<unknown>;
    const ended = streamEnd(call);
    // One empty JOB_BATCH round on each of the 3 partitions, then the request waits in its type's queue.
    await until(() => broker.commandsOf('JOB_BATCH').length === 3);
    await sleep(20);

    call.cancel();
    expect(await ended).toBe(1);
    await sleep(200); // lets the server see the reset

    // A waiting request would now start a round of JOB_BATCH commands; a cancelled one must not.
    broker.notifyJobsAvailable('late');
    await sleep(100);
    expect(broker.commandsOf('JOB_BATCH')).toHaveLength(3);
    expect(logged).toEqual([]);
  });

  test.each([
    { name: 'an HTTP/1.1 request', bytes: Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n') },
    { name: 'bytes that are no protocol', bytes: Buffer.from(Array.from({ length: 64 }, (_, index) => (index * 37 + 11) & 0xff)) },
  ])('$name on the port: the server closes the socket and goes on serving', async ({ bytes }) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.on('data', () => {});
    await once(socket, 'connect');
    const closed = once(socket, 'close');

    socket.write(bytes);

    await withTimeout(closed);
    expect(await callUnary(raw, 'Topology', {})).toMatchObject({ partitionsCount: 3 });
  });
});

describe('stopping the GrpcServer', () => {
  test('a unary call in flight gets its answer while stop() runs; new connections are refused after', async () => {
    const broker = new FakeBrokerClient();
    const server = new GatewayServer(broker, { host: '127.0.0.1', port: 0, shutdownGraceMs: 5_000 });
    const port = await server.start();
    const raw = rawGatewayClient(port);
    let release: (() => void) | undefined;
    broker.respond = (sent) => new Promise((resolve) => (release = () => resolve(eventFor(sent))));
    try {
      const answer = callUnary(raw, 'CompleteJob', { jobKey: encodeKey(1, 8n).toString() });
      answer.catch(() => {}); // awaited below; this only keeps an early failure from going unhandled
      await until(() => release !== undefined);
      let stopped = false;
      const stopping = server.stop().then(() => (stopped = true));
      await sleep(50);
      expect(stopped).toBe(false);

      release!();

      expect(await answer).toEqual({});
      await withTimeout(stopping);
      expect(await connectOutcome(port)).toBe('ECONNREFUSED');
    } finally {
      raw.close();
      await server.stop();
    }
  });
});
