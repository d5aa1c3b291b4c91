import type { MessagePort } from 'node:worker_threads';
import type { BrokerTransport } from '../cluster/cluster-broker-client.js';

interface ApplicationMessage {
  channel: number;
  bytes: Uint8Array;
}

/**
 * The broker-to-broker messages between the threads of one broker: one MessagePort per pair of threads, each
 * message a channel number and bytes (moved, not cloned: see sendApplication). Threads do not come and go while the
 * broker runs, so every peer counts as connected.
 */
export class ThreadTransport implements BrokerTransport {
  private readonly handlers = new Map<number, (fromNodeId: number, bytes: Buffer) => void>();

  constructor(private readonly ports: ReadonlyMap<number, MessagePort>) {
    for (const [nodeId, port] of ports) {
      port.on('message', (message: ApplicationMessage) => {
        const bytes = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
        this.handlers.get(message.channel)?.(nodeId, bytes);
      });
      // A port keeps its thread alive only while something else does.
      port.unref();
    }
  }

  get peerIds(): number[] {
    return [...this.ports.keys()];
  }

  /**
   * Structured clone copies a view's whole ArrayBuffer: a 200-byte message cut from Node's 8 KiB Buffer pool crossed
   * as 8 KiB, a new backing store per message on the receiving thread (Node 24's V8 starts old-generation collections
   * on that external memory). The message's own bytes are copied into a buffer of their own and transferred; the
   * caller's buffer stays usable (a broadcast sends the same bytes to every peer).
   */
  sendApplication(nodeId: number, channel: number, bytes: Uint8Array): void {
    const port = this.ports.get(nodeId);
    if (port === undefined) return;
    const own = new Uint8Array(bytes.byteLength);
    own.set(bytes);
    port.postMessage({ channel, bytes: own } satisfies ApplicationMessage, [own.buffer]);
  }

  subscribeApplication(channel: number, handler: (fromNodeId: number, bytes: Buffer) => void): () => void {
    this.handlers.set(channel, handler);
    return () => this.handlers.delete(channel);
  }

  peerStatus(): { connected: boolean } {
    return { connected: true };
  }

  close(): void {
    for (const port of this.ports.values()) port.close();
  }
}
