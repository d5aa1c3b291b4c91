import type { MessagePort } from 'node:worker_threads';
import type { BrokerTransport } from '../cluster/cluster-broker-client.js';

interface ApplicationMessage {
  channel: number;
  bytes: Uint8Array;
}

/**
 * The broker-to-broker messages between the threads of one broker: one MessagePort per pair of threads, each
 * message a channel number and bytes (copied by structured clone). Threads do not come and go while the broker runs,
 * so every peer counts as connected.
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

  sendApplication(nodeId: number, channel: number, bytes: Uint8Array): void {
    this.ports.get(nodeId)?.postMessage({ channel, bytes } satisfies ApplicationMessage);
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
