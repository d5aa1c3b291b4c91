import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport, type PeerAddress, type RaftMessage } from '../../src/raft/index.js';
import { waitFor } from './loopback-cluster.js';

const open: TcpTransport[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((transport) => transport.close()));
});

interface Started {
  transport: TcpTransport;
  address: PeerAddress;
  received: RaftMessage[];
  warnings: string[];
}

async function start(nodeId: number, peers: [number, PeerAddress | undefined][], options: { clusterId?: string; port?: number; sendQueueFramesMax?: number } = {}): Promise<Started> {
  const warnings: string[] = [];
  const transport = new TcpTransport({
    nodeId,
    clusterId: options.clusterId ?? 'orders',
    listen: { host: '127.0.0.1', port: options.port ?? 0 },
    peers: new Map(peers),
    sendQueueFramesMax: options.sendQueueFramesMax,
    reconnectDelayMsMin: 10,
    reconnectDelayMsMax: 100,
    onWarning: (warning) => warnings.push(warning),
  });
  open.push(transport);
  const received: RaftMessage[] = [];
  transport.subscribe(7, (message) => received.push(message));
  return { transport, address: await transport.start(), received, warnings };
}

const heartbeat = (from: number, to: number, term: number): RaftMessage => ({ type: 'heartbeat-request', from, to, term, leaderCommitIndex: term });

describe('TcpTransport', () => {
  it('carries messages both ways over one connection, to the subscribed group only', async () => {
    // given
    const second = await start(2, [[1, undefined]]);
    const first = await start(1, [[2, second.address]]);

    // when
    first.transport.send(7, heartbeat(1, 2, 1));
    first.transport.send(8, heartbeat(1, 2, 2));
    second.transport.send(7, { type: 'heartbeat-response', from: 2, to: 1, term: 1 });

    // then
    await waitFor(() => second.received.length === 1 && first.received.length === 1, 2_000, 'both messages');
    expect(second.received).toEqual([heartbeat(1, 2, 1)]);
    expect(first.received).toEqual([{ type: 'heartbeat-response', from: 2, to: 1, term: 1 }]);
    expect(first.transport.peerStatus(2)).toMatchObject({ connected: true, droppedFrames: 0 });
  });

  it('carries application messages on their channel beside the Raft messages', async () => {
    // given
    const second = await start(2, [[1, undefined]]);
    const first = await start(1, [[2, second.address]]);
    const received: string[] = [];
    second.transport.subscribeApplication(1, (from, bytes) => received.push(`${from}:${bytes.toString()}`));

    // when
    first.transport.sendApplication(2, 1, Buffer.from('forwarded command'));
    first.transport.sendApplication(2, 9, Buffer.from('nobody listens'));
    first.transport.send(7, heartbeat(1, 2, 3));

    // then
    await waitFor(() => second.received.length === 1, 2_000, 'the Raft message');
    expect(received).toEqual(['1:forwarded command']);
    expect(second.warnings).toEqual([]);
  });

  it('refuses a node of another cluster', async () => {
    // given
    const second = await start(2, [[1, undefined]], { clusterId: 'payments' });
    const first = await start(1, [[2, second.address]]);

    // when
    first.transport.send(7, heartbeat(1, 2, 1));

    // then
    await waitFor(() => second.warnings.length > 0, 2_000, 'a refusal');
    expect(second.warnings[0]).toContain("cluster 'orders' (this node is in 'payments')");
    expect(second.received).toEqual([]);
    expect(first.transport.peerStatus(2).connected).toBe(false);
  });

  it('reconnects after the peer restarts, delivering what was queued meanwhile', async () => {
    // given
    const second = await start(2, [[1, undefined]]);
    const first = await start(1, [[2, second.address]]);
    first.transport.send(7, heartbeat(1, 2, 1));
    await waitFor(() => second.received.length === 1, 2_000, 'the first message');

    // when the peer goes away, a message is sent, and the peer comes back on its port
    await second.transport.close();
    await waitFor(() => !first.transport.peerStatus(2).connected, 2_000, 'the connection to drop');
    first.transport.send(7, heartbeat(1, 2, 2));
    const restarted = await start(2, [[1, undefined]], { port: second.address.port });

    // then
    await waitFor(() => restarted.received.length === 1, 3_000, 'the queued message after reconnecting');
    expect(restarted.received).toEqual([heartbeat(1, 2, 2)]);
  });

  it('drops the oldest frames when the queue of an unreachable peer is full', async () => {
    // given a peer without an address yet, and room for three frames
    const first = await start(1, [[2, undefined]], { sendQueueFramesMax: 3 });

    // when
    for (let term = 1; term <= 5; term++) first.transport.send(7, heartbeat(1, 2, term));
    const queued = first.transport.peerStatus(2);
    const second = await start(2, [[1, undefined]]);
    first.transport.setPeerAddress(2, second.address);

    // then
    expect(queued).toEqual({ connected: false, queuedFrames: 3, droppedFrames: 2 });
    await waitFor(() => second.received.length === 3, 2_000, 'the three newest frames');
    expect(second.received.map((message) => message.term)).toEqual([3, 4, 5]);
  });

  it('closes a connection that sends garbage and keeps serving the others', async () => {
    // given
    const second = await start(2, [[1, undefined]]);
    const first = await start(1, [[2, second.address]]);

    // when
    const intruder = net.connect(second.address.port, '127.0.0.1');
    const closed = new Promise<void>((resolve) => intruder.on('close', () => resolve()));
    intruder.on('error', () => undefined);
    intruder.write(Buffer.from('GET / HTTP/1.1\r\nHost: example\r\n\r\n'));
    await closed;
    first.transport.send(7, heartbeat(1, 2, 1));

    // then
    await waitFor(() => second.received.length === 1, 2_000, 'the message after the intruder');
    expect(second.warnings.some((warning) => warning.includes('refused a Raft connection'))).toBe(true);
  });
});
