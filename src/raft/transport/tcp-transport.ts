import net from 'node:net';
import type { RaftMessage } from '../messages.js';
import type { RaftTransport } from './raft-transport.js';
import { SYSTEM_TIMERS, type Timers } from './timers.js';
import { decodeFrameBody, encodeApplicationBody, encodeFrame, encodeHello, encodeMessageBody, FrameSplitter, WIRE_FORMAT_VERSION, type Hello } from './v1/frame-codec.js';

export interface PeerAddress {
  host: string;
  port: number;
}

export interface TcpTransportOptions {
  nodeId: number;
  /** Both sides of a connection must name the same cluster: a broker of another cluster is refused. */
  clusterId: string;
  /** Where to listen; port 0 picks a free one (see address after start). Zeebe's internal port is 26502. */
  listen: PeerAddress;
  /** Every other node of the cluster; an address may come later through setPeerAddress. */
  peers: ReadonlyMap<number, PeerAddress | undefined>;
  /** Frames queued per peer at most while it is unreachable or slow; beyond, the oldest is dropped. */
  sendQueueFramesMax?: number;
  frameSizeBytesMax?: number;
  reconnectDelayMsMin?: number;
  reconnectDelayMsMax?: number;
  handshakeTimeoutMs?: number;
  /** How long close waits for a connection to finish sending before it cuts it. */
  closeTimeoutMs?: number;
  timers?: Timers;
  onWarning?: (message: string) => void;
}

type ResolvedOptions = Required<Omit<TcpTransportOptions, 'peers'>>;

/** TCP keep-alive probes start after this much silence, so that a peer that vanished without closing is noticed. */
const KEEP_ALIVE_DELAY_MS = 1_000;

const DEFAULTS = {
  sendQueueFramesMax: 4096,
  frameSizeBytesMax: 64 * 1024 * 1024,
  reconnectDelayMsMin: 50,
  reconnectDelayMsMax: 5_000,
  handshakeTimeoutMs: 5_000,
  closeTimeoutMs: 1_000,
};

/**
 * Raft messages between the nodes of a cluster over TCP: one connection per pair of nodes, opened by the node with
 * the lower id (so two nodes never race to open two), carrying length-prefixed, checksummed frames after a hello
 * each way that names both node ids and the cluster. A lost connection is reopened with exponential back-off; until
 * then, frames wait in a bounded queue that drops the oldest.
 */
export class TcpTransport implements RaftTransport {
  readonly options: ResolvedOptions;
  private readonly peers = new Map<number, Peer>();
  private readonly handlers = new Map<number, (message: RaftMessage) => void>();
  private readonly applicationHandlers = new Map<number, (fromNodeId: number, bytes: Buffer) => void>();
  private readonly pendingSockets = new Set<net.Socket>();
  private server: net.Server | undefined;
  private closed = false;

  constructor(options: TcpTransportOptions) {
    this.options = { ...DEFAULTS, timers: SYSTEM_TIMERS, onWarning: (message) => process.emitWarning(message, 'TributaryTransportWarning'), ...options };
    for (const [nodeId, address] of options.peers) {
      if (nodeId === options.nodeId) throw new RangeError(`Node ${nodeId} is listed as its own peer`);
      this.peers.set(nodeId, new Peer(this, nodeId, address));
    }
  }

  /** Listens and starts connecting to the peers with higher ids; resolves with the address listened on. */
  async start(): Promise<PeerAddress> {
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listen.port, this.options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.warn(`The Raft transport of node ${this.options.nodeId} failed to accept: ${error.message}`));
    for (const peer of this.peers.values()) peer.connectIfDialer();
    return this.address;
  }

  get address(): PeerAddress {
    const address = this.server?.address();
    if (address === null || address === undefined || typeof address === 'string') throw new Error('The Raft transport is not listening');
    return { host: this.options.listen.host, port: address.port };
  }

  setPeerAddress(nodeId: number, address: PeerAddress): void {
    this.peerOf(nodeId).setAddress(address);
  }

  send(groupId: number, message: RaftMessage): void {
    if (this.closed) return;
    const peer = this.peers.get(message.to);
    if (peer === undefined) {
      this.warn(`Dropped a ${message.type} for node ${message.to}, which is not a peer of node ${this.options.nodeId}`);
      return;
    }
    peer.enqueue(encodeFrame(encodeMessageBody(groupId, message)));
  }

  subscribe(groupId: number, handler: (message: RaftMessage) => void): () => void {
    if (this.handlers.has(groupId)) throw new Error(`Raft group ${groupId} already has a receiver on node ${this.options.nodeId}`);
    this.handlers.set(groupId, handler);
    return () => {
      if (this.handlers.get(groupId) === handler) this.handlers.delete(groupId);
    };
  }

  /**
   * Sends an application message (not Raft) to a node on a channel, over the same connection and with the same
   * best-effort delivery: in order, dropped when the queue is full or the transport closes.
   */
  sendApplication(nodeId: number, channel: number, bytes: Uint8Array): void {
    if (this.closed) return;
    const peer = this.peers.get(nodeId);
    if (peer === undefined) {
      this.warn(`Dropped an application message for node ${nodeId}, which is not a peer of node ${this.options.nodeId}`);
      return;
    }
    peer.enqueue(encodeFrame(encodeApplicationBody(channel, bytes)));
  }

  /** Receives the application messages of a channel; returns the unsubscribe function. */
  subscribeApplication(channel: number, handler: (fromNodeId: number, bytes: Buffer) => void): () => void {
    if (this.applicationHandlers.has(channel)) throw new Error(`Channel ${channel} already has a receiver on node ${this.options.nodeId}`);
    this.applicationHandlers.set(channel, handler);
    return () => {
      if (this.applicationHandlers.get(channel) === handler) this.applicationHandlers.delete(channel);
    };
  }

  /** The ids of the other nodes. */
  get peerIds(): number[] {
    return [...this.peers.keys()];
  }

  /** Per peer: whether a connection is up, and how many frames the full queue dropped. For health and tests. */
  peerStatus(nodeId: number): { connected: boolean; queuedFrames: number; droppedFrames: number } {
    return this.peerOf(nodeId).status;
  }

  /** Stops listening and reconnecting, lets open connections send what they hold (up to closeTimeoutMs), then cuts them. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const serverClosed = new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
    for (const socket of this.pendingSockets) socket.destroy();
    await Promise.all([serverClosed, ...[...this.peers.values()].map((peer) => peer.close())]);
  }

  // ---- used by Peer ----

  get isClosed(): boolean {
    return this.closed;
  }

  helloFor(toNodeId: number): Buffer {
    return encodeFrame(encodeHello({ fromNodeId: this.options.nodeId, toNodeId, clusterId: this.options.clusterId }));
  }

  deliver(from: number, groupId: number, message: RaftMessage): void {
    if (message.from !== from || message.to !== this.options.nodeId) {
      this.warn(`Node ${from} sent a ${message.type} from ${message.from} to ${message.to}: dropped`);
      return;
    }
    // A group that has no receiver (a partition not started yet, or closed) loses the message; Raft retries.
    this.handlers.get(groupId)?.(message);
  }

  deliverApplication(from: number, channel: number, bytes: Buffer): void {
    this.applicationHandlers.get(channel)?.(from, bytes);
  }

  warn(message: string): void {
    this.options.onWarning(message);
  }

  /** Why a hello is refused, or undefined when it names this cluster, this node and the expected peer. */
  checkHello(hello: Hello, expectedFrom: number | undefined): string | undefined {
    if (hello.wireVersion !== WIRE_FORMAT_VERSION) return `wire version ${hello.wireVersion} (this node speaks ${WIRE_FORMAT_VERSION})`;
    if (hello.clusterId !== this.options.clusterId) return `cluster '${hello.clusterId}' (this node is in '${this.options.clusterId}')`;
    if (hello.toNodeId !== this.options.nodeId) return `it is addressed to node ${hello.toNodeId} (this is node ${this.options.nodeId})`;
    if (!this.peers.has(hello.fromNodeId)) return `node ${hello.fromNodeId} is not a peer`;
    if (expectedFrom !== undefined && hello.fromNodeId !== expectedFrom) return `it comes from node ${hello.fromNodeId}, expected ${expectedFrom}`;
    if (expectedFrom === undefined && hello.fromNodeId > this.options.nodeId) return `node ${hello.fromNodeId} has the higher id, so this node dials it`;
    return undefined;
  }

  // ---- accepting ----

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.pendingSockets.add(socket);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    readHello(socket, this, undefined, (hello, splitter, rest) => {
      this.pendingSockets.delete(socket);
      if (hello === undefined) return;
      socket.write(this.helloFor(hello.fromNodeId));
      this.peerOf(hello.fromNodeId).attach(socket, splitter, rest);
    });
  }

  private peerOf(nodeId: number): Peer {
    const peer = this.peers.get(nodeId);
    if (peer === undefined) throw new RangeError(`Node ${nodeId} is not a peer of node ${this.options.nodeId}`);
    return peer;
  }
}

/**
 * Reads the first frame of a connection, which must be an acceptable hello; calls done with it (and the splitter and
 * any frames that came with it), or with undefined after closing the socket.
 */
function readHello(
  socket: net.Socket,
  transport: TcpTransport,
  expectedFrom: number | undefined,
  done: (hello: Hello | undefined, splitter: FrameSplitter, rest: Buffer[]) => void,
): void {
  const { timers, handshakeTimeoutMs, frameSizeBytesMax, nodeId } = transport.options;
  const splitter = new FrameSplitter(frameSizeBytesMax);
  let finished = false;
  const finish = (hello: Hello | undefined, rest: Buffer[], problem?: string): void => {
    if (finished) return;
    finished = true;
    timers.clearTimeout(timeout);
    socket.off('data', onData);
    socket.off('close', onClose);
    if (problem !== undefined) {
      transport.warn(`Node ${nodeId} refused a Raft connection: ${problem}`);
      socket.destroy();
    }
    done(hello, splitter, rest);
  };
  const onData = (chunk: Buffer): void => {
    const split = splitter.push(chunk);
    if (!split.ok) return finish(undefined, [], split.error);
    if (split.value.length === 0) return;
    const [first, ...rest] = split.value;
    const decoded = decodeFrameBody(first);
    if (!decoded.ok) return finish(undefined, [], decoded.error);
    if (decoded.value.kind !== 'hello') return finish(undefined, [], 'the first frame is not a hello');
    const problem = transport.checkHello(decoded.value.hello, expectedFrom);
    if (problem !== undefined) return finish(undefined, [], `the hello names ${problem}`);
    finish(decoded.value.hello, rest);
  };
  const onClose = (): void => finish(undefined, []);
  const timeout = timers.setTimeout(() => finish(undefined, [], `no hello within ${handshakeTimeoutMs} ms`), handshakeTimeoutMs);
  socket.on('data', onData);
  socket.on('close', onClose);
  socket.on('error', () => undefined);
}

/** One other node: its connection (when up), the queue of frames for it, and the reconnect schedule. */
class Peer {
  private socket: net.Socket | undefined;
  private dialing: net.Socket | undefined;
  private queue: Buffer[] = [];
  private droppedFrames = 0;
  private failedAttempts = 0;
  private reconnectTimer: unknown;

  constructor(
    private readonly transport: TcpTransport,
    readonly nodeId: number,
    private address: PeerAddress | undefined,
  ) {}

  get status(): { connected: boolean; queuedFrames: number; droppedFrames: number } {
    return { connected: this.socket !== undefined, queuedFrames: this.queue.length, droppedFrames: this.droppedFrames };
  }

  private get isDialer(): boolean {
    return this.transport.options.nodeId < this.nodeId;
  }

  setAddress(address: PeerAddress): void {
    this.address = address;
    if (this.socket === undefined && this.dialing === undefined) {
      this.transport.options.timers.clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      this.connectIfDialer();
    }
  }

  connectIfDialer(): void {
    if (!this.isDialer || this.address === undefined || this.transport.isClosed || this.dialing !== undefined || this.socket !== undefined) return;
    const socket = net.connect({ host: this.address.host, port: this.address.port });
    this.dialing = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
    socket.on('connect', () => socket.write(this.transport.helloFor(this.nodeId)));
    readHello(socket, this.transport, this.nodeId, (hello, splitter, rest) => {
      this.dialing = undefined;
      if (hello === undefined || this.transport.isClosed) {
        socket.destroy();
        this.scheduleReconnect();
        return;
      }
      this.attach(socket, splitter, rest);
    });
  }

  /** A connection that passed the hello both ways: it replaces any older one and takes the queued frames. */
  attach(socket: net.Socket, splitter: FrameSplitter, rest: Buffer[]): void {
    this.socket?.destroy();
    this.socket = socket;
    this.failedAttempts = 0;
    socket.on('data', (chunk: Buffer) => {
      const split = splitter.push(chunk);
      if (!split.ok) {
        this.transport.warn(`Closing the Raft connection to node ${this.nodeId}: ${split.error}`);
        socket.destroy();
        return;
      }
      this.receive(split.value);
    });
    socket.on('drain', () => this.flushQueue());
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.scheduleReconnect();
    });
    this.receive(rest);
    this.flushQueue();
  }

  enqueue(frame: Buffer): void {
    const socket = this.socket;
    if (socket !== undefined && this.queue.length === 0 && !socket.writableNeedDrain) {
      socket.write(frame);
      return;
    }
    this.queue.push(frame);
    if (this.queue.length > this.transport.options.sendQueueFramesMax) {
      this.queue.shift();
      this.droppedFrames++;
    }
  }

  async close(): Promise<void> {
    this.transport.options.timers.clearTimeout(this.reconnectTimer);
    this.dialing?.destroy();
    const socket = this.socket;
    if (socket === undefined) return;
    await new Promise<void>((resolve) => {
      const timers = this.transport.options.timers;
      const timeout = timers.setTimeout(() => socket.destroy(), this.transport.options.closeTimeoutMs);
      socket.once('close', () => {
        timers.clearTimeout(timeout);
        resolve();
      });
      socket.end();
    });
  }

  private receive(bodies: Buffer[]): void {
    for (const body of bodies) {
      const decoded = decodeFrameBody(body);
      if (!decoded.ok) {
        this.transport.warn(`Dropped a frame from node ${this.nodeId}: ${decoded.error}`);
        continue;
      }
      if (decoded.value.kind === 'message') this.transport.deliver(this.nodeId, decoded.value.groupId, decoded.value.message);
      else if (decoded.value.kind === 'application') this.transport.deliverApplication(this.nodeId, decoded.value.channel, decoded.value.bytes);
    }
  }

  private flushQueue(): void {
    const socket = this.socket;
    while (socket !== undefined && this.queue.length > 0 && !socket.writableNeedDrain) socket.write(this.queue.shift()!);
  }

  private scheduleReconnect(): void {
    if (!this.isDialer || this.transport.isClosed) return;
    const { reconnectDelayMsMin, reconnectDelayMsMax, timers } = this.transport.options;
    const delayMs = Math.min(reconnectDelayMsMax, reconnectDelayMsMin * 2 ** Math.min(this.failedAttempts, 20));
    this.failedAttempts++;
    timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = timers.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connectIfDialer();
    }, delayMs);
  }
}
