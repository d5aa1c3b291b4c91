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
});
