import { MessageChannel } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import { ThreadTransport } from './thread-transport.js';

const CHANNEL = 7;

describe('ThreadTransport', () => {
  test('delivers every message both ways, in order, although its ports do not keep the thread alive', async () => {
    // given two threads' ends of one port pair (node 0 and node 1)
    const { port1, port2 } = new MessageChannel();
    const main = new ThreadTransport(new Map([[1, port1]]));
    const thread = new ThreadTransport(new Map([[0, port2]]));
    const messageCount = 10_000;
    const answered: number[] = [];
    thread.subscribeApplication(CHANNEL, (fromNodeId, bytes) => thread.sendApplication(fromNodeId, CHANNEL, bytes));
    const allAnswered = new Promise<void>((resolve) => {
      main.subscribeApplication(CHANNEL, (fromNodeId, bytes) => {
        answered.push(bytes.readUInt32LE(0));
        if (answered.length === messageCount) resolve();
      });
    });

    // when
    for (let index = 0; index < messageCount; index++) {
      const bytes = Buffer.alloc(4);
      bytes.writeUInt32LE(index);
      main.sendApplication(1, CHANNEL, bytes);
    }
    await allAnswered;
    main.close();
    thread.close();

    // then
    expect(answered).toEqual(Array.from({ length: messageCount }, (_, index) => index));
    expect(main.peerIds).toEqual([1]);
  });

  test('sends a message cut from a shared buffer as its own bytes only, and leaves the sender its buffer', async () => {
    // given one sender with two peers, and a message that is a small slice of a large buffer (as Node's Buffer pool hands out)
    const toFirst = new MessageChannel();
    const toSecond = new MessageChannel();
    const sender = new ThreadTransport(new Map([[1, toFirst.port1], [2, toSecond.port1]]));
    const peers = [new ThreadTransport(new Map([[0, toFirst.port2]])), new ThreadTransport(new Map([[0, toSecond.port2]]))];
    const received = peers.map(
      (peer) => new Promise<Buffer>((resolve) => peer.subscribeApplication(CHANNEL, (_from, bytes) => resolve(bytes))),
    );
    const shared = Buffer.alloc(8192, 0xee);
    const message = shared.subarray(100, 110).fill(0x42);

    // when the same bytes are broadcast to both peers
    sender.sendApplication(1, CHANNEL, message);
    sender.sendApplication(2, CHANNEL, message);
    const [first, second] = await Promise.all(received);
    for (const transport of [sender, ...peers]) transport.close();

    // then each peer got exactly the message, carrying no more than its bytes, and the sender's buffer is intact
    for (const bytes of [first, second]) {
      expect([...bytes]).toEqual(new Array(10).fill(0x42));
      expect(bytes.buffer.byteLength).toBe(10);
    }
    expect(shared.byteLength).toBe(8192);
    expect(message[0]).toBe(0x42);
  });
});
